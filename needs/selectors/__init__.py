"""Reads of need figures, their roll-ups up the region hierarchy, and what a figure gets flagged for.

The roll-up rules, for one sector, period and metric (people in need, targeted, reached), written
here once (docs/api.md says them to partners, the situation page to coordinators):
- A figure reported for a region is that region's figure (`reported`); it is never replaced by a
  sum of parts. A district's 12,000 must not stand in for the country's reported 14,500,000.
- A region with no reported figure is the sum of its children's figures, each found by these same
  rules (`sum_of_children`). Its coverage says how many of its direct children have a figure, of
  how many it has; it is a lower bound ("at least") unless every child has one and none of them is
  itself a lower bound.
- Where a region has a reported figure and its children's figures sum to something else, both are
  given: the reported figure, and `children_sum` with its own coverage and lower bound.
- Intersectoral: the reported intersectoral figure; else the larger of the sum of the children's
  intersectoral figures (by these rules) and the region's largest sector figure (`sum_of_children`
  or `max_over_sectors`; on a tie the sector's), always a lower bound. Never the sum over sectors:
  people are in need in several sectors at once (HDX HAPI warns never to sum people in need across
  sectors; Afghanistan 2021: 18.4 M in need, not food 16.9 M + health 14.5 M).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from access.models import Region
from access.selectors.regions import within_filter
from needs.models import NeedFigure
from needs.sectors import INTERSECTORAL, SECTOR_NAMES

METRICS = ("people_in_need", "targeted", "reached")


def need_figures(queryset: QuerySet[NeedFigure] | None = None) -> QuerySet[NeedFigure]:
    queryset = NeedFigure.objects.all() if queryset is None else queryset
    return queryset.select_related("region", "source", "organisation")


def need_figures_within(pcode: str) -> QuerySet[NeedFigure]:
    return need_figures().filter(within_filter(pcode))


def overlapping_period(queryset: QuerySet[NeedFigure], start: date | None, end: date | None) -> QuerySet[NeedFigure]:
    """Figures whose period overlaps [start, end] (either end may be open)."""
    if start:
        queryset = queryset.filter(period_end__gte=start)
    if end:
        queryset = queryset.filter(period_start__lte=end)
    return queryset


REPORTED = "reported"
SUM_OF_CHILDREN = "sum_of_children"
MAX_OVER_SECTORS = "max_over_sectors"
RULES = (REPORTED, SUM_OF_CHILDREN, MAX_OVER_SECTORS)

# Codes of what a need figure is flagged for (saved all the same): partners program against them.
TARGETED_EXCEEDS_PEOPLE_IN_NEED = "targeted_exceeds_people_in_need"
REACHED_EXCEEDS_PEOPLE_IN_NEED = "reached_exceeds_people_in_need"
FIGURE_WARNINGS = {
    TARGETED_EXCEEDS_PEOPLE_IN_NEED: _("More people targeted than in need."),
    REACHED_EXCEEDS_PEOPLE_IN_NEED: _("More people reached than in need."),
}
FIGURE_WARNING_CODES = list(FIGURE_WARNINGS)  # one enum in the API schema (humtrack.settings ENUM_NAME_OVERRIDES)


def figure_warnings(*, people_in_need: int | None, targeted: int | None, reached: int | None) -> list[str]:
    """The warning codes of one figure (one region, sector and period): targeted or reached above in need.

    Saved all the same: a source may count differently (people reached more than once), and a
    coordinator decides; humtrack only makes the oddity visible.
    """
    if people_in_need is None:
        return []
    warnings = []
    if targeted is not None and targeted > people_in_need:
        warnings.append(TARGETED_EXCEEDS_PEOPLE_IN_NEED)
    if reached is not None and reached > people_in_need:
        warnings.append(REACHED_EXCEEDS_PEOPLE_IN_NEED)
    return warnings


@dataclass(frozen=True)
class Coverage:
    """How many of a region's direct children have a figure, of how many children it has."""

    with_figure: int = 0
    children: int = 0


@dataclass
class ChildrenSum:
    """The sum of a region's children's figures, given beside a figure it differs from."""

    value: int
    coverage: Coverage
    lower_bound: bool
    regions: list[str] = field(default_factory=list)


