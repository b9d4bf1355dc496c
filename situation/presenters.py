"""Plain data (JSON-ready dicts) for the situation page's map, details panel and needs chart.

The template and the page's script read the same shapes, so a figure is worked out once, here.
"""

from datetime import date, datetime

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from access.alerts.zones import default_time_zone
from access.choices import AccessStatus
from access.models import AccessRestriction, Region, Source, StatusChange, UtilityOutage
from access.models.regions import PATH_SEPARATOR
from access.selectors.severity import RegionSeverity, region_severity
from access.selectors.status import effective_status_of
from humtrack.dates import reader_moment
from needs.sectors import SECTOR_NAMES
from needs.selectors import METRICS, NeedsRollup, RolledFigure, needs_rollup

from .selectors import (
    NO_INFORMATION,
    MapCorridor,
    MapRegion,
    RecentChanges,
    computed_severity_text,
    month_of,
    outages_active_at,
    restrictions_active_at,
    stale_regions_at,
    status_text,
)

METRIC_LABELS = {
    "people_in_need": gettext_lazy("People in need"),
    "targeted": gettext_lazy("Targeted"),
    "reached": gettext_lazy("Reached"),
}
# How needs.selectors arrived at a figure, in the words the chart shows beside it.
RULE_LABELS = {
    "reported": gettext_lazy("reported"),
    "sum_of_children": gettext_lazy("sum over the regions under it"),
    "max_over_sectors": gettext_lazy("max over sectors (not their sum: people are in need in several sectors at once)"),
}
# The regions one level under an area, as the chart names them ("provinces: 12,000 from 1 of 34").
CHILDREN_LABELS: dict[int, Promise] = {
    Region.Level.COUNTRY: gettext_lazy("provinces"),
    Region.Level.PROVINCE: gettext_lazy("districts"),
}


def local_name(region: Region) -> str:
    """The region's name in the reader's language (Dari, Pashto), else its English name."""
    return region.localised_name(get_language() or "en")


def iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment else None


def source_data(source: Source | None) -> dict | None:
    if source is None:
        return None
    return {
        "publisher": source.publisher,
        "title": source.title,
        "url": source.url,
        "published_at": iso(source.published_at),
        "reliability": source.get_reliability_display(),
    }


def status_data(*, status: str | None, basis: str, status_from: Region | None, change: StatusChange | None) -> dict:
    """A region's effective status: its value (None: nothing recorded on it or above it), how it comes
    to it (`basis`, `from`), and the record it is."""
    return {
        "value": status,
        "label": AccessStatus(status).label if status else str(NO_INFORMATION),
        "basis": basis,
        "from": {"pcode": status_from.pcode, "name": local_name(status_from)} if status_from else None,
        "text": status_text(status, basis, status_from),
        "since": iso(change.effective_at) if change else None,
        "reason": change.reason if change else "",
        "confidence": change.get_confidence_display() if change else None,
        "source": source_data(change.source) if change else None,
    }


def centroid(region: Region) -> list[float] | None:
    """Where to put a region's circle or marker: its own centroid, else its parent's."""
    for candidate in (region, region.parent if region.parent_id else None):
        if candidate is not None and candidate.latitude is not None and candidate.longitude is not None:
            return [float(candidate.latitude), float(candidate.longitude)]
    return None


