"""Regions by place (within an area, by search), by freshness (stale, fresh) and with a list's summary."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from access.choices import Confidence
from access.models import AccessRestriction, Region, StatusChange, UtilityOutage
from access.models.in_force import in_force_q
from access.selectors.status import with_effective_status


def region_path(pcode: str) -> Subquery:
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


def within_region_filter(region: Region, region_field: str = "region") -> Q:
    """within_filter for a region already read: its path as a constant, not a sub-query. The planner
    then knows how many regions the prefix matches (a sub-query's pattern it cannot see, and guesses
    "a few": a country's page of figures then sorted every figure of the country before taking 500)."""
    prefix = f"{region_field}__" if region_field else ""
    return Q(**{f"{prefix}path__startswith": region.path})


# Arabic letters that Dari and Pashto write with their Persian forms: a name typed on an Arabic
# keyboard (ي, ك) finds the same region as one typed on a Dari one (ی, ک).
ARABIC_TO_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})


def search_regions(text: str, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    """By p-code, name in English, Dari or Pashto, or another spelling (Panjshir and پنجشیر find Panjsher)."""
    queryset = Region.objects.all() if queryset is None else queryset
    text = text.strip()
    local = text.translate(ARABIC_TO_PERSIAN_LETTERS)
    return queryset.filter(
        Q(pcode__iexact=text)
        | Q(name__icontains=text)
        | Q(alternative_names__icontains=text)
        | Q(name_fa_af__icontains=local)
        | Q(name_ps__icontains=local)
    )


def stale_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.HUMTRACK_STALE_AFTER_DAYS)


def confirmed_update_between(cutoff: datetime, now: datetime, region_ref: str = "pk") -> Exists:
    """A confirmed update effective in [cutoff, now] of the region `region_ref` names: on a past day,
    later updates do not count."""
    return Exists(
        StatusChange.objects.filter(
            region=OuterRef(region_ref),
            confidence=Confidence.CONFIRMED,
            effective_at__gte=cutoff,
            effective_at__lte=now,
        )
    )


def _shown_record_confirmed(queryset: QuerySet[Region], now: datetime | None) -> tuple[QuerySet[Region], Exists]:
    """Freshness is the freshness of the record a region shows: its own, or for an inherited status its
    ancestor's (a district inheriting yesterday's confirmed Panjshir status is not stale). A region with
    nothing recorded on or above it is stale."""
    if "status_from_id" not in queryset.query.annotations:
        queryset = with_effective_status(queryset, at=now)
    at = now or timezone.now()
    return queryset, confirmed_update_between(stale_cutoff(at), at, region_ref="status_from_id")


def stale_regions(now: datetime | None = None, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    """Regions whose shown record had no confirmed update in the HUMTRACK_STALE_AFTER_DAYS days up to `now`."""
    queryset, confirmed = _shown_record_confirmed(Region.objects.all() if queryset is None else queryset, now)
    return queryset.exclude(confirmed)


def fresh_regions(now: datetime | None = None, queryset: QuerySet[Region] | None = None) -> QuerySet[Region]:
    queryset, confirmed = _shown_record_confirmed(Region.objects.all() if queryset is None else queryset, now)
    return queryset.filter(confirmed)


def active_counts(at: datetime) -> dict[str, Count]:
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
