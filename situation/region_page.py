"""The region page an alert email's links open: one region as one subscriber may see it, in their
language and time zone.

It reads what the situation page reads (access.selectors.status.effective_status_of for the effective
status rule, situation.selectors for the facts in force) and shows only what a subscriber may see:
statuses, reasons, sources and confidence, never who recorded them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from access.alerts.zones import default_time_zone
from access.choices import StatusBasis
from access.models import AccessRestriction, Region, Source, StatusChange, Subscription, UtilityOutage
from access.models.regions import PATH_SEPARATOR
from access.selectors.regions import within_filter
from access.selectors.status import effective_status_of
from humtrack.dates import ReaderMoment, reader_moment

from .selectors import NO_INFORMATION, outages_active_at, restrictions_active_at

LAST_CHANGES = 10


@dataclass(frozen=True)
class Reader:
    """Who reads the page: the subscription's language and time zone."""

    language: str
    time_zone: str

    def moment(self, moment: datetime | None) -> ReaderMoment | None:
        return reader_moment(moment, time_zone=self.time_zone, language=self.language) if moment else None


def reader_of(subscription: Subscription, region: Region) -> Reader:
    # Old rows have no zone: the followed region's country's (access.alerts.zones).
    return Reader(language=subscription.language, time_zone=subscription.time_zone or default_time_zone([region]))


def source_shown(source: Source) -> dict:
    return {
        "publisher": source.publisher,
        "title": source.title,
        "url": source.url,
        "reliability": source.get_reliability_display(),
    }


def change_shown(change: StatusChange, reader: Reader) -> dict:
    return {
        "region": change.region.localised_name(reader.language),
        "pcode": change.region.pcode,
        "from_label": change.get_from_status_display() if change.from_status else "",
        "to_status": change.to_status,
        "to_label": change.get_to_status_display(),
        "effective_at": reader.moment(change.effective_at),
        "reason": change.reason,
        "confidence": change.get_confidence_display(),
        "source": source_shown(change.source),
    }


def restriction_shown(restriction: AccessRestriction, reader: Reader) -> dict:
    return {
        "region": restriction.region.localised_name(reader.language),
        "pcode": restriction.region.pcode,
        "category": restriction.get_category_display(),
        "severity": restriction.get_severity_display(),
        "description": restriction.description,
        "imposed_by": restriction.imposed_by,
        "starts_at": reader.moment(restriction.starts_at),
        "confidence": restriction.get_confidence_display(),
        "source": source_shown(restriction.source),
    }


def outage_shown(outage: UtilityOutage, reader: Reader) -> dict:
    return {
        "region": outage.region.localised_name(reader.language),
        "pcode": outage.region.pcode,
        "utility": outage.get_utility_display(),
        "cause": outage.get_cause_display(),
        "cause_detail": outage.cause_detail,
        "extent": outage.get_extent_display(),
        "started_at": reader.moment(outage.started_at),
        "confidence": outage.get_confidence_display(),
        "source": source_shown(outage.source),
    }


def last_changes(region: Region, limit: int = LAST_CHANGES) -> list[StatusChange]:
    """The latest status changes on the region, on the regions above it (whose status it may take)
    and under it."""
    ancestors = [pcode for pcode in region.path.split(PATH_SEPARATOR) if pcode and pcode != region.pcode]
    changes = StatusChange.objects.filter(Q(region__pcode__in=ancestors) | within_filter(region.pcode))
    return list(changes.select_related("region", "source").order_by("-effective_at", "-id")[:limit])


def region_page(*, region: Region, subscription: Subscription, at: datetime | None = None) -> dict:
    """The page's context: the region now (or at `at`), as `subscription`'s reader reads it."""
    at = at or timezone.now()
    reader = reader_of(subscription, region)
    effective = effective_status_of(region)
    change = effective.effective_change
    return {
        "region": region,
        "name": region.localised_name(reader.language),
        "level": region.get_admin_level_display(),
        "parent_name": region.parent.localised_name(reader.language) if region.parent else "",
        "status": {
            "value": change.to_status if change else "",
            "label": change.get_to_status_display() if change else str(NO_INFORMATION),
            "inherited": effective.status_basis == StatusBasis.INHERITED,
            "from_name": effective.status_from.localised_name(reader.language) if effective.status_from else "",
            "from_pcode": effective.status_from.pcode if effective.status_from else "",
            "since": reader.moment(change.effective_at) if change else None,
            "reason": change.reason if change else "",
            "confidence": change.get_confidence_display() if change else "",
            "source": source_shown(change.source) if change else None,
        },
        "restrictions": [restriction_shown(r, reader) for r in restrictions_active_at(at, region.pcode)],
        "outages": [outage_shown(o, reader) for o in outages_active_at(at, region.pcode)],
        "changes": [change_shown(c, reader) for c in last_changes(region)],
        "language": reader.language,
        "time_zone": reader.time_zone,
    }
