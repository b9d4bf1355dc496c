"""Lists of corridors, restrictions, outages and sources with what a list shows, in constant queries."""

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from access.models import AccessRestriction, AidCorridor, CorridorWaypoint, Source, UtilityOutage


def corridors_with_route(queryset: QuerySet[AidCorridor] | None = None) -> QuerySet[AidCorridor]:
    """Corridors with their origin, destination and ordered waypoints' regions (two queries)."""
    queryset = AidCorridor.objects.all() if queryset is None else queryset
    route = CorridorWaypoint.objects.select_related("region").order_by("position")
    return queryset.select_related("origin", "destination", "organisation").prefetch_related(
        Prefetch("waypoints", queryset=route)
    )


def restrictions_with_groups(queryset: QuerySet[AccessRestriction] | None = None) -> QuerySet[AccessRestriction]:
    """Restrictions with their region and affected groups (two queries)."""
    queryset = AccessRestriction.objects.all() if queryset is None else queryset
    return queryset.select_related("region", "organisation").prefetch_related("affected_groups")


def outages_with_region(queryset: QuerySet[UtilityOutage] | None = None) -> QuerySet[UtilityOutage]:
    queryset = UtilityOutage.objects.all() if queryset is None else queryset
    return queryset.select_related("region", "organisation")


def sources_listed(queryset: QuerySet[Source] | None = None) -> QuerySet[Source]:
    queryset = Source.objects.all() if queryset is None else queryset
    return queryset.select_related("organisation")


# In force at a moment: started by then and not yet ended. One rule for the API's `in_force_at`
# filters and the situation page's past days.
def restrictions_in_force_at(at: datetime, queryset: QuerySet[AccessRestriction] | None = None):
    queryset = AccessRestriction.objects.all() if queryset is None else queryset
    return queryset.filter(Q(starts_at__lte=at) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at)))


def outages_in_force_at(at: datetime, queryset: QuerySet[UtilityOutage] | None = None):
    queryset = UtilityOutage.objects.all() if queryset is None else queryset
    return queryset.filter(Q(started_at__lte=at) & (Q(restored_at__isnull=True) | Q(restored_at__gt=at)))
