"""Enqueueing the alert pipeline's tasks, by their registered names: the one module that publishes them.

Nothing in the application imports tasks.py (Celery finds it through CELERY_IMPORTS): the steps that
hand work to a worker call these functions, which publish by name with `celery_app.send_task`. A test
(tests/access/alerts/test_enqueue.py) checks that every name below is registered in the Celery app.

Publishing never blocks a request for long: work that must not be lost is a database row first, and
when the broker is unreachable the row is left for the sweep (sweep.py), which enqueues it again.
"""

import logging
import time

from django.conf import settings

from humtrack.celery import BRIEF_TRANSPORT_OPTIONS, BRIEF_WAIT_SECONDS
from humtrack.celery import app as celery_app

logger = logging.getLogger(__name__)

# The registered names (tasks.py). They are a contract with the queue: a message already queued under a
# name must still find its task after a deploy, so never rename one. Routed to the `alerts` queue by
# CELERY_TASK_ROUTES ("access.alerts.*").
FAN_OUT_EVENT = "access.alerts.fan_out_event"
SEND_DELIVERY_BATCH = "access.alerts.send_delivery_batch"
SEND_BATCH_EMAIL = "access.alerts.send_batch_email"
NOTIFY_COORDINATORS_OF_PAUSE = "access.alerts.notify_coordinators_of_pause"
DELIVER_DUE_WEBHOOKS = "access.alerts.deliver_due_webhooks"
SEND_CONFIRMATION_EMAIL = "access.alerts.send_confirmation_email"
ENQUEUED_TASKS = (
    FAN_OUT_EVENT,
    SEND_DELIVERY_BATCH,
    SEND_BATCH_EMAIL,
    NOTIFY_COORDINATORS_OF_PAUSE,
    DELIVER_DUE_WEBHOOKS,
    SEND_CONFIRMATION_EMAIL,
)

# Publishing on commit, from a request or right after a commit, waits for the broker at most about half a
# second (humtrack.celery.BRIEF_TRANSPORT_OPTIONS) and does not retry: its work is a database row the
# sweep enqueues again (an event, a pause notice), or beat's periodic run does it (webhooks), or the
# person asks again (a confirmation email). A socket timeout matters as much as a connect timeout: a
# frozen Redis accepts the connection and never answers, and without one the publish waited for as long
# as the freeze.
PUBLISH_RETRY_POLICY = {"max_retries": 0}
# After a publish timed out, the next ones within this many seconds are not tried: a bulk change of many
# regions with the broker frozen would otherwise wait half a second per region. Their rows stay pending.
# (A refused connection fails at once: it is simply tried again next time.)
BROKER_DOWN_SKIP_SECONDS = 5.0
_broker_down_until = 0.0


def _publish(name: str, args: list, **options) -> None:
    # ignore_result as the tasks declare it (tasks.RELIABLE): no result is ever read.
    celery_app.send_task(name, args=args, ignore_result=True, **options)


class BrokerRecentlyDown(Exception):
    """Not tried: a publish failed less than BROKER_DOWN_SKIP_SECONDS ago."""


def _publish_briefly(name: str, args: list) -> None:
    """Publish over a connection of its own with short timeouts and no retry; raise when it fails.

    A fresh connection each time (a few a request at most: one per status change's event, one webhook
    wake): a pooled connection left half-read by a timeout is not one to hand to the next request.
    """
    global _broker_down_until  # noqa: PLW0603  (one float per process, read and written whole)
    if time.monotonic() < _broker_down_until:
        raise BrokerRecentlyDown(name)
    started = time.monotonic()
    try:
        with celery_app.connection_for_write(transport_options=BRIEF_TRANSPORT_OPTIONS) as connection:
            celery_app.send_task(
                name, args=args, ignore_result=True, connection=connection, retry_policy=PUBLISH_RETRY_POLICY
            )
    except Exception:
        if time.monotonic() - started >= BRIEF_WAIT_SECONDS / 2:  # it waited: the broker hangs
            _broker_down_until = time.monotonic() + BROKER_DOWN_SKIP_SECONDS
        raise


def enqueue_event(event_id: int) -> bool:
    """Hand the event to a worker; False when the broker is unreachable (the sweep will do it later)."""
    try:
        _publish_briefly(FAN_OUT_EVENT, [event_id])
    except Exception:  # kombu raises OperationalError, redis-py its own, sockets OSError: all mean "later"
        logger.warning("Broker unreachable: alert event %s left for the sweep", event_id, exc_info=True)
        return False
    return True


def enqueue_event_again(event_id: int) -> None:
    """The sweep's re-enqueue of an event still pending (it runs in a worker: no short retry policy)."""
    _publish(FAN_OUT_EVENT, [event_id])


# The priority of a large fan-out's later batches: behind every other task of the queue, so that a change's
# first emails never wait for another change's thousands (issue 17 §3: commit to first email within half a
# second while a fan-out of 5,000 runs). On Redis, kombu keeps a list per priority step (0, 3, 6, 9) and a
# worker takes from the lowest step first; 0 is what every other task is published with. kombu's filesystem
# transport (`make run` without Redis) has no priorities: there the batches go in the order they came.
BEHIND_PRIORITY = 6


def enqueue_sends(delivery_ids: list[int], batches=(), *, behind: bool = False) -> None:
    """Deliveries to send in batches of ALERTS_BATCH_SIZE, and (subscription, batch kind) emails to send.
    `behind`: a large fan-out's later batches, taken after everything else queued (BEHIND_PRIORITY), and
    giving way to work queued after them (giving_way.py)."""
    size = settings.ALERTS_BATCH_SIZE
    options = {"priority": BEHIND_PRIORITY, "kwargs": {"behind": True}} if behind else {}
    for start in range(0, len(delivery_ids), size):
        _publish(SEND_DELIVERY_BATCH, [delivery_ids[start : start + size]], **options)
    for subscription_id, batch_kind in batches:
        _publish(SEND_BATCH_EMAIL, [subscription_id, batch_kind])


def enqueue_pause_notice(subscription_id: int) -> bool:
    """Ask a worker to send a paused subscription's pending coordinator notices (notices.py); False when
    the broker is unreachable: the notices are rows already, which the sweep enqueues again."""
    try:
        _publish_briefly(NOTIFY_COORDINATORS_OF_PAUSE, [subscription_id])
    except Exception:  # as in enqueue_event: any failure to publish means "later"
        logger.warning("Broker unreachable: pause notices of subscription %s left for the sweep", subscription_id)
        return False
    return True


def wake_webhook_delivery() -> bool:
    """Ask a worker to send the webhook deliveries now due; False when the broker is unreachable (beat's
    periodic run of the same task sends them a little later)."""
    try:
        _publish_briefly(DELIVER_DUE_WEBHOOKS, [])
    except Exception:  # as in enqueue_event: any failure to publish means "later"
        logger.warning("Broker unreachable: webhook deliveries left for beat", exc_info=True)
        return False
    return True


def enqueue_confirmation_email(token: str) -> bool:
    """Ask a worker to send the double opt-in email of a "get alerts" request (`token`: the signed
    request, access.alerts.links.confirm_token); False when the broker is unreachable. Nothing is
    stored before the person confirms, so nothing is swept either: the page asks them to try again."""
    try:
        _publish_briefly(SEND_CONFIRMATION_EMAIL, [token])
    except Exception:  # as in enqueue_event: any failure to publish means "not now"
        logger.warning("Broker unreachable: a confirmation email was not enqueued", exc_info=True)
        return False
    return True
