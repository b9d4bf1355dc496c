"""Need figures as HDX HAPI's humanitarian-needs rows: one row per figure and population status.

OCHA's HDX HAPI (`/api/v1/affected-people/humanitarian-needs`) gives one row per location, sector and
population status, with the country, admin 1 and admin 2 beside it. Here each reported need figure
gives up to three rows, one per count it has: people in need (`INN`), targeted (`TGT`), reached
(`REA`); a count the source does not give is no row (never a 0). The rows are the figures as
reported, never roll-ups (needs.selectors.needs_rollup): a province's row is the province's own
figure, not a sum of its districts.

HAPI knows admin levels 0 to 2: figures of regions below districts are not in this shape. One query,
whatever the number of rows: the admin hierarchy comes from joins on the region's parent and
grandparent, the statuses from a UNION ALL of one SELECT per count.
"""

from collections.abc import Collection
from typing import Any, cast

from django.db.models import Case, CharField, F, IntegerField, QuerySet, Value, When

from needs.models import NeedFigure

# HAPI's population status code → the count of a NeedFigure it is, in HAPI's order.
POPULATION_STATUSES = {"INN": "people_in_need", "TGT": "targeted", "REA": "reached"}
HAPI_ADMIN_LEVELS = (0, 1, 2)

# Of each row, in order: the region's own, its parent's, its grandparent's.
_COUNTRY_AT = {0: "region", 1: "region__parent", 2: "region__parent__parent"}
_ADMIN1_AT = {1: "region", 2: "region__parent"}
_ADMIN2_AT = {2: "region"}


def _by_level(places: dict[int, str], field: str) -> Case:
    """The `field` of the region at the row's admin level's place (e.g. admin 1 is the parent of a district)."""
    whens = [When(region__admin_level=level, then=F(f"{place}__{field}")) for level, place in places.items()]
    return Case(*whens, default=Value(None), output_field=CharField())


def _hierarchy() -> dict[str, Case]:
    return {
        "location_pcode": _by_level(_COUNTRY_AT, "pcode"),
        "location_name": _by_level(_COUNTRY_AT, "name"),
        "admin1_code": _by_level(_ADMIN1_AT, "pcode"),
        "admin1_name": _by_level(_ADMIN1_AT, "name"),
        "admin2_code": _by_level(_ADMIN2_AT, "pcode"),
        "admin2_name": _by_level(_ADMIN2_AT, "name"),
    }


def hapi_need_figures(queryset: QuerySet[NeedFigure] | None = None) -> QuerySet[NeedFigure]:
    """The need figures HAPI's shape can show: those of regions at admin levels 0 to 2."""
    queryset = NeedFigure.objects.all() if queryset is None else queryset
    return queryset.filter(region__admin_level__in=HAPI_ADMIN_LEVELS)


def hapi_needs_rows(
    figures: QuerySet[NeedFigure], *, population_statuses: Collection[str] = tuple(POPULATION_STATUSES)
) -> QuerySet[NeedFigure, dict[str, Any]]:
    """One row (a dict) per figure of `figures` and population status among `population_statuses` that
    it has a count for, in a stable order (region path, sector, period, figure, INN-TGT-REA), in one query.

    Each row: `location_pcode` (the country's p-code; needs.countries gives its ISO3), `location_name`,
    `admin1_code`, `admin1_name`, `admin2_code`, `admin2_name` (None above that level), `admin_level`,
    `sector_code`, `population_status`, `population`, `reference_period_start`, `reference_period_end`,
    `source` (its id), `confidence`, and `figure_id`, `region_path`, `status_order` for the order.
    Slice it for a page: the database counts the offset.
    """
    figures = hapi_need_figures(figures).order_by()  # a UNION's branches are unordered (SQLite insists)
    statuses = [status for status in POPULATION_STATUSES if status in population_statuses]
    first, *others = [_rows(figures, status) for status in statuses] or [_rows(figures.none(), "INN")]
    rows = first.union(*others, all=True) if others else first
    return rows.order_by(
        "region_path", "sector_code", "reference_period_start", "reference_period_end", "figure_id", "status_order"
    )


def _rows(figures: QuerySet[NeedFigure], status: str) -> QuerySet[NeedFigure, dict[str, Any]]:
    """The rows of one population status: the figures that have its count."""
    count = POPULATION_STATUSES[status]
    rows = figures.filter(**{f"{count}__isnull": False}).values(
        "source",
        "confidence",
        figure_id=F("id"),
        region_path=F("region__path"),
        admin_level=F("region__admin_level"),
        **_hierarchy(),
        sector_code=F("sector"),
        population_status=Value(status, output_field=CharField()),
        status_order=Value(list(POPULATION_STATUSES).index(status), output_field=IntegerField()),
        population=F(count),
        reference_period_start=F("period_start"),
        reference_period_end=F("period_end"),
    )
    return cast("QuerySet[NeedFigure, dict[str, Any]]", rows)  # django-stubs types only the named fields
