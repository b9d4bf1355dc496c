"""Enqueueing the alert pipeline's tasks, by their registered names: the one module that publishes them.

Nothing in the application imports tasks.py (Celery finds it through CELERY_IMPORTS): the steps that
hand work to a worker call these functions, which publish by name with `celery_app.send_task`. A test
(tests/access/alerts/test_enqueue.py) checks that every name below is registered in the Celery app.

Publishing never blocks a request for long: work that must not be lost is a database row first, and
when the broker is unreachable the row is left for the sweep (sweep.py), which enqueues it again.
"""

import logging
from datetime import datetime

from django.conf import settings

from humtrack.celery import app as celery_app

from .choices import BatchKind

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

# Enqueueing on commit must not hang a request when the broker is down: the sweep catches up.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def _publish(name: str, args: list, **options) -> None:
    # ignore_result as the tasks declare it (tasks.RELIABLE): no result is ever read.
    celery_app.send_task(name, args=args, ignore_result=True, **options)


def enqueue_event(event_id: int) -> bool:
    """Hand the event to a worker; False when the broker is unreachable (the sweep will do it later)."""
    try:
        _publish(FAN_OUT_EVENT, [event_id], retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # kombu raises OperationalError, redis-py its own, sockets OSError: all mean "later"
        logger.warning("Broker unreachable: alert event %s left for the sweep", event_id, exc_info=True)
        return False
    return True


def enqueue_event_again(event_id: int) -> None:
    """The sweep's re-enqueue of an event still pending (it runs in a worker: no short retry policy)."""
    _publish(FAN_OUT_EVENT, [event_id])


def enqueue_sends(delivery_ids: list[int], batches=(), countdown: int | None = None) -> None:
    """Deliveries to send in batches of ALERTS_BATCH_SIZE, and (subscription, batch kind) emails to send."""
    size = settings.ALERTS_BATCH_SIZE
    for start in range(0, len(delivery_ids), size):
        _publish(SEND_DELIVERY_BATCH, [delivery_ids[start : start + size]], countdown=countdown)
    for subscription_id, batch_kind in batches:
        _publish(SEND_BATCH_EMAIL, [subscription_id, batch_kind])


def enqueue_fanned_out(send_now: list[int], batches: dict[tuple[int, str], datetime]) -> None:
    """The sends a fan-out chunk leaves: now in batches, follow-ups when due; digests wait for beat."""
    enqueue_sends(send_now)
    for (subscription_id, batch_kind), due_at in batches.items():
        # Follow-ups are due within minutes; digests wait for beat (send_due_digests). A Redis broker
        # would hand a task with an ETA past its visibility timeout to a worker again and again.
        if batch_kind == BatchKind.FOLLOW_UP:
            _publish(SEND_BATCH_EMAIL, [subscription_id, batch_kind], eta=due_at)


def enqueue_delivery_retries(retry: dict[int, list[int]]) -> None:
    """Deliveries that failed for now, sent again after their backoff (seconds → delivery ids)."""
    for delay, retry_ids in retry.items():
        _publish(SEND_DELIVERY_BATCH, [retry_ids], countdown=delay)


def enqueue_batch_email_retry(subscription_id: int, batch_kind: str, countdown: int) -> None:
    _publish(SEND_BATCH_EMAIL, [subscription_id, batch_kind], countdown=countdown)


def enqueue_pause_notice(subscription_id: int) -> None:
    _publish(NOTIFY_COORDINATORS_OF_PAUSE, [subscription_id])


def wake_webhook_delivery() -> bool:
    """Ask a worker to send the webhook deliveries now due; False when the broker is unreachable (beat's
    periodic run of the same task sends them a little later)."""
    try:
        _publish(DELIVER_DUE_WEBHOOKS, [], retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # as in enqueue_event: any failure to publish means "later"
        logger.warning("Broker unreachable: webhook deliveries left for beat", exc_info=True)
        return False
    return True


def enqueue_confirmation_email(token: str) -> bool:
    """Ask a worker to send the double opt-in email of a "get alerts" request (`token`: the signed
    request, access.alerts.links.confirm_token); False when the broker is unreachable. Nothing is
    stored before the person confirms, so nothing is swept either: the page asks them to try again."""
    try:
        _publish(SEND_CONFIRMATION_EMAIL, [token], retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # as in enqueue_event: any failure to publish means "not now"
        logger.warning("Broker unreachable: a confirmation email was not enqueued", exc_info=True)
        return False
    return True
