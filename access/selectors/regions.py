from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from access.choices import Confidence
from access.models import AccessRestriction, Region, StatusChange, UtilityOutage
from access.models.in_force import in_force_q


def region_path(pcode: str):
    """A sub-query for a region's path, so 'within' filters stay one query."""
    return Subquery(Region.objects.filter(pcode=pcode).values("path")[:1])


def regions_within(pcode: str, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    """The region with this p-code and everything under it, in one query (a path prefix match)."""
    queryset = Region.objects.all() if queryset is None else queryset
    return queryset.filter(path__startswith=region_path(pcode))


def within_filter(pcode: str, region_field: str = "region") -> Q:
    """A Q for facts whose region lies in the region with this p-code (or is it); "" for regions."""
    prefix = f"{region_field}__" if region_field else ""
    return Q(**{f"{prefix}path__startswith": region_path(pcode)})


def search_regions(text: str, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    """By p-code, name or another spelling (Panjshir finds Panjsher)."""
    queryset = Region.objects.all() if queryset is None else queryset
    text = text.strip()
    return queryset.filter(Q(pcode__iexact=text) | Q(name__icontains=text) | Q(alternative_names__icontains=text))


def stale_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.HUMTRACK_STALE_AFTER_DAYS)


def confirmed_update_between(cutoff: datetime, now: datetime) -> Exists:
    """A confirmed update effective in [cutoff, now]: on a past day, later updates do not count."""
    return Exists(
        StatusChange.objects.filter(
            region=OuterRef("pk"), confidence=Confidence.CONFIRMED, effective_at__gte=cutoff, effective_at__lte=now
        )
    )


def stale_regions(now: datetime | None = None, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    """Regions with no confirmed status update in the HUMTRACK_STALE_AFTER_DAYS days up to `now`."""
    now = now or timezone.now()
    queryset = Region.objects.all() if queryset is None else queryset
    return queryset.exclude(confirmed_update_between(stale_cutoff(now), now))


def fresh_regions(now: datetime | None = None, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    now = now or timezone.now()
    queryset = Region.objects.all() if queryset is None else queryset
    return queryset.filter(confirmed_update_between(stale_cutoff(now), now))


def active_counts(at: datetime) -> dict:
    """A region's restrictions and outages in force at `at` (the rule of `is_active`), as annotations.

    A count changes when a fact is recorded, edited, moved, ended or deleted (the services and
    access.services.sync touch the region then) and when a start or end recorded in advance comes
    (the sweep touches it), so a syncing partner sees it change.
    """
    restriction, outage = AccessRestriction, UtilityOutage
    return {
        "active_restriction_count": Count(
            "restrictions",
            filter=in_force_q(restriction.START_FIELD, restriction.END_FIELD, at, prefix="restrictions__"),
            distinct=True,
        ),
        "active_outage_count": Count(
            "outages", filter=in_force_q(outage.START_FIELD, outage.END_FIELD, at, prefix="outages__"), distinct=True
        ),
    }


def regions_with_summary(queryset: QuerySet[Region] | None = None, now: datetime | None = None) -> QuerySet[Region]:
    """Regions with what a list shows: parent, current change and its source, counts active `now`."""
    queryset = Region.objects.all() if queryset is None else queryset
    return queryset.select_related("parent", "current_status_change", "current_status_change__source").annotate(
        **active_counts(now or timezone.now())
    )
