"""Writes of the alert pipeline: the outbox event, the fan-out, the sweep, subscriptions.

The order of things, and what each step guarantees:
1. A status or corridor change writes an AlertEvent in its own transaction (record_*_event): rolled
   back with it, absent for a no-op or a silent change.
2. On commit the event is enqueued. If the broker is down the event stays `pending`; the sweep
   (a beat task) enqueues it again.
3. fan_out() turns the event into one AlertDelivery per recipient, committed in chunks that are sent
   as soon as each commits; the unique (event, subscription) pair and the event's `pending →
   fanned_out` state make it run once, and a fan-out cut short writes only what is missing when run again.
4. sending.send_deliveries() claims deliveries and sends them, each at most once while claimed; see
   sending.py for the one window where a crash can make it send a message twice, and why we err there.
Coordinators' notices (a paused address, stale regions) are in notices.py.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from access.models import (
    AlertDelivery,
    AlertEvent,
    CorridorStatusChange,
    Region,
    StatusChange,
    Subscription,
)
from access.models.alerts import AlertMode, BatchKind, DeliveryStatus
from humtrack.actor import SYSTEM, Actor
from humtrack.history import stamp
from humtrack.services import save_validated

from . import selectors

logger = logging.getLogger(__name__)

# Fan-outs run one at a time (see _serialise_fan_outs); the key of their PostgreSQL advisory lock.
FAN_OUT_LOCK_KEY = 4_802_714_001
# Enqueueing on commit must not hang a request when the broker is down: the sweep catches up.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


# --- 1. The outbox -----------------------------------------------------------------------------------


def record_status_change_event(change: StatusChange, *, became_current: bool) -> AlertEvent | None:
    """Call inside the transaction that records the change, after the region's current status is kept:
    the event commits or rolls back with it. `became_current`: the change is now the region's status in
    force (False for a back-dated change behind a later one). What the change did to the status people
    see, and which regions take their status from it, is read now and kept on the event: the fan-out
    and the emails run later, when other changes may have followed."""
    if change.silent:
        return None
    seen = selectors.status_seen_around(change, became_current=became_current)
    event = AlertEvent.objects.create(
        kind=AlertEvent.Kind.STATUS_CHANGE,
        status_change=change,
        became_current=became_current,
        status_before=seen.before,
        status_before_from_id=seen.before_from_id,
        status_after=seen.after,
    )
    event.reached_regions.set(seen.reached_region_ids)
    transaction.on_commit(partial(enqueue_event, event.pk))
    return event


def record_corridor_change_event(change: CorridorStatusChange) -> AlertEvent | None:
    if change.silent:
        return None
    event = AlertEvent.objects.create(kind=AlertEvent.Kind.CORRIDOR_CHANGE, corridor_change=change)
    transaction.on_commit(partial(enqueue_event, event.pk))
    return event


def enqueue_event(event_id: int) -> bool:
    """Hand the event to a worker; False when the broker is unreachable (the sweep will do it later)."""
    from .tasks import fan_out_event

    try:
        fan_out_event.apply_async(args=[event_id], retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # kombu raises OperationalError, redis-py its own, sockets OSError: all mean "later"
        logger.warning("Broker unreachable: alert event %s left for the sweep", event_id, exc_info=True)
        return False
    return True


# --- 2. Fan-out --------------------------------------------------------------------------------------


@dataclass
class FanOut:
    """What a fan-out leaves to send: deliveries to send now, and batched emails due later."""

    send_now: list[int] = field(default_factory=list)
    batches: dict[tuple[int, str], datetime] = field(default_factory=dict)


def next_digest_at(now: datetime) -> datetime:
    today = now.replace(hour=settings.ALERTS_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


@contextmanager
def _one_fan_out_at_a_time():
    """Fan-outs run one at a time, so flood control sees every earlier event's deliveries.

    Two workers fanning out two changes at once would each see no recent alert and both send one. On
    PostgreSQL a session-level advisory lock queues them for the whole fan-out, across the commits of
    its chunks; a killed worker's lock goes with its connection. SQLite has no such lock: there the
    fan-out is one transaction, and SQLite allows one writer at a time.
    """
    if db_connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [FAN_OUT_LOCK_KEY])
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [FAN_OUT_LOCK_KEY])


def recipients_of(event: AlertEvent):
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        return selectors.subscriptions_for_status_change(event.status_change)
    return selectors.subscriptions_for_corridor_change(event.corridor_change)


def _delivery_for(event: AlertEvent, recipient, now: datetime, window: timedelta) -> AlertDelivery:
    """One recipient's delivery: sent now, or gathered into a follow-up (flood, hourly cap) or the digest."""
    delivery = AlertDelivery(
        event=event, subscription_id=recipient.pk, via_region_id=recipient.via_region_id, created_at=now
    )
    if recipient.mode == AlertMode.DIGEST:
        delivery.batch_kind, delivery.send_after = BatchKind.DIGEST, next_digest_at(now)
    elif recipient.follow_up_at is not None:
        delivery.batch_kind, delivery.send_after = BatchKind.FOLLOW_UP, recipient.follow_up_at
    elif recipient.last_alert_at is not None:
        delivery.batch_kind, delivery.send_after = BatchKind.FOLLOW_UP, recipient.last_alert_at + window
    elif (recipient.alerts_in_hour or 0) >= settings.ALERTS_HOURLY_CAP:
        delivery.batch_kind = BatchKind.FOLLOW_UP
        delivery.send_after = recipient.first_alert_in_hour + timedelta(hours=1)
    if delivery.batch_kind:
        delivery.status = DeliveryStatus.BATCHED
    return delivery