@dataclass
class RolledFigure:
    """A rolled-up count, how it was made, and the p-codes of the regions whose figures made it."""

    value: int
    regions: list[str] = field(default_factory=list)
    rule: str = REPORTED
    lower_bound: bool = False  # shown "at least"
    coverage: Coverage = field(default_factory=Coverage)
    children_sum: ChildrenSum | None = None  # where the children's figures sum to something else
    sector: str | None = None  # for max_over_sectors: the sector whose figure it is


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


# (sector, region_id, metric) → (value, pcode) of the figure chosen for it.
_Chosen = dict[tuple[str, int, str], tuple[int, str]]

# Newest period first: the order in which a region's figures for a sector are chosen from. Ties cannot
# happen (one figure per region, sector and period); updated_at is the last word all the same.
LATEST_PERIOD_FIRST = ("-period_end", "-period_start", "-updated_at")


def _chosen_figures(
    area: Region, sector_codes: list[str], period_start: date | None, period_end: date | None
) -> tuple[list[tuple[int, int | None]], set[str], _Chosen]:
    """The area's region tree as (id, parent_id), the sectors with a figure in the period, and for each
    region, sector and metric the value of the figure with the latest period that gives it. One query:
    per region, each sector and metric is one index probe (needs.models: the figures' latest-period
    index), so the cost follows the regions and sectors, not the periods the table holds."""
    of_region = overlapping_period(NeedFigure.objects.filter(region=OuterRef("pk")), period_start, period_end)
    annotations: dict[str, Exists | Subquery] = {}
    for index, code in enumerate(sector_codes):
        of_sector = of_region.filter(sector=code)
        annotations[f"sector_{index}"] = Exists(of_sector)
        for metric in METRICS:
            latest = of_sector.filter(**{f"{metric}__isnull": False}).order_by(*LATEST_PERIOD_FIRST)
            annotations[f"sector_{index}_{metric}"] = Subquery(latest.values(metric)[:1])
    rows = Region.objects.filter(path__startswith=area.path).order_by("path").annotate(**annotations)
    tree, present, chosen = [], set(), {}
    for row in rows.values("id", "parent_id", "pcode", *annotations):
        tree.append((row["id"], row["parent_id"]))
        for index, code in enumerate(sector_codes):
            if not row[f"sector_{index}"]:
                continue
            present.add(code)
            for metric in METRICS:
                value = row[f"sector_{index}_{metric}"]
                if value is not None:
                    chosen[(code, row["id"], metric)] = (value, row["pcode"])
    return tree, present, chosen


