"""The reads the situation page puts together, on top of access.selectors and needs.selectors.

Everything is read "at" a moment: now, or the end of the day a user picks (`as_of`), so the page
shows the picture as it stood that evening: the effective status in force then (a region's own record,
else its nearest ancestor's: access.selectors.status.with_effective_status), the restrictions and
outages that had started and not yet ended.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from access.choices import AccessStatus, SeverityLevel, StatusBasis
from access.models import (
    AccessRestriction,
    AidCorridor,
    CorridorStatusChange,
    Incident,
    Region,
    Source,
    StatusChange,
    UtilityOutage,
)
from access.models.in_force import in_force_q
from access.selectors.facts import (
    corridors_with_route,
    outages_in_force_at,
    outages_with_region,
    restrictions_in_force_at,
    restrictions_with_groups,
)
from access.selectors.regions import regions_within, stale_regions, within_filter
from access.selectors.severity import RegionSeverity, severities_for_month
from access.selectors.status import AttachedStatus, attach_effective_status, with_effective_status

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

_Fact = TypeVar("_Fact", bound=Model)

WHAT_CHANGED_LIMIT = 10
# A region with no status record on it or above it: not the UN's recorded "Unknown".
NO_INFORMATION = gettext_lazy("No information recorded")


def moment(as_of: date | None) -> datetime:
    """The end of the day `as_of` (in the site's time zone), or now."""
    if as_of is None:
        return timezone.now()
    return timezone.make_aware(datetime.combine(as_of, time.max))


def within_or_all(model_queryset: QuerySet[_Fact], within: str | None, region_field: str = "region") -> QuerySet[_Fact]:
    return model_queryset.filter(within_filter(within, region_field)) if within else model_queryset


def restrictions_active_at(at: datetime, within: str | None = None) -> QuerySet[AccessRestriction]:
    in_force = restrictions_in_force_at(at)
    restrictions = restrictions_with_groups(within_or_all(in_force, within))
    return restrictions.select_related("source").order_by("-starts_at", "id")


def outages_active_at(at: datetime, within: str | None = None) -> QuerySet[UtilityOutage]:
    in_force = outages_in_force_at(at)
    return outages_with_region(within_or_all(in_force, within)).select_related("source").order_by("-started_at", "id")


def stale_regions_at(at: datetime, queryset: QuerySet[Region]) -> QuerySet[Region]:
    """The regions stale at that moment (Panjshir on 31 August 2021 was stale, though confirmed on 1 September)."""
    return stale_regions(now=at, queryset=queryset)


def status_text(status: str | None, basis: str, status_from: Region | None) -> str:
    """The effective status in words: "Inaccessible", "Inaccessible — inherited from Panjsher (AF08)",
    or "No information recorded" (which is not the UN's recorded "Unknown")."""
    if not status:
        return str(NO_INFORMATION)
    label = AccessStatus(status).label
    if basis == StatusBasis.INHERITED and status_from is not None:
        return gettext("%(status)s — inherited from %(name)s (%(pcode)s)") % {
            "status": label,
            "name": status_from.localised_name(get_language() or "en"),
            "pcode": status_from.pcode,
        }
    return str(label)


class _AttachedStatusAndCounts(AttachedStatus):
    """A region as map_regions reads it: its effective status attached, its facts in force counted."""

    restrictions_at: int
    outages_at: int


@dataclass
class MapRegion:
    """A region as the map and the region list show it, with its effective status at the moment shown."""

    region: Region
    status: str | None  # None: nothing recorded on it or above it
    status_basis: str  # access.choices.StatusBasis
    status_from: Region | None  # the region whose record the status is (itself when recorded)
    status_change: StatusChange | None  # that record
    is_stale: bool
    active_restriction_count: int
    outages: list[UtilityOutage] = field(default_factory=list)
    # Set when the severity computed from the month's evidence disagrees strongly with the status
    # (access.selectors.severity, rule 8): the region is flagged for review, that severity is why.
    review: RegionSeverity | None = None

    @property
    def review_text(self) -> str:
        if self.review is None or self.review.overall is None:
            return ""
        return computed_severity_text(self.review.overall)

    @property
    def status_label(self) -> str:
        return str(AccessStatus(self.status).label) if self.status else str(NO_INFORMATION)

    @property
    def status_text(self) -> str:
        return status_text(self.status, self.status_basis, self.status_from)

    @property
    def is_inherited(self) -> bool:
        return self.status_basis == StatusBasis.INHERITED


def map_regions(*, within: str | None, at: datetime) -> list[MapRegion]:
    """The regions under `within` (all without it) that the map can draw or that have something to show.

    Eight queries: the regions with their effective status at `at` and counts, the status changes in
    force (with their sources and regions), the active outages, the stale flags and the four of the
    month's severities (the flags for review).
    """
    regions = regions_within(within) if within else Region.objects.all()
    restriction_active = in_force_q(AccessRestriction.START_FIELD, AccessRestriction.END_FIELD, at, "restrictions__")
    outage_active = in_force_q(UtilityOutage.START_FIELD, UtilityOutage.END_FIELD, at, "outages__")
    regions = with_effective_status(regions.defer("boundary"), at).annotate(
        restrictions_at=Count("restrictions", filter=restriction_active, distinct=True),
        outages_at=Count("outages", filter=outage_active, distinct=True),
    )
    # attach_effective_status returns the very objects it is given, so they keep the counts annotated above.
    shown = cast(
        "list[WithAnnotations[Region, _AttachedStatusAndCounts]]",
        attach_effective_status(
            regions.filter(
                Q(boundary__isnull=False)
                | Q(latitude__isnull=False)
                | Q(status_from_id=F("pk"))  # a record of its own in force
                | Q(restrictions_at__gt=0)
                | Q(outages_at__gt=0)
            ).order_by("path")
        ),
    )
    outages = defaultdict(list)
    for outage in outages_active_at(at, within):
        outages[outage.region_id].append(outage)
    stale = set(stale_regions_at(at, Region.objects.filter(pk__in=[r.pk for r in shown])).values_list("pk", flat=True))
    severities = severities_for_month(month=month_of(at), regions=shown)
    return [
        MapRegion(
            region=region,
            status=region.effective_change.to_status if region.effective_change else None,
            status_basis=region.status_basis,
            status_from=region.status_from,
            status_change=region.effective_change,
            is_stale=region.pk in stale,
            active_restriction_count=region.restrictions_at,
            outages=outages[region.pk],
            review=severities[region.pk] if severities[region.pk].flagged_for_review else None,
        )
        for region in shown
    ]


def month_of(at: datetime) -> date:
    """The month whose severity stands beside the picture at `at`: months are counted in UTC, as the
    incident log and ACAPS count them."""
    return at.astimezone(UTC).date().replace(day=1)


def computed_severity_text(level: int) -> str:
    return gettext("Computed from this month's evidence: %(level)s") % {"level": SeverityLevel(level).label}


def boundaries(regions: list[MapRegion]) -> dict[str, dict[str, Any]]:
    """p-code → GeoJSON geometry of those of `regions` with a boundary loaded (the map's base layer)."""
    shown = Region.objects.filter(pk__in=[r.region.pk for r in regions], boundary__isnull=False)
    # boundary__isnull=False: every value is a geometry (a JSON object), none is None.
    return cast(dict[str, dict[str, Any]], dict(shown.values_list("pcode", "boundary")))


@dataclass
class MapCorridor:
    corridor: AidCorridor
    status: str | None  # None: no status recorded by then
    status_change: CorridorStatusChange | None
    waypoints: list[Region]


def map_corridors(*, within: str | None, at: datetime) -> list[MapCorridor]:
    """Corridors with a waypoint under `within`, their regions in order and their status at `at`."""
    passing = AidCorridor.objects.all()
    if within:
        passing = passing.filter(within_filter(within, "regions")).distinct()
    # A waypoint without a centroid is drawn at its parent's (presenters.centroid).
    corridors = list(corridors_with_route(passing).prefetch_related("waypoints__region__parent"))
    in_force: dict[int, CorridorStatusChange] = {}
    changes = CorridorStatusChange.objects.filter(corridor__in=corridors, effective_at__lte=at).select_related("source")
    for change in changes.order_by("corridor_id", "effective_at", "id"):
        in_force[change.corridor_id] = change  # the last one in order is the one in force
    return [
        MapCorridor(
            corridor=corridor,
            status=in_force[corridor.pk].to_status if corridor.pk in in_force else None,
            status_change=in_force.get(corridor.pk),
            waypoints=[waypoint.region for waypoint in corridor.waypoints.all()],
        )
        for corridor in corridors
    ]


@dataclass
class WhatChanged:
    status_changes: list[StatusChange]
    new_restrictions: list[AccessRestriction]
    new_outages: list[UtilityOutage]


def what_changed(*, within: str | None, at: datetime, limit: int = WHAT_CHANGED_LIMIT) -> WhatChanged:
    """The latest status changes, restrictions and outages that had begun by `at`, with their sources."""
    status_changes = within_or_all(StatusChange.objects.filter(effective_at__lte=at), within)
    restrictions = within_or_all(AccessRestriction.objects.filter(starts_at__lte=at), within)
    outages = within_or_all(UtilityOutage.objects.filter(started_at__lte=at), within)
    return WhatChanged(
        status_changes=list(status_changes.select_related("region", "source").order_by("-effective_at", "-id")[:limit]),
        new_restrictions=list(
            restrictions_with_groups(restrictions).select_related("source").order_by("-starts_at", "-id")[:limit]
        ),
        new_outages=list(outages_with_region(outages).select_related("source").order_by("-started_at", "-id")[:limit]),
    )


# "What changed today": the day before the moment shown (now, or the end of the day picked).
RECENT_WINDOW = timedelta(hours=24)
# The most changes the list shows; a day of fighting can bring many district claims. It says when it cut.
RECENT_LIMIT = 50


class RecentKind:
    """What a line of "changed in the last 24 hours" says happened (templates compare these)."""

    STATUS = "status"
    RESTRICTION_STARTED = "restriction_started"
    RESTRICTION_ENDED = "restriction_ended"
    OUTAGE_STARTED = "outage_started"
    OUTAGE_ENDED = "outage_ended"
    CORRIDOR = "corridor"
    INCIDENT = "incident"


@dataclass(frozen=True)
class RecentChange:
    kind: str  # RecentKind
    happened_at: datetime
    region: Region | None  # None for a corridor (its regions are its waypoints)
    fact: StatusChange | AccessRestriction | UtilityOutage | CorridorStatusChange | Incident
    source: Source


@dataclass(frozen=True)
class RecentChanges:
    since: datetime
    until: datetime
    changes: list[RecentChange]  # newest first
    truncated: bool  # more happened than RECENT_LIMIT: the oldest are left out


def _between(field: str, since: datetime, until: datetime) -> Q:
    # Half-open at the start: a change at exactly `since` belongs to the day before.
    return Q(**{f"{field}__gt": since, f"{field}__lte": until})


def changed_in_last_day(
    *, within: str | None, at: datetime, window: timedelta = RECENT_WINDOW, limit: int = RECENT_LIMIT
) -> RecentChanges:
    """What changed in the `window` (24 hours) before `at` under `within`: status changes, restrictions
    and outages that began or ended, corridors' status changes and incidents, newest first.

    Each is dated by when it happened (effective_at, starts_at/ends_at, started_at/restored_at), not by
    when someone typed it in, so a past day reads the same whenever it is looked at; an incident by when
    it was reported, else when it occurred (what made it news that day). Seven queries, each bounded by
    `limit`; everyone who reads the page may read these lines (an incident's description and point are
    not among them: access.policies.can_read_incident_details).
    """
    since = at - window
    found: list[RecentChange] = []
    statuses = within_or_all(StatusChange.objects.filter(_between("effective_at", since, at)), within)
    found += [
        RecentChange(RecentKind.STATUS, change.effective_at, change.region, change, change.source)
        for change in statuses.select_related("region", "source").order_by("-effective_at", "-id")[:limit]
    ]
    restrictions = within_or_all(AccessRestriction.objects.select_related("region", "source"), within)
    found += [
        RecentChange(RecentKind.RESTRICTION_STARTED, r.starts_at, r.region, r, r.source)
        for r in restrictions.filter(_between("starts_at", since, at)).order_by("-starts_at", "-id")[:limit]
    ]
    found += [
        RecentChange(RecentKind.RESTRICTION_ENDED, cast(datetime, r.ends_at), r.region, r, r.source)
        for r in restrictions.filter(_between("ends_at", since, at)).order_by("-ends_at", "-id")[:limit]
    ]
    outages = within_or_all(UtilityOutage.objects.select_related("region", "source"), within)
    found += [
        RecentChange(RecentKind.OUTAGE_STARTED, o.started_at, o.region, o, o.source)
        for o in outages.filter(_between("started_at", since, at)).order_by("-started_at", "-id")[:limit]
    ]
    found += [
        RecentChange(RecentKind.OUTAGE_ENDED, cast(datetime, o.restored_at), o.region, o, o.source)
        for o in outages.filter(_between("restored_at", since, at)).order_by("-restored_at", "-id")[:limit]
    ]
    corridor_changes = CorridorStatusChange.objects.filter(_between("effective_at", since, at))
    if within:
        passing = AidCorridor.objects.filter(within_filter(within, "regions")).values("pk")
        corridor_changes = corridor_changes.filter(corridor__in=passing)
    found += [
        RecentChange(RecentKind.CORRIDOR, change.effective_at, None, change, change.source)
        for change in corridor_changes.select_related("corridor", "source").order_by("-effective_at", "-id")[:limit]
    ]
    incidents = within_or_all(Incident.objects.annotate(news_at=Coalesce("reported_at", "occurred_at")), within)
    found += [
        RecentChange(
            RecentKind.INCIDENT,
            incident.reported_at or incident.occurred_at,
            incident.region,
            incident,
            incident.source,
        )
        for incident in incidents.filter(_between("news_at", since, at))
        .select_related("region", "source")
        .order_by("-news_at", "-id")[:limit]
    ]
    found.sort(key=lambda change: change.happened_at, reverse=True)  # stable: ties keep the order above
    return RecentChanges(since=since, until=at, changes=found[:limit], truncated=len(found) > limit)


def default_area() -> Region | None:
    """The area the page shows without a `within` filter: the top of the hierarchy."""
    return Region.objects.filter(parent__isnull=True).order_by("path").first()