def _what_to_send(deliveries: list[AlertDelivery]) -> FanOut:
    result = FanOut()
    for delivery in deliveries:
        if delivery.batch_kind:
            key = (delivery.subscription_id, delivery.batch_kind)
            result.batches[key] = min(result.batches.get(key, delivery.send_after), delivery.send_after)
        else:
            result.send_now.append(delivery.pk)
    return result


def fan_out(event_id: int, on_committed: Callable[[FanOut], None] | None = None) -> FanOut:
    """One delivery per recipient of the event, deciding per person: now, a follow-up, or the digest.

    Written in chunks of ALERTS_BATCH_SIZE, each committed on its own: `on_committed` gets what each
    chunk leaves to send as soon as it is committed, so the first emails go out while the rest are
    still being written (5,000 deliveries take most of a second to write). A fan-out killed between
    chunks leaves its event `pending`; run again, it writes only the deliveries still missing, and
    the unique (event, subscription) pair would refuse a second one anyway.

    Flood control: the first change a person gets goes out at once; what they would get within
    ALERTS_FLOOD_WINDOW_SECONDS after it waits and goes out as one follow-up email. Past
    ALERTS_HOURLY_CAP own alerts in an hour, the rest wait for one follow-up when the hour is over.
    """
    now = timezone.now()
    window = timedelta(seconds=settings.ALERTS_FLOOD_WINDOW_SECONDS)
    result = FanOut()
    with _one_fan_out_at_a_time():
        event = (
            AlertEvent.objects.select_related("status_change__region", "corridor_change__corridor")
            .filter(pk=event_id, state=AlertEvent.State.PENDING)
            .first()
        )
        if event is None:  # fanned out already (a re-enqueued event), or gone
            return result
        recipients = selectors.with_recent_deliveries(
            selectors.not_yet_delivered(recipients_of(event), event), now, window
        ).values_list(*selectors.FLOOD_FIELDS, named=True)
        deliveries = [_delivery_for(event, recipient, now, window) for recipient in recipients]
        chunk_size = settings.ALERTS_BATCH_SIZE
        for start in range(0, len(deliveries), chunk_size):
            chunk = deliveries[start : start + chunk_size]
            with transaction.atomic():
                AlertDelivery.objects.bulk_create(chunk)
                committed = _what_to_send(chunk)
                if on_committed is not None:
                    transaction.on_commit(partial(on_committed, committed))
            result.send_now += committed.send_now
            result.batches.update(committed.batches)
        with transaction.atomic():
            AlertEvent.objects.filter(pk=event.pk).update(
                state=AlertEvent.State.FANNED_OUT,
                fanned_out_at=now,
                recipient_count=AlertDelivery.objects.filter(event=event).count(),
            )
    return result


# --- 3. The sweep, retries from the admin ------------------------------------------------------------


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
        events=list(selectors.unfinished_events(stale_before).order_by("created_at").values_list("pk", flat=True)),
        deliveries=list(
            selectors.deliveries_to_resend(now, stale_before, lease_expired_before)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        batches=list(selectors.subscriptions_with_due_batches(now, lease_expired_before)),
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
        transaction.on_commit(partial(enqueue_sends, own_ids, batches))
    return count


def enqueue_sends(delivery_ids: list[int], batches=(), countdown: int | None = None) -> None:
    from .tasks import send_batch_email, send_delivery_batch

    size = settings.ALERTS_BATCH_SIZE
    for start in range(0, len(delivery_ids), size):
        send_delivery_batch.apply_async(args=[delivery_ids[start : start + size]], countdown=countdown)
    for subscription_id, batch_kind in batches:
        send_batch_email.apply_async(args=[subscription_id, batch_kind])


# --- 4. Subscriptions --------------------------------------------------------------------------------


def create_subscription(*, actor: Actor, regions: list[Region], **fields) -> Subscription:
    """`{"email", "name", "regions"}` is enough; everything else has a default on the model."""
    with transaction.atomic():
        subscription = Subscription(organisation=actor.organisation, created_by=actor.user, **fields)
        save_validated(subscription, actor=actor, reason="Subscribed")
        subscription.regions.set(regions)
    return subscription


def create_subscription_from(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Save a subscription an admin form has filled in (its regions follow with the form's save_m2m)."""
    subscription.organisation = actor.organisation
    return save_validated(subscription, actor=actor, reason="Subscribed")


def update_subscription(*, subscription: Subscription, actor: Actor, regions: list[Region] | None = None, **fields):
    with transaction.atomic():
        for name, value in fields.items():
            setattr(subscription, name, value)
        save_validated(subscription, actor=actor, reason="Subscription changed")
        if regions is not None:
            subscription.regions.set(regions)
    return subscription


def resume_subscription(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Un-pause a subscription paused after failures (the address has been fixed)."""
    subscription.paused_at = None
    subscription.consecutive_failures = 0
    stamp(subscription, actor, "Resumed")
    subscription.save(update_fields=["paused_at", "consecutive_failures", "updated_at"])
    return subscription


def unsubscribe(*, subscription_id: int) -> Subscription | None:
    """The one-click unsubscribe: stops the subscription, and does nothing else. Idempotent."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or not subscription.active:
        return subscription
    subscription.active = False
    stamp(subscription, SYSTEM, "Unsubscribed from an alert email")
    subscription.save(update_fields=["active", "updated_at"])
    return subscription
