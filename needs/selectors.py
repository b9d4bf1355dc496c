"""Reads of need figures, and the roll-ups up the region hierarchy.

Two rules, both from how humanitarian figures work (HDX HAPI warns never to sum people in need
across sectors):
- Up the hierarchy, a region's figure for a sector is the sum of its children's figures where any
  child reports, else its own: a province is its districts when they report.
- Across sectors, the intersectoral figure of an area is its reported `Intersectoral` figure where
  there is one, else the maximum over sectors, never the sum: people are in need in several
  sectors at once (Afghanistan 2021: 18.4 M in need, not food 16.9 M + health 14.5 M).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from access.models import Region
from access.selectors.regions import regions_within, within_filter
from needs.models import NeedFigure
from needs.sectors import INTERSECTORAL, SECTOR_NAMES

METRICS = ("people_in_need", "targeted", "reached")


def need_figures(queryset: QuerySet[NeedFigure] | None = None) -> QuerySet[NeedFigure]:
    queryset = NeedFigure.objects.all() if queryset is None else queryset
    return queryset.select_related("region", "source", "organisation")


def need_figures_within(pcode: str) -> QuerySet[NeedFigure]:
    return need_figures().filter(within_filter(pcode))


def overlapping_period(queryset: QuerySet[NeedFigure], start: date | None, end: date | None):
    """Figures whose period overlaps [start, end] (either end may be open)."""
    if start:
        queryset = queryset.filter(period_end__gte=start)
    if end:
        queryset = queryset.filter(period_start__lte=end)
    return queryset


@dataclass
class RolledFigure:
    """A rolled-up count and the p-codes of the regions whose figures made it."""

    value: int
    regions: list[str] = field(default_factory=list)
    rule: str = "reported"  # "reported", "sum_of_children" or "max_over_sectors"


@dataclass
class SectorRollup:
    sector: str
    sector_name: str
    is_urgent: bool = False
    metrics: dict[str, RolledFigure | None] = field(default_factory=dict)


@dataclass
class NeedsRollup:
    area: Region
    period_start: date | None
    period_end: date | None
    sectors: list[SectorRollup]
    intersectoral: dict[str, RolledFigure | None]


def _latest_per_metric(figures) -> dict:
    """(sector, region_id, metric) → (value, pcode): the figure with the latest period that has one."""
    chosen = {}
    for figure in sorted(figures, key=lambda f: (f.period_end, f.period_start, f.updated_at)):
        for metric in METRICS:
            value = getattr(figure, metric)
            if value is not None:
                chosen[(figure.sector, figure.region_id, metric)] = (value, figure.region.pcode)
    return chosen


def needs_rollup(
    *, pcode: str, sector: str | None = None, period_start: date | None = None, period_end: date | None = None
) -> NeedsRollup:
    """Per sector and intersectoral people in need, targeted and reached for an area and all under it.

    Where several figures cover the period for one region and sector, the one with the latest period
    that gives the count is used. Three queries whatever the size of the area.
    """
    area = Region.objects.get(pcode=pcode.upper())
    tree = list(regions_within(area.pcode).values_list("id", "parent_id"))
    children = defaultdict(list)
    for region_id, parent_id in tree:
        children[parent_id].append(region_id)

    figures = overlapping_period(need_figures_within(area.pcode), period_start, period_end)
    if sector and sector != INTERSECTORAL:
        figures = figures.filter(sector__in=[sector])
    figures = list(figures)
    chosen = _latest_per_metric(figures)
    urgent = {f.sector for f in figures if f.is_urgent}

    def rolled(region_id: int, sector_code: str, metric: str) -> RolledFigure | None:
        from_children = [r for c in children[region_id] if (r := rolled(c, sector_code, metric)) is not None]
        if from_children:
            return RolledFigure(
                value=sum(r.value for r in from_children),
                regions=[p for r in from_children for p in r.regions],
                rule="sum_of_children",
            )
        own = chosen.get((sector_code, region_id, metric))
        return RolledFigure(value=own[0], regions=[own[1]]) if own else None

    sector_codes = sorted({f.sector for f in figures} - {INTERSECTORAL}, key=list(SECTOR_NAMES).index)
    sectors = [
        SectorRollup(
            sector=code,
            sector_name=SECTOR_NAMES[code],
            is_urgent=code in urgent,
            metrics={metric: rolled(area.pk, code, metric) for metric in METRICS},
        )
        for code in sector_codes
    ]
    intersectoral = {}
    for metric in METRICS:
        reported = rolled(area.pk, INTERSECTORAL, metric)
        if reported is not None:
            intersectoral[metric] = reported
            continue
        per_sector = [s.metrics[metric] for s in sectors if s.metrics[metric] is not None]
        if per_sector:
            largest = max(per_sector, key=lambda r: r.value)
            intersectoral[metric] = RolledFigure(value=largest.value, regions=largest.regions, rule="max_over_sectors")
        else:
            intersectoral[metric] = None
    return NeedsRollup(
        area=area, period_start=period_start, period_end=period_end, sectors=sectors, intersectoral=intersectoral
    )
