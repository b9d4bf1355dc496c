"""The real infrastructure tests run against (PostgreSQL, Redis, a free port): reach it, or skip on a
laptop, or fail in CI.

CI sets HUMTRACK_REQUIRE_SERVICES=1: there a missing PostgreSQL or Redis fails the test instead of
skipping it, so the integration tests are never silently skipped.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("HUMTRACK_REQUIRE_SERVICES") == "1"


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (HUMTRACK_REQUIRE_SERVICES=1) but is not available.")
    pytest.skip(f"{what} is not available; CI runs this test against the real service.")


def redis_url() -> str:
    """The Redis to test against (TEST_REDIS_URL, default redis://127.0.0.1:6379/15), reachable."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2).close()
    except OSError:
        _missing(f"Redis at {parsed.hostname}:{parsed.port or 6379}")
    return url


def require_postgresql():
    """For tests of row locks and real concurrency, which SQLite cannot show."""
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def slow_writes(model, seconds: float, *, each: str = "ROW"):
    """Make every INSERT into `model`'s table take `seconds` longer (PostgreSQL), per ROW or per STATEMENT.

    For tests that need a write to stay open long enough for something to happen meanwhile: a second
    request arriving, a worker killed between two commits.
    """
    require_postgresql()
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_slow_write() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_sleep({float(seconds)}); RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_slow_write BEFORE INSERT ON {table} "
            f"FOR EACH {'STATEMENT' if each == 'STATEMENT' else 'ROW'} EXECUTE FUNCTION test_slow_write()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER test_slow_write ON {table}")
            cursor.execute("DROP FUNCTION test_slow_write()")


class RedisServer:
    """A `redis-server` of the test's own, on a free loopback port, that a test may kill, restart or freeze.

    Never the machine's Redis (127.0.0.1:6379): the rest of the suite and CI use that one. Keeps nothing on
    disk, as the machine's: a restart starts empty, the worst case for a broker.
    """

    def __init__(self, directory):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            _missing("redis-server (Debian's redis-server package)")
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        log = open(os.path.join(self.directory, f"redis-{self.port}.log"), "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: every connection dropped at once, everything it held lost."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)  # a frozen server must be able to die
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self, down_for: float = 2.0) -> None:
        """Killed, down for `down_for` seconds, started again empty on the same port."""
        self.kill()
        time.sleep(down_for)
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is ever answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
