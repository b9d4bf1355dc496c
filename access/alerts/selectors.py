"""Reads for the alert pipeline: who follows a change, and what is due."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, Exists, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value, When

from access.choices import ACCESS_STATUS_ORDER, AccessStatus, CorridorStatus
from access.models import (
    AlertDelivery,
    AlertEvent,
    CorridorStatusChange,
    CorridorWaypoint,
    Region,
    StatusChange,
    Subscription,
)
from access.models.alerts import AlertMode, AlertTrigger, BatchKind, DeliveryStatus
from access.models.regions import PATH_SEPARATOR
from access.selectors.coordinators import editable_region_filter
from access.selectors.status import effective_status_of, regions_taking_status_from

CORRIDOR_STATUS_ORDER = {CorridorStatus.OPEN: 0, CorridorStatus.RESTRICTED: 1, CorridorStatus.CLOSED: 2}


def ancestor_paths(path: str) -> list[str]:
    """ "AF/AF08/AF0806/" → ["AF/", "AF/AF08/", "AF/AF08/AF0806/"]: the region and everything above it."""
    parts = path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(parts[: i + 1]) + PATH_SEPARATOR for i in range(len(parts))]


def follows_any_of(regions: list[Region]) -> Exists:
    """True for a subscription that follows one of `regions`, or an ancestor of one with descendants included.

    The materialised path gives every ancestor from the region's own row, so this is a single indexed
    `path IN (...)` lookup, whatever the depth of the tree.
    """
    own_paths = {region.path for region in regions}
    above_paths = {path for region in regions for path in ancestor_paths(region.path)} - own_paths
    followed = Subscription.regions.through.objects.filter(subscription=OuterRef("pk")).filter(
        Q(region__path__in=own_paths) | Q(region__path__in=above_paths, subscription__include_descendants=True)
    )
    return Exists(followed)


def subscriptions_visible_to(user) -> QuerySet[Subscription]:
    """The subscriptions a staff user may see: all for a superuser; for a coordinator those it created
    and those following a region it covers. They hold people's addresses, which coordinators of
    other provinces have no need of."""
    subscriptions = Subscription.objects.all()
    if getattr(user, "is_superuser", False):
        return subscriptions
    covered = Subscription.regions.through.objects.filter(editable_region_filter(user, "region"))
    return subscriptions.filter(Q(pk__in=covered.values("subscription_id")) | Q(created_by=user))


def receiving_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(active=True, paused_at__isnull=True)


def crossed_thresholds(from_status: str, to_status: str) -> list[str]:
    """The levels a change enters from below: constrained → inaccessible crosses severely_constrained too."""
    to_rank = AccessStatus.rank(to_status)
    from_rank = AccessStatus.rank(from_status)
    if to_rank is None:
        return []
    return [
        level
        for level, rank in ACCESS_STATUS_ORDER.items()
        if rank <= to_rank and (from_rank is None or from_rank < rank)
    ]


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
        return StatusSeen(in_force.effective_status, in_force.status_from_id, in_force.effective_status, reached)
    if change.from_status:
        return StatusSeen(change.from_status, region.pk, change.to_status, reached)
    if region.parent_id is None:
        return StatusSeen("", None, change.to_status, reached)
    above = effective_status_of(Region(pk=region.parent_id))
    return StatusSeen(above.effective_status or "", above.status_from_id, change.to_status, reached)


def subscriptions_for_status_change(change: StatusChange) -> QuerySet[Subscription]:
    """Everyone to alert about a region's status change: who follows a region whose effective status it
    is (the region, or one under it that takes its status from the region's record; or an ancestor of one
    of those, with descendants included), whose trigger the change meets as those regions see it (the
    effective status before → after, captured on the event). A district with a record of its own does
    not see its province's change, and a correction of history (a back-dated change that a later one
    keeps out of force) changes no status in force: only `any` subscribers hear of it.

    Annotates `via_region_id`: the followed region named in the email when the recipient follows
    neither the changed region nor an ancestor of it, but a region that inherits its status.
    """
    event = change.alert_event
    wanted = Q(trigger=AlertTrigger.ANY)
    if event.became_current:
        if AccessStatus.is_worsening(event.status_before, event.status_after):
            wanted |= Q(trigger=AlertTrigger.WORSENING)
        crossed = crossed_thresholds(event.status_before, event.status_after)
        if crossed:
            wanted |= Q(trigger=AlertTrigger.CROSSING, threshold_status__in=crossed)
    reached = list(event.reached_regions.only("path"))
    recipients = receiving_subscriptions().filter(wanted).filter(follows_any_of(reached))
    return recipients.annotate(via_region_id=_followed_heir(change.region, reached))


def _followed_heir(region: Region, reached: list[Region]):
    """The first region (by path: the highest) a subscription follows among those under `region` that take
    its status, unless it follows `region` itself or an ancestor of it with descendants included."""
    heirs = [r.pk for r in reached if r.pk != region.pk]
    if not heirs:
        return Value(None, output_field=IntegerField())
    follows = Subscription.regions.through.objects.filter(subscription=OuterRef("pk"))
    above = set(ancestor_paths(region.path)) - {region.path}
    sees_the_region = Exists(
        follows.filter(Q(region=region) | Q(region__path__in=above, subscription__include_descendants=True))
    )
    heir = follows.filter(region__in=heirs).order_by("region__path").values("region_id")[:1]
    return Case(When(sees_the_region, then=Value(None)), default=Subquery(heir), output_field=IntegerField())


def subscriptions_for_corridor_change(change: CorridorStatusChange) -> QuerySet[Subscription]:
    """Everyone following a region the corridor passes through who wants corridor alerts.

    Corridors have no access level to cross: 'worsening' and 'crossing' subscribers hear of a corridor
    that restricts or closes, 'any' subscribers of every change.
    """
    wanted = Q(trigger=AlertTrigger.ANY)
    old_rank = CORRIDOR_STATUS_ORDER.get(change.from_status)
    if old_rank is None or CORRIDOR_STATUS_ORDER[change.to_status] > old_rank:
        wanted |= Q(trigger__in=[AlertTrigger.WORSENING, AlertTrigger.CROSSING])
    corridor = change.corridor
    on_route = CorridorWaypoint.objects.filter(corridor=corridor).values("region")
    regions = list(
        Region.objects.filter(Q(pk__in=on_route) | Q(pk__in=[corridor.origin_id, corridor.destination_id])).only("path")
    )
    recipients = receiving_subscriptions().filter(include_corridors=True).filter(wanted).filter(follows_any_of(regions))
    return recipients.annotate(via_region_id=Value(None, output_field=IntegerField()))


# What fan_out decides each recipient's delivery on: the subscription's mode and with_recent_deliveries().
FLOOD_FIELDS = ("pk", "mode", "last_alert_at", "alerts_in_hour", "first_alert_in_hour", "follow_up_at", "via_region_id")


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


def deliveries_with_content(queryset: QuerySet[AlertDelivery]) -> list[AlertDelivery]:
    """Deliveries with everything an email shows, in two queries: the deliveries with their subscriptions,
    then their events with the changes they announce, each event loaded once and shared by its copies.

    (One query joining everything repeated an event's columns on every row: a batch of 200 copies of
    one alert parsed the same change, region, source and people 200 times, a quarter of sending's time.)
    """
    deliveries = list(queryset.select_related("subscription", "via_region").order_by("event__created_at", "event_id"))
    events = AlertEvent.objects.select_related(
        "status_before_from",
        "status_change__region",
        "status_change__source",
        "status_change__recorded_by",
        "status_change__organisation",
        "corridor_change__corridor__origin",
        "corridor_change__source",
        "corridor_change__recorded_by",
        "corridor_change__organisation",
    ).in_bulk({delivery.event_id for delivery in deliveries})
    for delivery in deliveries:
        delivery.event = events[delivery.event_id]
    return deliveries


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


def digest_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(mode=AlertMode.DIGEST)


def status_change_events(within: str | None = None) -> QuerySet[AlertEvent]:
    """Status-change alerts for the CAP feed, newest first, optionally within a region (p-code)."""
    from access.selectors.regions import within_filter

    events = AlertEvent.objects.filter(kind=AlertEvent.Kind.STATUS_CHANGE).select_related(
        "status_before_from",
        "status_change__region",
        "status_change__source",
        "status_change__organisation",
        "status_change__recorded_by",
    )
    if within:
        # Within a region: a change that reaches a region there, its own or one it gives its status to
        # (Panjsher's change is within AF0801 when Bazarak takes Panjsher's status).
        reaches = AlertEvent.reached_regions.through.objects.filter(alertevent=OuterRef("pk"))
        events = events.filter(Exists(reaches.filter(within_filter(within, "region"))))
    return events.order_by("-created_at", "-id")