def map_data(*, regions: list[MapRegion], corridors: list[MapCorridor], boundaries: dict, as_of: date | None) -> dict:
    """What the map script draws: regions with status, outlines, corridors."""
    return {
        "as_of": iso(as_of),
        "regions": [
            {
                "pcode": shown.region.pcode,
                "name": local_name(shown.region),
                "level": shown.region.admin_level,
                # Where to zoom when it has neither outline nor point: its nearest ancestor's outline.
                "ancestors": [pcode for pcode in shown.region.path.split(PATH_SEPARATOR) if pcode][:-1],
                # The effective status: own record, inherited (drawn hatched in its colour), or none (null,
                # "no information recorded", which reads differently from the UN's recorded unknown).
                "status": shown.status,
                "status_label": shown.status_label,
                "status_basis": shown.status_basis,
                "status_from": shown.status_from.pcode if shown.status_from else None,
                "status_text": status_text(shown.status, shown.status_basis, shown.status_from),
                "since": iso(shown.status_change.effective_at) if shown.status_change else None,
                "stale": shown.is_stale,
                "flagged_for_review": shown.review is not None,
                "centroid": [float(shown.region.latitude), float(shown.region.longitude)]
                if shown.region.latitude is not None and shown.region.longitude is not None
                else None,
                "has_boundary": shown.region.pcode in boundaries,
                "restriction_count": shown.active_restriction_count,
                "outages": [outage.get_utility_display() for outage in shown.outages],
            }
            for shown in regions
        ],
        "boundaries": boundaries,
        "corridors": [
            {
                "name": shown.corridor.name,
                "status": shown.status,
                "status_label": shown.status_change.get_to_status_display()
                if shown.status_change
                else _("No status yet"),
                "regions": [local_name(region) for region in shown.waypoints],
                "points": [point for region in shown.waypoints if (point := centroid(region))],
            }
            for shown in corridors
        ],
    }


def count_text(value: int, lower_bound: bool) -> str:
    return _("at least %(value)s") % {"value": f"{value:,}"} if lower_bound else f"{value:,}"


def children_sum_text(figure: RolledFigure, children_label: str) -> str:
    """ "provinces: 12,000 from 1 of 34": what the regions under the area sum to, beside another figure."""
    summed = figure.children_sum
    if summed is None:
        return ""
    complete = summed.coverage.with_figure == summed.coverage.children
    return _("%(children)s: %(value)s from %(with_figure)s of %(count)s") % {
        "children": children_label,
        "value": count_text(summed.value, summed.lower_bound and complete),
        "with_figure": summed.coverage.with_figure,
        "count": summed.coverage.children,
    }


def figure_detail(figure: RolledFigure, children_label: str) -> str:
    """How the figure was made, in a line: "reported 14,500,000 · provinces: 12,000 from 1 of 34"."""
    beside = children_sum_text(figure, children_label)
    if figure.rule == "reported":
        return _("reported %(value)s · %(beside)s") % {"value": f"{figure.value:,}", "beside": beside} if beside else ""
    if figure.rule == "sum_of_children":
        return _("from %(with_figure)s of %(count)s %(children)s") % {
            "with_figure": figure.coverage.with_figure,
            "count": figure.coverage.children,
            "children": children_label,
        }
    largest = _("largest sector: %(sector)s") % {"sector": SECTOR_NAMES.get(figure.sector or "", figure.sector)}
    return f"{largest} · {beside}" if beside else largest


def coverage_data(coverage) -> dict:
    return {"with_figure": coverage.with_figure, "children": coverage.children}


def figure_data(figure: RolledFigure | None, scale_max: int, children_label: str = "") -> dict | None:
    if figure is None:
        return None
    summed = figure.children_sum
    return {
        "value": figure.value,
        "display": count_text(figure.value, figure.lower_bound),
        "rule": figure.rule,
        "rule_label": str(RULE_LABELS[figure.rule]),
        "lower_bound": figure.lower_bound,
        "coverage": coverage_data(figure.coverage),
        "children_sum": None
        if summed is None
        else {
            "value": summed.value,
            "lower_bound": summed.lower_bound,
            "coverage": coverage_data(summed.coverage),
            "regions": summed.regions,
        },
        "detail": figure_detail(figure, children_label),
        "regions": figure.regions,
        "percent": round(100 * figure.value / scale_max, 1) if scale_max else 0,
    }


