"""Celery tasks of the alert pipeline: small, taking ids, safe to run twice.

Only Celery imports this module (CELERY_IMPORTS in the settings); the pipeline enqueues these tasks by
their registered names through enqueue.py. The names are written out here, not taken from enqueue.py,
so that a test can check the two agree. Never rename a task: a message already queued under the old
name would find no task after a deploy.
"""

import logging
from datetime import timedelta
from typing import TypedDict

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import confirmation, enqueue, fan_out, giving_way, notices, sending, sweep
from .webhooks import delivery as webhook_delivery

logger = logging.getLogger(__name__)


class _TaskOptions(TypedDict):
    acks_late: bool
    reject_on_worker_lost: bool
    ignore_result: bool


# Work that must not be lost: acknowledged only once done, given back if the worker dies.
RELIABLE: _TaskOptions = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="access.alerts.fan_out_event", **RELIABLE)
def fan_out_event(event_id: int) -> int:
    """One delivery per recipient; each chunk's sends enqueued as soon as it commits (see fan_out), but a
    change to a few people (one chunk), which this task sends itself: the first emails of a change then
    wait for one task, not two, while other tasks are queued (issue 17 §3). Killed before it sent them,
    its deliveries are pending rows the sweep enqueues, as when a publish fails."""
    to_send_here: list[int] = []

    def hand_on(result: fan_out.FanOut) -> None:
        # Only what goes now: follow-ups and digests are due rows that the sweep sends when due. A large
        # fan-out's first chunk goes at once; its later chunks wait behind other changes' first emails.
        if result.whole_fan_out:
            to_send_here.extend(result.send_now)
        else:
            enqueue.enqueue_sends(result.send_now, behind=result.later_chunk)

    fanned_out = fan_out.fan_out(event_id, on_committed=hand_on)
    if to_send_here:
        sending.send_deliveries(to_send_here)
    return len(fanned_out.send_now)


# Neither send task enqueues a retry: a delivery that failed for now waits in the database with its
# send_after, and the sweep enqueues it when it is due (no ETA message for a broker restart to lose).
@shared_task(name="access.alerts.send_delivery_batch", **RELIABLE)
def send_delivery_batch(delivery_ids: list[int], behind: bool = False) -> int:
    """`behind`: a large fan-out's later batch, which gives way to other alert work waiting on the broker
    and publishes what it did not send behind again (giving_way.py). Not published, the rest are pending
    rows the sweep enqueues."""
    outcome = sending.send_deliveries(delivery_ids, give_way=giving_way.other_work_waiting if behind else None)
    if outcome.left:
        try:
            enqueue.enqueue_sends(outcome.left, behind=True)
        except Exception:  # the broker went away: the rows are pending, and the sweep enqueues them
            logger.warning("Broker unreachable: %s deliveries left for the sweep", len(outcome.left), exc_info=True)
    return outcome.sent


@shared_task(name="access.alerts.send_batch_email", **RELIABLE)
def send_batch_email(subscription_id: int, batch_kind: str) -> bool:
    return sending.send_batch(subscription_id, batch_kind)


@shared_task(name="access.alerts.sweep_unfinished", **RELIABLE)
def sweep_unfinished() -> dict[str, int]:
    """Beat, every ALERTS_SWEEP_EVERY_SECONDS: enqueue what is due (retries, follow-ups) and what a broker
    outage or a dead worker left."""
    now = timezone.now()
    unfinished = sweep.find_unfinished(now)
    for event_id in unfinished.events:
        enqueue.enqueue_event_again(event_id)
    enqueue.enqueue_sends(unfinished.deliveries, unfinished.batches)
    paused = notices.pending_pause_notices(now - timedelta(seconds=settings.ALERTS_SWEEP_AFTER_SECONDS))
    for subscription_id in paused:
        enqueue.enqueue_pause_notice(subscription_id)
    return {
        "events": len(unfinished.events),
        "deliveries": len(unfinished.deliveries),
        "batches": len(unfinished.batches),
        "pause_notices": len(paused),
    }


@shared_task(name="access.alerts.send_due_digests", **RELIABLE)
def send_due_digests() -> int:
    """Beat, every quarter of an hour: the digests now due (each at ALERTS_DIGEST_HOUR in its subscriber's
    time zone), and any follow-up."""
    unfinished = sweep.find_unfinished(timezone.now())
    enqueue.enqueue_sends([], unfinished.batches)
    return len(unfinished.batches)


@shared_task(name="access.alerts.send_staleness_notices", **RELIABLE)
def send_staleness_notices() -> int:
    return notices.send_staleness_notices()


@shared_task(name="access.alerts.notify_coordinators_of_pause", **RELIABLE)
def notify_coordinators_of_pause(subscription_id: int) -> int:
    return notices.notify_coordinators_of_pause(subscription_id)


@shared_task(name="access.alerts.deliver_due_webhooks", **RELIABLE)
def deliver_due_webhooks() -> int:
    """Woken on commit after a change, and by beat: fan out new webhook events and send what is due."""
    return webhook_delivery.deliver_due_webhooks()


# A confirmation lost to a dead worker is asked for again by the person (nothing is stored before they
# confirm); an SMTP failure (OSError, smtplib's errors included) is retried with backoff.
@shared_task(
    name="access.alerts.send_confirmation_email",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def send_confirmation_email(token: str) -> bool:
    """The double opt-in email of a "get alerts" request (`token`: the signed request)."""
    return confirmation.send_confirmation(token)