class _Rules:
    """The roll-up rules over one area's region tree and its chosen figures, each figure worked out once."""

    def __init__(self, children: dict[int | None, list[int]], chosen: _Chosen, sector_codes: list[str]) -> None:
        self.children = children
        self.chosen = chosen
        self.sector_codes = sector_codes
        self.memo: dict[tuple[int, str, str], RolledFigure | None] = {}  # (region_id, sector, metric)

    def _from_children(
        self, region_id: int, figure_of: Callable[[int], RolledFigure | None]
    ) -> tuple[ChildrenSum | None, Coverage]:
        children = self.children.get(region_id, [])
        parts = [part for child in children if (part := figure_of(child)) is not None]
        coverage = Coverage(with_figure=len(parts), children=len(children))
        if not parts:
            return None, coverage
        return ChildrenSum(
            value=sum(part.value for part in parts),
            coverage=coverage,
            lower_bound=len(parts) < len(children) or any(part.lower_bound for part in parts),
            regions=[pcode for part in parts for pcode in part.regions],
        ), coverage

    def _reported(self, own: tuple[int, str], summed: ChildrenSum | None, coverage: Coverage) -> RolledFigure:
        value, pcode = own
        return RolledFigure(
            value=value,
            regions=[pcode],
            rule=REPORTED,
            coverage=coverage,
            children_sum=summed if summed is not None and summed.value != value else None,
        )

    def sector_figure(self, region_id: int, sector: str, metric: str) -> RolledFigure | None:
        key = (region_id, sector, metric)
        if key not in self.memo:
            summed, coverage = self._from_children(region_id, lambda child: self.sector_figure(child, sector, metric))
            own = self.chosen.get((sector, region_id, metric))
            if own is not None:
                figure = self._reported(own, summed, coverage)
            elif summed is not None:
                figure = RolledFigure(
                    value=summed.value,
                    regions=summed.regions,
                    rule=SUM_OF_CHILDREN,
                    lower_bound=summed.lower_bound,
                    coverage=coverage,
                )
            else:
                figure = None
            self.memo[key] = figure
        return self.memo[key]

    def intersectoral_figure(self, region_id: int, metric: str) -> RolledFigure | None:
        key = (region_id, INTERSECTORAL, metric)
        if key not in self.memo:
            summed, coverage = self._from_children(region_id, lambda child: self.intersectoral_figure(child, metric))
            own = self.chosen.get((INTERSECTORAL, region_id, metric))
            sector_figures = [
                (code, rolled)
                for code in self.sector_codes
                if (rolled := self.sector_figure(region_id, code, metric)) is not None
            ]
            # Without a reported intersectoral figure, the people in need are at least the largest
            # sector's and at least the sum over the regions under it (regions do not overlap).
            largest_code, largest = max(sector_figures, key=lambda pair: pair[1].value, default=(None, None))
            figure: RolledFigure | None = None
            if own is not None:
                figure = self._reported(own, summed, coverage)
            elif summed is not None and (largest is None or summed.value > largest.value):
                figure = RolledFigure(
                    value=summed.value,
                    regions=summed.regions,
                    rule=SUM_OF_CHILDREN,
                    lower_bound=True,
                    coverage=coverage,
                )
            elif largest is not None:
                figure = RolledFigure(
                    value=largest.value,
                    regions=largest.regions,
                    rule=MAX_OVER_SECTORS,
                    lower_bound=True,
                    coverage=coverage,
                    children_sum=summed if summed is not None and summed.value != largest.value else None,
                    sector=largest_code,
                )
            self.memo[key] = figure
        return self.memo[key]


def needs_rollup(
    *, pcode: str, sector: str | None = None, period_start: date | None = None, period_end: date | None = None
) -> NeedsRollup:
    """Per sector and intersectoral people in need, targeted and reached for an area and all under it.

    By the rules in this module's docstring. Where several figures cover the period for one region
    and sector, the one with the latest period that gives the count is used. Three queries whatever
    the size of the area, each growing with the area's regions and sectors, not with the periods held.
    """
    area = Region.objects.get(pcode=pcode.upper())
    # A sector asked for is that sector alone (not the intersectoral figures either).
    asked = [sector] if sector and sector != INTERSECTORAL else list(SECTOR_NAMES)
    tree, present, chosen = _chosen_figures(area, asked, period_start, period_end)
    children: defaultdict[int | None, list[int]] = defaultdict(list)
    for region_id, parent_id in tree:
        children[parent_id].append(region_id)

    # Urgent: any of the area's figures in the period says so (a partial index holds the urgent ones only).
    urgent_figures = overlapping_period(NeedFigure.objects.filter(within_filter(area.pcode)), period_start, period_end)
    urgent_figures = urgent_figures.filter(is_urgent=True, sector__in=asked)
    urgent = set(urgent_figures.order_by().values_list("sector", flat=True).distinct())
    sector_codes = sorted(present - {INTERSECTORAL}, key=list(SECTOR_NAMES).index)
    rules = _Rules(children, chosen, sector_codes)

    sectors = [
        SectorRollup(
            sector=code,
            sector_name=str(SECTOR_NAMES[code]),
            is_urgent=code in urgent,
            metrics={metric: rules.sector_figure(area.pk, code, metric) for metric in METRICS},
        )
        for code in sector_codes
    ]
    intersectoral = {metric: rules.intersectoral_figure(area.pk, metric) for metric in METRICS}
    return NeedsRollup(
        area=area, period_start=period_start, period_end=period_end, sectors=sectors, intersectoral=intersectoral
    )
