"""The reads of the monthly access snapshot, put together once as a `Snapshot` that the page, the PDF, the
CSV and the XLSX all show.

Counts are the incidents under way in the month (access.selectors.incidents.incidents_in_month: one that
spans two months counts in both), in the area (`within` and everything under it). They are the same for
every reader: sensitivity hides an incident's description and point, never the fact that it happened.
Each count stands beside the previous month's and the same month a year before.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from django.db.models import Count, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from access.choices import ConstraintCategory, CorridorStatus, IncidentType, PerpetratorType
from access.models import AidCorridor, CorridorStatusChange, Incident, Region, Source, StatusChange
from access.selectors.incidents import incidents_in_month, month_bounds, under_way_in, with_details_visible
from access.selectors.regions import within_filter
from humtrack.actor import Actor
from needs.selectors import need_figures_within, needs_rollup, overlapping_period

from ..presenters import needs_data

# The incidents a page lists with their descriptions; the counts always cover all of them.
INCIDENT_LIST_LIMIT = 200

# The tables, in the order the page, the CSV and the XLSX give them; keys are the CSV's `table` column.
CATEGORY, TYPE, REGION, PERPETRATOR = "category", "incident_type", "region", "perpetrator_type"
TABLES = (CATEGORY, TYPE, REGION, PERPETRATOR)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return first_of_month(first_of_month(month) - timedelta(days=1))


def same_month_a_year_before(month: date) -> date:
    return date(month.year - 1, month.month, 1)


def last_complete_month(today: date) -> date:
    """The default month: the one before today's, the last whose incidents are all in."""
    return previous_month(today)


def last_day(month: date) -> date:
    return month_bounds(month)[1].date() - timedelta(days=1)


@dataclass(frozen=True)
class Change:
    """A count against its base: the difference, and the percentage where the base is not 0 ("new" where it is)."""

    absolute: int
    percent: int | None
    is_new: bool

    @classmethod
    def between(cls, count: int, base: int) -> "Change":
        percent = round(100 * (count - base) / base) if base else None
        return cls(absolute=count - base, percent=percent, is_new=base == 0 and count > 0)

    def __str__(self) -> str:
        if self.is_new:
            return _("new")
        if self.absolute == 0:
            return "0"
        sign = "+" if self.absolute > 0 else "−"  # a true minus sign, as in print
        text = f"{sign}{abs(self.absolute):,}"
        return f"{text} ({sign}{abs(self.percent)}%)" if self.percent is not None else text


@dataclass
class CountRow:
    """One line of a count table: this month's count, the previous month's and the same month's a year before."""

    key: str
    label: str
    count: int = 0
    previous_month: int = 0
    previous_year: int = 0
    depth: int = 0  # 1: a district shown under its province

    @property
    def month_on_month(self) -> Change:
        return Change.between(self.count, self.previous_month)

    @property
    def year_on_year(self) -> Change:
        return Change.between(self.count, self.previous_year)

    @property
    def is_empty(self) -> bool:
        return not (self.count or self.previous_month or self.previous_year)


@dataclass
class CountTable:
    key: str  # CATEGORY, TYPE, REGION, PERPETRATOR
    title: str
    rows: list[CountRow]


# Per (category, incident_type, perpetrator_type, region path): this month's count, the previous month's,
# the same month's a year before.
_Groups = list[tuple[str, str, str, str, int, int, int]]


def _groups(month: date, within: Region) -> _Groups:
    """One GROUP BY over the three months' incidents in the area, each month's count a filtered COUNT."""
    months = {
        "count": under_way_in(month),
        "previous_month": under_way_in(previous_month(month)),
        "previous_year": under_way_in(same_month_a_year_before(month)),
    }
    in_any = months["count"] | months["previous_month"] | months["previous_year"]
    grouped = (
        Incident.objects.filter(in_any, region__path__startswith=within.path)
        .values_list("category", "incident_type", "perpetrator_type", "region__path")
        .annotate(**{column: Count("id", filter=under_way) for column, under_way in months.items()})
    )
    return list(grouped.order_by())


