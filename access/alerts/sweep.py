"""Step 4 of the alert pipeline, the sweep: what a broker outage or a killed worker left, enqueued again.

Beat runs it every ALERTS_SWEEP_EVERY_SECONDS (tasks.sweep_unfinished): events still `pending` after
ALERTS_SWEEP_AFTER_SECONDS (the broker was down at commit), deliveries never picked up, temporary
failures whose retry is due, claims whose lease (ALERTS_LEASE_SECONDS) expired, and follow-ups and
digests now due. The admin's "retry failed" is here too: it puts failed deliveries back in that path.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from access.models import AlertDelivery, AlertEvent

from . import enqueue
from .choices import BatchKind, DeliveryStatus


def unfinished_events(before: datetime) -> QuerySet[AlertEvent]:
    return AlertEvent.objects.filter(state=AlertEvent.State.PENDING, created_at__lt=before)


def deliveries_to_resend(now: datetime, stale_before: datetime, lease_expired_before: datetime):
    """Own-email deliveries a sweep should enqueue again: never picked up, due for a retry, or abandoned."""
    return AlertDelivery.objects.filter(batch_kind=BatchKind.NONE).filter(
        Q(status=DeliveryStatus.PENDING, created_at__lt=stale_before)
        | Q(status=DeliveryStatus.FAILED_TEMPORARY, send_after__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=lease_expired_before)
    )


def subscriptions_with_due_batches(now: datetime, lease_expired_before: datetime) -> QuerySet:
    """(subscription id, batch kind) pairs whose follow-up or digest email is due, or was abandoned."""
    return (
        AlertDelivery.objects.exclude(batch_kind=BatchKind.NONE)
        .filter(
            Q(status=DeliveryStatus.BATCHED, send_after__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=lease_expired_before)
        )
        .order_by()
        .values_list("subscription_id", "batch_kind")
        .distinct()
    )


@dataclass
class Sweep:
    events: list[int]
    deliveries: list[int]
    batches: list[tuple[int, str]]


def find_unfinished(now: datetime | None = None) -> Sweep:
    """What a broker outage or a killed worker left behind, for the sweep task to enqueue again."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.ALERTS_SWEEP_AFTER_SECONDS)
    lease_expired_before = now - timedelta(seconds=settings.ALERTS_LEASE_SECONDS)
    return Sweep(
        events=list(unfinished_events(stale_before).order_by("created_at").values_list("pk", flat=True)),
        deliveries=list(
            deliveries_to_resend(now, stale_before, lease_expired_before).order_by("pk").values_list("pk", flat=True)
        ),
        batches=list(subscriptions_with_due_batches(now, lease_expired_before)),
    )


def retry_failed_deliveries(deliveries) -> int:
    """The admin's "retry failed": failed deliveries go back to be sent. A sent one is never touched."""
    now = timezone.now()
    failed = deliveries.filter(status__in=[DeliveryStatus.FAILED_TEMPORARY, DeliveryStatus.FAILED_PERMANENT])
    own_ids = list(failed.filter(batch_kind=BatchKind.NONE).values_list("pk", flat=True))
    batches = list(failed.exclude(batch_kind=BatchKind.NONE).values_list("subscription_id", "batch_kind").distinct())
    with transaction.atomic():
        count = AlertDelivery.objects.filter(pk__in=own_ids).update(
            status=DeliveryStatus.PENDING, attempts=0, send_after=None
        )
        count += failed.exclude(batch_kind=BatchKind.NONE).update(
            status=DeliveryStatus.BATCHED, attempts=0, send_after=now
        )
        transaction.on_commit(partial(enqueue.enqueue_sends, own_ids, batches))
    return count
