"""A large fan-out's later batches give way to other alert work (issue 17 §3).

A fan-out to thousands publishes its later batches behind everything else (enqueue.BEHIND_PRIORITY), but
a worker process cannot take a new task before it has finished the one it holds: with every process of
deploy/'s alerts worker (4) sending a batch of ALERTS_BATCH_SIZE to a shared relay, a change to a few
people committed during the fan-out waited for the first of them to finish, about 0.4 s at the median
and 0.6 s at the 95th percentile (bench/alerts.py). So a later batch asks, every GIVE_WAY_EVERY emails,
whether anything waits in the alerts queue ahead of the behind batches; if so it stops, hands its unsent
deliveries back (sending.send_deliveries) and publishes them behind again, and its process takes the
waiting task.

Only a Redis broker is asked (`make run` without Redis uses the filesystem transport, which has no
priorities: there nothing gives way). The question costs one LLEN, about a tenth of a millisecond; when
Redis does not answer within ANSWER_TIMEOUT_SECONDS, nothing gives way (the batch goes on, as before)
and the process does not ask again for QUIET_AFTER_FAILURE_SECONDS.
"""

import logging
import time
from functools import lru_cache

import redis

from humtrack.celery import app as celery_app

logger = logging.getLogger(__name__)

# The queue of every alert task (CELERY_TASK_ROUTES). kombu's Redis transport keeps a queue's priority-0
# messages in a list of the queue's own name, and a later priority step's in "<queue>\x06\x16<step>":
# the behind batches are never in this list (tests/access/alerts/test_giving_way.py).
ALERTS_QUEUE = "alerts"
# Emails a later batch sends between two questions: a change waits for at most this many of one batch.
GIVE_WAY_EVERY = 10
# The question must cost a batch nothing when Redis is slow or gone: short timeouts, and after a failure
# no question for a while (the batch goes on sending, as it did before batches gave way).
ANSWER_TIMEOUT_SECONDS = 0.25
QUIET_AFTER_FAILURE_SECONDS = 30.0
_quiet_until = 0.0


@lru_cache(maxsize=4)
def _client(broker_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        broker_url, socket_connect_timeout=ANSWER_TIMEOUT_SECONDS, socket_timeout=ANSWER_TIMEOUT_SECONDS
    )


def other_work_waiting(queue: str = ALERTS_QUEUE) -> bool:
    """Whether a message waits in `queue` ahead of the behind batches (on Redis; elsewhere never)."""
    global _quiet_until  # noqa: PLW0603  (one float per process, read and written whole)
    broker_url = celery_app.conf.broker_url or ""
    if not broker_url.startswith(("redis://", "rediss://")) or time.monotonic() < _quiet_until:
        return False
    try:
        return bool(_client(broker_url).llen(queue))
    except (redis.RedisError, OSError):
        logger.debug("Could not ask the broker for waiting alert work", exc_info=True)
        _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
        return False
