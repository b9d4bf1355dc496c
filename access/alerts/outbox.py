"""Step 1 of the alert pipeline, the outbox: an AlertEvent written in the transaction of the change.

A status or corridor change writes its event in its own transaction (record_*_event): rolled back with
it, absent for a no-op or a silent change. On commit the event is enqueued (enqueue.py); if the broker
is down it stays `pending` and the sweep (sweep.py) enqueues it again. What the change did to the
status people see is read here, at the time of the change, and kept on the event: the fan-out and the
emails run later, when other changes may have followed.
"""

from dataclasses import dataclass
from functools import partial
from typing import cast

from django.db import transaction

from access.models import AlertEvent, CorridorStatusChange, Region, StatusChange
from access.selectors.status import effective_status_of, regions_taking_status_from

from . import enqueue


@dataclass(frozen=True)
class StatusSeen:
    """What a status change did to the effective status (access.selectors.status) of the changed region
    and of every region under it that takes its status from the region's record: the same before → after
    for all of them, since none between them and the region has a record of its own."""

    before: str  # "" when no information was recorded on the region or above it
    before_from_id: int | None  # whose record it was: the region itself, or the ancestor it took it from
    after: str
    reached_region_ids: list[int]


def status_seen_around(change: StatusChange, *, became_current: bool) -> StatusSeen:
    """Read right after the change is saved, in its transaction. `from_status` is the region's own record
    before (or ""), not necessarily what people saw: with no record of its own the region showed its
    nearest recorded ancestor's status. A change that did not become current (back-dated behind a later
    one) changes no status in force: before and after are both the region's current record."""
    region = change.region
    reached = list(regions_taking_status_from(region).values_list("pk", flat=True))
    if not became_current:
        in_force = effective_status_of(region)
        # A later record on the region itself keeps this change out of force: the region has a status.
        status = cast(str, in_force.effective_status)
        return StatusSeen(status, in_force.status_from_id, status, reached)
    if change.from_status:
        return StatusSeen(change.from_status, region.pk, change.to_status, reached)
    if region.parent_id is None:
        return StatusSeen("", None, change.to_status, reached)
    above = effective_status_of(Region(pk=region.parent_id))
    return StatusSeen(above.effective_status or "", above.status_from_id, change.to_status, reached)


def record_status_change_event(change: StatusChange, *, became_current: bool) -> AlertEvent | None:
    """Call inside the transaction that records the change, after the region's current status is kept:
    the event commits or rolls back with it. `became_current`: the change is now the region's status in
    force (False for a back-dated change behind a later one). What the change did to the status people
    see, and which regions take their status from it, is read now and kept on the event: the fan-out
    and the emails run later, when other changes may have followed."""
    if change.silent:
        return None
    seen = status_seen_around(change, became_current=became_current)
    event = AlertEvent.objects.create(
        kind=AlertEvent.Kind.STATUS_CHANGE,
        status_change=change,
        became_current=became_current,
        status_before=seen.before,
        status_before_from_id=seen.before_from_id,
        status_after=seen.after,
    )
    event.reached_regions.set(seen.reached_region_ids)
    transaction.on_commit(partial(enqueue.enqueue_event, event.pk))
    return event


def record_corridor_change_event(change: CorridorStatusChange) -> AlertEvent | None:
    if change.silent:
        return None
    event = AlertEvent.objects.create(kind=AlertEvent.Kind.CORRIDOR_CHANGE, corridor_change=change)
    transaction.on_commit(partial(enqueue.enqueue_event, event.pk))
    return event