def needs_data(rollup: NeedsRollup) -> dict:
    """Per sector and intersectoral: in need, targeted, reached, each bar scaled to the largest figure."""
    figures = [f for s in rollup.sectors for f in s.metrics.values() if f] + [
        f for f in rollup.intersectoral.values() if f
    ]
    scale_max = max((f.value for f in figures), default=0)
    children_label = str(CHILDREN_LABELS.get(rollup.area.admin_level, _("regions under it")))

    def metrics(values: dict[str, RolledFigure | None]) -> list[dict]:
        return [
            {"metric": m, "label": str(METRIC_LABELS[m]), "figure": figure_data(values[m], scale_max, children_label)}
            for m in METRICS
        ]

    return {
        "area": {"pcode": rollup.area.pcode, "name": local_name(rollup.area)},
        "period_start": iso(rollup.period_start),
        "period_end": iso(rollup.period_end),
        "sectors": [
            {"sector": s.sector, "name": s.sector_name, "urgent": s.is_urgent, "metrics": metrics(s.metrics)}
            for s in rollup.sectors
        ],
        "intersectoral": metrics(rollup.intersectoral),
        "has_figures": bool(figures) or any(s.is_urgent for s in rollup.sectors),
    }


def area_needs(region: Region, as_of: date | None) -> dict:
    """The roll-up for `region` and all under it: figures covering `as_of`, or the latest ones."""
    return needs_data(needs_rollup(pcode=region.pcode, period_start=as_of, period_end=as_of))


def restriction_data(restriction: AccessRestriction) -> dict:
    return {
        "region": local_name(restriction.region),
        "region_pcode": restriction.region.pcode,
        "category": restriction.get_category_display(),
        "severity": restriction.get_severity_display(),
        "affected_groups": [str(group) for group in restriction.affected_groups.all()],
        "description": restriction.description,
        "imposed_by": restriction.imposed_by,
        "starts_at": iso(restriction.starts_at),
        "confidence": restriction.get_confidence_display(),
        "source": source_data(restriction.source),
    }


def outage_data(outage: UtilityOutage) -> dict:
    return {
        "region": local_name(outage.region),
        "region_pcode": outage.region.pcode,
        "utility": outage.get_utility_display(),
        "started_at": iso(outage.started_at),
        "cause": outage.get_cause_display(),
        "cause_detail": outage.cause_detail,
        "extent": outage.get_extent_display(),
        "confidence": outage.get_confidence_display(),
        "source": source_data(outage.source),
    }


def region_details(*, region: Region, at: datetime, as_of: date | None) -> dict:
    """One region as the details panel shows it, at `at`: effective status, what is in force under it, needs."""
    effective = effective_status_of(region, at)
    change = effective.effective_change
    return {
        "pcode": region.pcode,
        "name": local_name(region),
        "level": region.get_admin_level_display(),
        "parent": local_name(region.parent) if region.parent else None,
        "as_of": iso(as_of),
        "status": status_data(
            status=change.to_status if change else None,
            basis=effective.status_basis,
            status_from=effective.status_from,
            change=change,
        ),
        "stale": stale_regions_at(at, Region.objects.filter(pk=region.pk)).exists(),
        "review": review_data(region_severity(region=region, month=month_of(at))),
        "restrictions": [restriction_data(r) for r in restrictions_active_at(at, region.pcode)],
        "outages": [outage_data(o) for o in outages_active_at(at, region.pcode)],
        "needs": area_needs(region, as_of),
    }


def review_data(severity: RegionSeverity) -> dict | None:
    """The flag for review, where the month's computed severity and the status disagree strongly."""
    if not severity.flagged_for_review or severity.overall is None:
        return None
    return {"level": severity.overall, "text": computed_severity_text(severity.overall)}


def reader_time_zone(area: Region | None) -> str:
    """The zone the page's reader reads times in: the country's of the area shown (Asia/Kabul), else UTC.
    A signed-in coordinator has no zone of their own; the country's is where the facts happen."""
    return default_time_zone([area]) if area is not None else "UTC"


def recent_changes_data(recent: RecentChanges, *, time_zone: str) -> dict:
    """ "Changed in the last 24 hours" as the page shows it: each change with its moment in the reader's
    zone with UTC beside (humtrack.dates.reader_moment), newest first."""
    language = get_language() or "en"
    return {
        "since": reader_moment(recent.since, time_zone=time_zone, language=language),
        "until": reader_moment(recent.until, time_zone=time_zone, language=language),
        "changes": [
            {"change": change, "when": reader_moment(change.happened_at, time_zone=time_zone, language=language)}
            for change in recent.changes
        ],
        "truncated": recent.truncated,
    }
