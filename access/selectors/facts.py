"""Lists of corridors, restrictions, outages and sources with what a list shows, in constant queries."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from access.models import AccessRestriction, AidCorridor, CorridorWaypoint, Source, UtilityOutage
from access.models.in_force import in_force_q


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


# In force at a moment: started by then and not yet ended (access.models.in_force). One rule for
# `is_active`, the API's `active` and `in_force_at` filters, a region's active counts and the
# situation page's past days.
def restrictions_in_force_at(
    at: datetime, queryset: QuerySet[AccessRestriction] | None = None
) -> QuerySet[AccessRestriction]:
    queryset = AccessRestriction.objects.all() if queryset is None else queryset
    return queryset.filter(in_force_q(AccessRestriction.START_FIELD, AccessRestriction.END_FIELD, at))


def outages_in_force_at(at: datetime, queryset: QuerySet[UtilityOutage] | None = None) -> QuerySet[UtilityOutage]:
    queryset = UtilityOutage.objects.all() if queryset is None else queryset
    return queryset.filter(in_force_q(UtilityOutage.START_FIELD, UtilityOutage.END_FIELD, at))