def _path_codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def incident_counts(*, month: date, within: Region) -> dict[str, CountTable]:
    """The four count tables for the month in the area. Categories and perpetrator types are listed whole
    (a 0 is information); types and regions only where one of the three months has an incident. Regions
    are the children of `within` (provinces of a country), each with its districts that have incidents
    below it; an incident recorded on `within` itself has a row of its own. Two queries: the counts, the names."""
    groups = _groups(month, within)
    tables: dict[str, dict[str, CountRow]] = {name: {} for name in TABLES}
    for value, label in ConstraintCategory.choices:
        tables[CATEGORY][value] = CountRow(key=value, label=str(label))
    for value, label in PerpetratorType.choices:
        tables[PERPETRATOR][value] = CountRow(key=value, label=str(label))
    depth = within.admin_level + 1  # the child's p-code's place in a path
    children: dict[str, CountRow] = {}
    districts: defaultdict[str, dict[str, CountRow]] = defaultdict(dict)
    type_labels = dict(IncidentType.choices)

    def row_of(table: dict[str, CountRow], key: str, label: object = None, row_depth: int = 0) -> CountRow:
        if key not in table:  # a value no longer in the choices still counts, under its code
            table[key] = CountRow(key=key, label=str(label or key), depth=row_depth)
        return table[key]

    def add(row: CountRow, counts: list[int]) -> None:
        row.count += counts[0]
        row.previous_month += counts[1]
        row.previous_year += counts[2]

    # Sum per key first: a month of 10,000 incidents is thousands of groups, and only hundreds of rows.
    summed: dict[str, defaultdict[str, list[int]]] = {name: defaultdict(lambda: [0, 0, 0]) for name in TABLES}
    by_category, by_type, by_perpetrator, by_path = (summed[name] for name in (CATEGORY, TYPE, PERPETRATOR, REGION))
    for category, kind, perpetrator, path, count, in_previous_month, in_previous_year in groups:
        for total in (by_category[category], by_type[kind], by_perpetrator[perpetrator], by_path[path]):
            total[0] += count
            total[1] += in_previous_month
            total[2] += in_previous_year
    for table in (CATEGORY, TYPE, PERPETRATOR):
        for key, counts in summed[table].items():
            add(row_of(tables[table], key, type_labels.get(key) if table == TYPE else None), counts)
    for path, counts in by_path.items():
        codes = _path_codes(path)
        child = codes[depth] if len(codes) > depth else within.pcode
        add(row_of(children, child), counts)
        if len(codes) > depth + 1:
            add(row_of(districts[child], codes[depth + 1], row_depth=1), counts)
    _name_regions([*children.values(), *(row for rows in districts.values() for row in rows.values())], within)
    by_count = lambda row: (-row.count, -row.previous_month, row.label)  # noqa: E731
    region_rows: list[CountRow] = []
    for child_row in sorted(children.values(), key=by_count):
        region_rows.append(child_row)
        region_rows += sorted(districts[child_row.key].values(), key=by_count)
    titles = {
        CATEGORY: _("By category"),
        TYPE: _("By type"),
        REGION: _("By region"),
        PERPETRATOR: _("By perpetrator type"),
    }
    ordered = {
        CATEGORY: list(tables[CATEGORY].values()),
        TYPE: sorted(tables[TYPE].values(), key=by_count),
        REGION: region_rows,
        PERPETRATOR: list(tables[PERPETRATOR].values()),
    }
    return {name: CountTable(key=name, title=titles[name], rows=ordered[name]) for name in TABLES}


class _RegionNames(NamedTuple):
    pcode: str
    name: str
    name_fa_af: str
    name_ps: str


def _name_regions(rows: list[CountRow], within: Region) -> None:
    """Rows keyed by p-code get the region's name in the reader's language (one query)."""
    language = get_language() or "en"
    # Plain values, not model instances: a country's month can name hundreds of districts. Region's own
    # rule (localised_name) reads them, so the rule stays in one place.
    found = Region.objects.filter(pcode__in=[row.key for row in rows]).values_list(*_RegionNames._fields)
    names = {
        names.pcode: Region.localised_name(names, language)  # type: ignore[arg-type]
        for names in map(_RegionNames._make, found)
    }
    for row in rows:
        row.label = names.get(row.key, row.key)
        if row.key == within.pcode:
            row.label = _("%(area)s, no more precise region given") % {"area": row.label}


def total_row(table: CountTable) -> CountRow:
    """All the month's incidents: each is in exactly one category, so the category table sums to it."""
    total = CountRow(key="total", label=_("All incidents"))
    for row in table.rows:
        total.count += row.count
        total.previous_month += row.previous_month
        total.previous_year += row.previous_year
    return total


@dataclass(frozen=True)
class IncidentSource:
    """A source of the month's incidents, with the confidence it was recorded at and how many it gives."""

    source: Source
    confidence_label: str
    incidents: int


def incident_sources(month_incidents: QuerySet[Incident]) -> list[IncidentSource]:
    grouped = month_incidents.values_list("source_id", "confidence").annotate(n=Count("id")).order_by()
    counted = list(grouped)
    sources = Source.objects.in_bulk({source_id for source_id, _, _ in counted})
    labels = dict(Incident._meta.get_field("confidence").choices or [])
    found = [
        IncidentSource(source=sources[source_id], confidence_label=str(labels.get(confidence, confidence)), incidents=n)
        for source_id, confidence, n in counted
    ]
    return sorted(found, key=lambda s: (s.source.published_at is None, s.source.published_at, s.source.pk))


