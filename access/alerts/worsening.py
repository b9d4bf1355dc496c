"""A worsening is never held back: which changes go out at once, past the flood window and the hourly cap.

Flood control gathers what a person would get within minutes of an alert into one follow-up. That is
right for improvements and back-and-forth, and wrong for "severely constrained → inaccessible": a
field officer must not learn nine minutes late that the road is closed. The rule (issue 14 §4): a
change that leaves the region (or corridor) worse than anything the person has been told about it
within the look-back goes out at once. "Told" is what they were sent, or are being sent as an email of
its own, about that region or corridor in the last hour (the longest flood control looks back: the
hourly cap); a change no worse than that — a region closed again after it reopened — is back-and-forth
and waits for the follow-up. A daily digest stays a digest: its reader chose to hear once a day.
"""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from access.choices import AccessStatus, CorridorStatus
from access.models import AlertDelivery, AlertEvent, Subscription

from .choices import BatchKind, DeliveryStatus

LOOK_BACK = timedelta(hours=1)

# The corridor statuses on their ordered scale, as AccessStatus.rank orders a region's.
CORRIDOR_STATUS_ORDER: dict[str, int] = {CorridorStatus.OPEN: 0, CorridorStatus.RESTRICTED: 1, CorridorStatus.CLOSED: 2}

# A delivery has told its reader (sent), or is telling them now (an email of its own on its way).
TOLD = Q(status=DeliveryStatus.SENT) | Q(
    batch_kind=BatchKind.NONE, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
)


def _after_and_before_ranks(event: AlertEvent) -> tuple[int | None, int | None]:
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        return AccessStatus.rank(event.status_after), AccessStatus.rank(event.status_before)
    change = event.change  # a corridor change (AlertEvent's check constraint alert_event_one_change)
    return CORRIDOR_STATUS_ORDER.get(change.to_status), CORRIDOR_STATUS_ORDER.get(change.from_status)


def could_jump_the_queue(event: AlertEvent) -> bool:
    """Whether the change is a worsening at all: worse than the status before it, and not "accessible"
    or "open" (no change into the best status worsens anything). A correction of history that leaves
    the status in force as it was never is."""
    after, before = _after_and_before_ranks(event)
    if after is None or after == 0:
        return False
    if event.kind == AlertEvent.Kind.STATUS_CHANGE and not event.became_current:
        return False
    return before is None or after > before


def worst_told(event: AlertEvent, recipients: QuerySet[Subscription], now: datetime) -> dict[tuple[int, int], int]:
    """(subscription id, region or corridor id) → the worst status rank the person was told about it in
    the look-back, for the recipients of `event`. One query; regions are keyed by the region the email
    named (the followed one for an inherited status, else the changed one), corridors by the corridor."""
    told = AlertDelivery.objects.filter(TOLD, subscription__in=recipients.values("pk"), created_at__gte=now - LOOK_BACK)
    worst: dict[tuple[int, int], int] = {}
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        rows = told.filter(event__kind=AlertEvent.Kind.STATUS_CHANGE).values_list(
            "subscription_id", "via_region_id", "event__status_change__region_id", "event__status_after"
        )
        for subscription_id, via_region_id, region_id, status in rows:
            rank = AccessStatus.rank(status)
            key = (subscription_id, via_region_id or region_id)
            if rank is not None and rank > worst.get(key, -1):
                worst[key] = rank
        return worst
    corridor_id = event.change.corridor_id
    corridor_rows = told.filter(event__corridor_change__corridor_id=corridor_id).values_list(
        "subscription_id", "event__corridor_change__to_status"
    )
    for subscription_id, corridor_status in corridor_rows:
        key = (subscription_id, corridor_id)
        worst[key] = max(worst.get(key, -1), CORRIDOR_STATUS_ORDER.get(corridor_status, -1))
    return worst


def subject_of(event: AlertEvent, via_region_id: int | None) -> int:
    """The region (as the email names it) or corridor a delivery of `event` tells about."""
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        return via_region_id or event.change.region_id
    return event.change.corridor_id


def is_worse_than_told(event: AlertEvent, subscription_id: int, via_region_id: int | None, worst: dict) -> bool:
    after, _ = _after_and_before_ranks(event)
    return after is not None and after > worst.get((subscription_id, subject_of(event, via_region_id)), -1)
