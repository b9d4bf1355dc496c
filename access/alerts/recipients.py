"""Step 2a of the alert pipeline, who hears of a change: the fan-out's recipients, in one query.

The subscriptions following one of the regions a change reaches (kept on its event, see outbox.py) or,
with descendants included, one of their ancestors (a region's materialised `path` lists them), filtered
by trigger as those regions see the change. fan_out.py decides, per recipient, when they hear of it.
"""

from typing import cast

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from access.choices import ACCESS_STATUS_ORDER, AccessStatus, CorridorStatus
from access.models import AlertEvent, CorridorStatusChange, CorridorWaypoint, Region, StatusChange, Subscription
from access.models.regions import PATH_SEPARATOR

from .choices import AlertTrigger

CORRIDOR_STATUS_ORDER: dict[str, int] = {CorridorStatus.OPEN: 0, CorridorStatus.RESTRICTED: 1, CorridorStatus.CLOSED: 2}


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


def recipients_of(event: AlertEvent) -> QuerySet[Subscription]:
    """Everyone to alert about the event's change, annotated with `via_region_id` (see above)."""
    # An event has the change of its kind (AlertEvent's check constraint alert_event_one_change).
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        return subscriptions_for_status_change(cast(StatusChange, event.status_change))
    return subscriptions_for_corridor_change(cast(CorridorStatusChange, event.corridor_change))
