"""Running test code in several threads at once, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once(*workers: Callable[[Callable[[], None]], list]) -> list[list]:
    """Run the workers in threads, each round released together; each returns its results.

    A worker gets `together()`, to call before each round: it returns when every worker is there, so
    the requests of one round collide and no worker runs rounds ahead of the others (which would make
    its changes back-dated relative to theirs, a different thing from a race). Errors are re-raised.
    """
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    errors: list[BaseException] = []

    def together():
        barrier.wait(timeout=60)

    def run(index, worker):
        try:
            results[index] = worker(together)
        except BaseException as error:  # noqa: BLE001  (re-raised in the test's thread below)
            errors.append(error)
            barrier.abort()  # the other workers stop waiting for this one
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results
