"""Step 2b of the alert pipeline, the fan-out: one AlertDelivery per recipient, and flood control.

fan_out() turns an event into one delivery per recipient (recipients.py), committed in chunks that are
sent as soon as each commits; the unique (event, subscription) pair and the event's `pending →
fanned_out` state make it run once, and a fan-out cut short writes only what is missing when run again.
Per recipient it decides: send now, wait for a follow-up (flood window, hourly cap), or the digest.
"""

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db import connection as db_connection
from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from access.models import AlertDelivery, AlertEvent, Subscription
from humtrack.dates import zone_info

from .choices import AlertMode, BatchKind, DeliveryStatus
from .recipients import recipients_of
from .worsening import could_jump_the_queue, is_worse_than_told, worst_told
from .zones import DEFAULT_TIME_ZONE

# Fan-outs run one at a time (see _one_fan_out_at_a_time); the key of their PostgreSQL advisory lock.
FAN_OUT_LOCK_KEY = 4_802_714_001
# A fan-out finding the lock taken tries again after this long, doubling up to the longest.
FAN_OUT_LOCK_FIRST_WAIT_SECONDS = 0.01
FAN_OUT_LOCK_LONGEST_WAIT_SECONDS = 0.2


# What fan_out decides each recipient's delivery on: the subscription's mode and with_recent_deliveries().
FLOOD_FIELDS = (
    "pk", "mode", "time_zone", "last_alert_at", "alerts_in_hour", "first_alert_in_hour", "follow_up_at", "via_region_id"
)  # fmt: skip


def not_yet_delivered(subscriptions: QuerySet[Subscription], event: AlertEvent) -> QuerySet[Subscription]:
    """Leave out who already has a delivery of this event: a fan-out cut short and run again."""
    return subscriptions.exclude(Exists(AlertDelivery.objects.filter(event=event, subscription=OuterRef("pk"))))


def with_recent_deliveries(subscriptions: QuerySet[Subscription], now: datetime, flood_window: timedelta):
    """Annotate what flood control and the hourly cap decide on, in the same query as the recipients.

    last_alert_at: the latest alert of its own within the flood window; alerts_in_hour / first_alert_in_hour:
    own alerts in the last hour; follow_up_at: when an already waiting follow-up goes out.
    """
    own = AlertDelivery.objects.filter(subscription=OuterRef("pk"), batch_kind=BatchKind.NONE).exclude(
        status=DeliveryStatus.SUPPRESSED
    )
    in_hour = own.filter(created_at__gte=now - timedelta(hours=1))
    waiting = AlertDelivery.objects.filter(
        subscription=OuterRef("pk"), batch_kind=BatchKind.FOLLOW_UP, status=DeliveryStatus.BATCHED
    )
    return subscriptions.annotate(
        last_alert_at=Subquery(
            own.filter(created_at__gte=now - flood_window).order_by("-created_at").values("created_at")[:1]
        ),
        alerts_in_hour=Subquery(in_hour.order_by().values("subscription").annotate(n=Count("pk")).values("n")[:1]),
        first_alert_in_hour=Subquery(
            in_hour.order_by().values("subscription").annotate(first=Min("created_at")).values("first")[:1]
        ),
        follow_up_at=Subquery(
            waiting.order_by().values("subscription").annotate(at=Min("send_after")).values("at")[:1]
        ),
    )


@dataclass
class FanOut:
    """What a fan-out leaves to send: deliveries to send now, and batched emails due later."""

    send_now: list[int] = field(default_factory=list)
    batches: dict[tuple[int, str], datetime] = field(default_factory=dict)


def next_digest_at(now: datetime, time_zone: str = DEFAULT_TIME_ZONE) -> datetime:
    """The next ALERTS_DIGEST_HOUR o'clock in the subscriber's zone (06:00 in Kabul is 01:30 UTC)."""
    zone = zone_info(time_zone)
    local_now = now.astimezone(zone)
    # Wall-clock arithmetic in the zone: 'tomorrow at six' stays six across a change of offset.
    local = local_now.replace(hour=settings.ALERTS_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if local <= local_now:
        local = (local_now + timedelta(days=1)).replace(
            hour=settings.ALERTS_DIGEST_HOUR, minute=0, second=0, microsecond=0
        )
    return local.astimezone(now.tzinfo)


@contextmanager
def _one_fan_out_at_a_time():
    """Fan-outs run one at a time, so flood control sees every earlier event's deliveries.

    Two workers fanning out two changes at once would each see no recent alert and both send one. On
    PostgreSQL the fan-out holds an advisory lock for its whole length, across the commits of its
    chunks: a transaction-level one (pg_try_advisory_xact_lock), in a transaction kept open on a
    connection of its own. Never a session-level lock on the worker's connection: through PgBouncer in
    transaction pooling each commit may hand the next transaction another PostgreSQL connection, and
    the unlock would miss the session holding the lock. A waiting fan-out polls rather than blocks, so
    that it holds no PostgreSQL connection while it waits (a pool's few would all be queued on one lock).
    A killed worker's lock goes with its connection. SQLite has no such lock: there the fan-out is one
    transaction, and SQLite allows one writer at a time.
    """
    if db_connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    lock_connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        lock_connection.set_autocommit(False)
        wait = FAN_OUT_LOCK_FIRST_WAIT_SECONDS
        while True:
            with lock_connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FAN_OUT_LOCK_KEY])
                (locked,) = cursor.fetchone()
            if locked:
                break
            lock_connection.rollback()  # gives the PostgreSQL connection back while it waits
            time.sleep(wait)
            wait = min(wait * 2, FAN_OUT_LOCK_LONGEST_WAIT_SECONDS)
        yield
        lock_connection.rollback()  # ends the transaction, and with it the lock
    finally:
        lock_connection.close()  # on an error too: closed, the session's transaction and lock end with it


def _delivery_for(
    event: AlertEvent, recipient, now: datetime, window: timedelta, worst: dict | None = None
) -> AlertDelivery:
    """One recipient's delivery: sent now, or gathered into a follow-up (flood, hourly cap) or the digest.
    `worst`: what each recipient was told (worsening.worst_told), for a change that may jump the queue."""
    delivery = AlertDelivery(
        event=event, subscription_id=recipient.pk, via_region_id=recipient.via_region_id, created_at=now
    )
    if recipient.mode == AlertMode.DIGEST:
        delivery.batch_kind, delivery.send_after = BatchKind.DIGEST, next_digest_at(now, recipient.time_zone)
    elif worst is not None and is_worse_than_told(event, recipient.pk, recipient.via_region_id, worst):
        pass  # a worsening beyond anything they were told goes out at once (worsening.py)
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
            send_after = cast(datetime, delivery.send_after)  # _delivery_for sets it with every batch_kind
            result.batches[key] = min(result.batches.get(key, send_after), send_after)
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
    Except a worsening beyond anything the person was told about that region: at once (worsening.py).
    A digest reader's changes wait for the digest hour in their own time zone.
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
        to_alert = not_yet_delivered(recipients_of(event), event)
        recipients = with_recent_deliveries(to_alert, now, window).values_list(*FLOOD_FIELDS, named=True)
        worst = worst_told(event, to_alert, now) if could_jump_the_queue(event) else None
        deliveries = [_delivery_for(event, recipient, now, window, worst) for recipient in recipients]
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
