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
from typing import Any, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db import connection as db_connection
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from access.models import AlertDelivery, AlertEvent, Subscription
from humtrack.bulk_insert import insert_new
from humtrack.dates import zone_info

from .choices import AlertMode, BatchKind, DeliveryStatus
from .recipients import recipients_of
from .worsening import could_jump_the_queue, is_worse_than_told, worst_told
from .zones import DEFAULT_TIME_ZONE

# Fan-outs take turns, chunk by chunk (see _FanOutTurns); the key of their PostgreSQL advisory lock.
FAN_OUT_LOCK_KEY = 4_802_714_001
# A fan-out waits for its turn in PostgreSQL's queue for the lock, which grants it in the order asked (so
# that a fan-out between two of its chunks cannot take the lock again before one already waiting), for at
# most this long at a time; then it lets go of its connection for a moment and queues again, so that
# waiting fan-outs never hold a pool's connections for long (through PgBouncer, the fan-out holding the lock
# needs one for its chunk's writes).
FAN_OUT_LOCK_QUEUE_MS = 100
FAN_OUT_LOCK_PAUSE_SECONDS = 0.005
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ends a wait


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
    # A later chunk of the event's fan-out (on_committed's): its sends may wait behind other events' first.
    later_chunk: bool = False
    # The last chunk of the event's fan-out (on_committed's).
    last_chunk: bool = True

    @property
    def whole_fan_out(self) -> bool:
        """The event's only chunk: a change to at most ALERTS_BATCH_SIZE people, which the fan-out's task
        sends itself (tasks.fan_out_event), one queue hop instead of two."""
        return self.last_chunk and not self.later_chunk


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


class _FanOutTurns:
    """Fan-outs take turns, chunk by chunk, so that flood control sees every earlier chunk's deliveries.

    Each chunk's decisions (who had an alert within the flood window, who was told what) are read and
    written in one turn: two workers fanning out two changes at once can never each see no recent alert
    and both send one. Turns are chunks, not whole fan-outs, so that a change to a few people is not held
    up behind another change's 5,000 (issue 17 §3: commit to first email within half a second while a
    large fan-out runs); a chunk is ALERTS_BATCH_SIZE deliveries, a few tens of milliseconds.

    On PostgreSQL a turn is an advisory lock, a transaction-level one (pg_advisory_xact_lock under a
    lock_timeout), held in a transaction on a connection of its own across the chunk's commit on the
    worker's connection.
    Never a session-level lock on the worker's connection: through PgBouncer in transaction pooling each
    commit may hand the next transaction another PostgreSQL connection, and the unlock would miss the
    session holding the lock. Turns are granted in the order asked: a fan-out queues for the lock in
    PostgreSQL, which grants it to the first waiter when the holder commits a chunk, before the holder can
    take it again for its next one; it queues for at most FAN_OUT_LOCK_QUEUE_MS at a time and then lets go
    of its connection for a moment, so that waiting fan-outs never hold a pool's connections for long (a
    pool's few all queued on one lock would leave none for the holder's own writes). A killed worker's lock
    goes with its connection. SQLite has no such lock: there a turn is the chunk's
    transaction, and SQLite allows one writer at a time.
    """

    def __init__(self):
        self._lock_connection = None

    def __enter__(self) -> "_FanOutTurns":
        if db_connection.vendor == "postgresql":
            self._lock_connection = connections.create_connection(DEFAULT_DB_ALIAS)
            self._lock_connection.set_autocommit(False)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._lock_connection is not None:
            # On an error too: closed, the session's transaction and lock end with it.
            self._lock_connection.close()

    @contextmanager
    def turn(self):
        """One chunk's turn: nobody else's fan-out reads or writes deliveries until it has committed."""
        lock_connection = self._lock_connection
        if lock_connection is None:
            with transaction.atomic():
                yield
            return
        while True:
            with lock_connection.cursor() as cursor:
                try:
                    # SET LOCAL, for this transaction only: set_config(…, true).
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{FAN_OUT_LOCK_QUEUE_MS}ms"])
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FAN_OUT_LOCK_KEY])
                    break
                except OperationalError as error:
                    if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                        raise
            lock_connection.rollback()  # gives the PostgreSQL connection back for a moment
            time.sleep(FAN_OUT_LOCK_PAUSE_SECONDS)
        try:
            with transaction.atomic():  # the chunk's commit (and its on_commit sends) inside the turn
                yield
        finally:
            lock_connection.rollback()  # ends the lock's transaction, and with it the lock


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


