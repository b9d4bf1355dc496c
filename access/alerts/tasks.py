"""Celery tasks of the alert pipeline: small, taking ids, safe to run twice (see services.py)."""

from celery import shared_task
from django.utils import timezone

from access.models.alerts import BatchKind

from . import notices, sending, services

# Work that must not be lost: acknowledged only once done, given back if the worker dies.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="access.alerts.fan_out_event", **RELIABLE)
def fan_out_event(event_id: int) -> int:
    """One delivery per recipient; each chunk's sends enqueued as soon as it commits (see fan_out)."""
    return len(services.fan_out(event_id, on_committed=enqueue_fanned_out).send_now)


def enqueue_fanned_out(result: services.FanOut) -> None:
    """The sends a fan-out chunk leaves: now in batches, follow-ups when due; digests wait for beat."""
    services.enqueue_sends(result.send_now)
    for (subscription_id, batch_kind), due_at in result.batches.items():
        # Follow-ups are due within minutes; digests wait for beat (send_due_digests). A Redis broker
        # would hand a task with an ETA past its visibility timeout to a worker again and again.
        if batch_kind == BatchKind.FOLLOW_UP:
            send_batch_email.apply_async(args=[subscription_id, batch_kind], eta=due_at)


@shared_task(name="access.alerts.send_delivery_batch", **RELIABLE)
def send_delivery_batch(delivery_ids: list[int]) -> int:
    outcome = sending.send_deliveries(delivery_ids)
    for delay, retry_ids in outcome.retry.items():
        send_delivery_batch.apply_async(args=[retry_ids], countdown=delay)
    return outcome.sent


@shared_task(name="access.alerts.send_batch_email", **RELIABLE)
def send_batch_email(subscription_id: int, batch_kind: str) -> None:
    retry_in = sending.send_batch(subscription_id, batch_kind)
    if retry_in is not None:
        send_batch_email.apply_async(args=[subscription_id, batch_kind], countdown=retry_in)


@shared_task(name="access.alerts.sweep_unfinished", **RELIABLE)
def sweep_unfinished() -> dict:
    """Beat, every ALERTS_SWEEP_EVERY_SECONDS: enqueue again what a broker outage or a dead worker left."""
    sweep = services.find_unfinished(timezone.now())
    for event_id in sweep.events:
        fan_out_event.delay(event_id)
    services.enqueue_sends(sweep.deliveries, sweep.batches)
    return {"events": len(sweep.events), "deliveries": len(sweep.deliveries), "batches": len(sweep.batches)}


@shared_task(name="access.alerts.send_due_digests", **RELIABLE)
def send_due_digests() -> int:
    """Beat, daily at ALERTS_DIGEST_HOUR: the digests (and any follow-up) now due."""
    sweep = services.find_unfinished(timezone.now())
    services.enqueue_sends([], sweep.batches)
    return len(sweep.batches)


@shared_task(name="access.alerts.send_staleness_notices", **RELIABLE)
def send_staleness_notices() -> int:
    return notices.send_staleness_notices()


@shared_task(name="access.alerts.notify_coordinators_of_pause", **RELIABLE)
def notify_coordinators_of_pause(subscription_id: int) -> int:
    return notices.notify_coordinators_of_pause(subscription_id)