@dataclass(frozen=True)
class ClosedCorridor:
    """A corridor through the area that was closed at some moment of the month."""

    corridor: AidCorridor
    closed_by: CorridorStatusChange  # the change that closed it (in the month, or before and still in force)
    closed_before_the_month: bool
    reopened_by: CorridorStatusChange | None  # the change in the month that ended the closure, if any


def corridors_closed_in_month(*, month: date, within: Region) -> list[ClosedCorridor]:
    """Corridors with a waypoint in the area closed during the month: closed in it, or closed when it began."""
    start, end = month_bounds(month)
    passing = AidCorridor.objects.filter(within_filter(within.pcode, "regions")).distinct()
    changes = CorridorStatusChange.objects.filter(corridor__in=passing, effective_at__lt=end).select_related(
        "corridor", "source"
    )
    by_corridor: defaultdict[int, list[CorridorStatusChange]] = defaultdict(list)
    for change in changes.order_by("corridor_id", "effective_at", "id"):
        by_corridor[change.corridor_id].append(change)
    closed: list[ClosedCorridor] = []
    for history in by_corridor.values():
        before = [change for change in history if change.effective_at < start]
        during = [change for change in history if change.effective_at >= start]
        closing = before[-1] if before and before[-1].to_status == CorridorStatus.CLOSED else None
        for change in during:
            if closing is None and change.to_status == CorridorStatus.CLOSED:
                closing = change
            elif closing is not None and change.to_status != CorridorStatus.CLOSED:
                closed.append(ClosedCorridor(closing.corridor, closing, closing.effective_at < start, change))
                closing = None
        if closing is not None:
            closed.append(ClosedCorridor(closing.corridor, closing, closing.effective_at < start, None))
    return sorted(closed, key=lambda c: (c.closed_by.effective_at, c.corridor.name))


def status_changes_in_month(*, month: date, within: Region) -> list[StatusChange]:
    start, end = month_bounds(month)
    changes = StatusChange.objects.filter(effective_at__gte=start, effective_at__lt=end).filter(
        within_filter(within.pcode)
    )
    return list(changes.select_related("region", "source").order_by("effective_at", "id"))


def map_regions(within: Region) -> list[Region]:
    """The regions the map colours: the children of `within` (a district, which has none, is its own map)."""
    children = list(Region.objects.filter(parent=within).order_by("path"))
    return children or [within]


@dataclass
class Snapshot:
    month: date
    within: Region
    counts: dict[str, CountTable]
    total: CountRow
    incidents: list[Incident]  # annotated `details_visible`; at most INCIDENT_LIST_LIMIT
    incident_sources: list[IncidentSource]
    status_changes: list[StatusChange]
    closed_corridors: list[ClosedCorridor]
    needs: dict
    need_sources: list[Source]
    map_regions: list[Region]
    # Region pk → overall computed severity, 0–5; None: no information.
    levels: dict[int, int | None] = field(default_factory=dict)

    @property
    def previous_month(self) -> date:
        return previous_month(self.month)

    @property
    def previous_year(self) -> date:
        return same_month_a_year_before(self.month)

    @property
    def incidents_listed_all(self) -> bool:
        return len(self.incidents) >= self.total.count


def snapshot(*, month: date, within: Region, actor: Actor, levels: dict[int, int | None] | None = None) -> Snapshot:
    """Everything the snapshot shows for the month in the area, as `actor` may read it."""
    counts = incident_counts(month=month, within=within)
    month_incidents = incidents_in_month(month).filter(region__path__startswith=within.path)
    listed = with_details_visible(month_incidents, actor).select_related("region", "source")
    first, last = month, last_day(month)
    need_source_ids = overlapping_period(need_figures_within(within.pcode), first, last).values("source_id")
    regions = map_regions(within)
    return Snapshot(
        month=month,
        within=within,
        counts=counts,
        total=total_row(counts[CATEGORY]),
        incidents=list(listed.order_by("occurred_at", "id")[:INCIDENT_LIST_LIMIT]),
        incident_sources=incident_sources(month_incidents),
        status_changes=status_changes_in_month(month=month, within=within),
        closed_corridors=corridors_closed_in_month(month=month, within=within),
        needs=needs_data(needs_rollup(pcode=within.pcode, period_start=first, period_end=last)),
        need_sources=list(Source.objects.filter(pk__in=need_source_ids).order_by("published_at", "id")),
        map_regions=regions,
        levels=levels if levels is not None else severity_levels(month=month, regions=regions),
    )


def severity_levels(*, month: date, regions: Iterable[Region]) -> dict[int, int | None]:
    """Each region's overall computed severity (0–5; None: no information) for the month."""
    from access.selectors.severity import severities_for_month

    return {pk: severity.overall for pk, severity in severities_for_month(month=month, regions=regions).items()}