def _flood_rows(subscriptions: QuerySet[Subscription], now: datetime, window: timedelta) -> dict[int, Any]:
    rows = with_recent_deliveries(subscriptions, now, window).values_list(*FLOOD_FIELDS, named=True)
    return {row.pk: row for row in rows}


def _by_ids(subscription_ids: list[int]) -> QuerySet[Subscription]:
    # By ids, not the recipients' query as a sub-query: with that one, the planner chose a plan that took
    # minutes for a chunk of 200 (PostgreSQL 15, a table being filled).
    return Subscription.objects.filter(pk__in=subscription_ids)


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
    with _FanOutTurns() as turns:
        event = (
            AlertEvent.objects.select_related("status_change__region", "corridor_change__corridor")
            .filter(pk=event_id, state=AlertEvent.State.PENDING)
            .first()
        )
        if event is None:  # fanned out already (a re-enqueued event), or gone
            return result
        jumps = could_jump_the_queue(event)
        chunk_size = settings.ALERTS_BATCH_SIZE
        # The recipients still without a delivery of this event (a run cut short and run again writes only
        # what is missing), ids only; what flood control decides on is read in the turns below.
        recipient_ids = sorted(set(not_yet_delivered(recipients_of(event), event).values_list("pk", flat=True)))
        recipients: dict[int, Any] = {}  # subscription id: what flood control decides on (FLOOD_FIELDS)
        worst: dict | None = {} if jumps else None
        newest_seen = 0  # the newest delivery id when this fan-out's last turn ended
        start = 0
        while start == 0 or start < len(recipient_ids):
            with turns.turn():
                chunk_ids = recipient_ids[start : start + chunk_size]
                # One read of their deliveries: this event's (a second run of the event at once, the
                # sweep's, wrote some already) and, after the second turn, any other since this fan-out's
                # last turn.
                written = Q(event=event) | Q(pk__gt=newest_seen) if start > chunk_size else Q(event=event)
                seen = AlertDelivery.objects.filter(written, subscription_id__in=chunk_ids)
                delivered, others_since = set(), False
                for subscription_id, event_id in seen.values_list("subscription_id", "event_id"):
                    if event_id == event.pk:
                        delivered.add(subscription_id)
                    else:
                        others_since = True
                if start <= chunk_size:
                    # The first turn reads its own chunk's people, so that their emails leave after one
                    # chunk's reads and not everyone's (5,000 people's took 150 ms); the second reads all
                    # the others at once (one query: a chunk's own costs most of a whole one's).
                    ids = chunk_ids if start == 0 else recipient_ids[start:]
                    recipients.update(_flood_rows(recipients_of(event).filter(pk__in=ids), now, window))
                    if worst is not None:
                        worst.update(worst_told(event, _by_ids(ids), now))
                elif others_since:
                    # Another fan-out wrote to some of them between two of this one's turns: read again.
                    recipients.update(_flood_rows(recipients_of(event).filter(pk__in=chunk_ids), now, window))
                    if worst is not None:
                        worst.update(worst_told(event, _by_ids(chunk_ids), now))
                # Someone who stopped following the region since the ids were read is no longer a recipient.
                deliveries = [
                    _delivery_for(event, recipients[pk], now, window, worst)
                    for pk in chunk_ids
                    if pk in recipients and pk not in delivered
                ]
                insert_new(AlertDelivery, deliveries, now=now)
                # Every delivery is written in a turn: none newer than this until this fan-out's next turn
                # but other fan-outs'.
                newest_seen = AlertDelivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                committed = _what_to_send(deliveries)
                committed.later_chunk = start > 0
                committed.last_chunk = start + chunk_size >= len(recipient_ids)
                if on_committed is not None and deliveries:
                    transaction.on_commit(partial(on_committed, committed))
            result.send_now += committed.send_now
            result.batches.update(committed.batches)
            start += chunk_size
        with transaction.atomic():
            AlertEvent.objects.filter(pk=event.pk).update(
                state=AlertEvent.State.FANNED_OUT,
                fanned_out_at=now,
                recipient_count=AlertDelivery.objects.filter(event=event).count(),
            )
    return result
