"""The roll-up rules on the Panjshir demo: one district's figure never replaces the country's reported one."""

from datetime import date

import pytest

from access.models import Region, Source
from humtrack.actor import Actor
from needs.selectors import ChildrenSum, Coverage, needs_rollup
from needs.services import record_need_figure
from scenarios.demo import SEPTEMBER_2021, YEAR_2021, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()


def add_figure(pcode: str, sector: str, people_in_need: int, period=YEAR_2021, **fields):
    return record_need_figure(
        actor=Actor(),
        region=Region.objects.get(pcode=pcode),
        sector=sector,
        period_start=period[0],
        period_end=period[1],
        people_in_need=people_in_need,
        source=Source.objects.first(),
        confidence="reported",
        **fields,
    )


def sector_of(rollup, code):
    return next(sector for sector in rollup.sectors if sector.sector == code)


def test_a_district_health_figure_never_replaces_the_reported_national_one(demo):
    add_figure("AF0801", "HEA", 12_000)  # Bazarak

    health = sector_of(needs_rollup(pcode="AF"), "HEA").metrics["people_in_need"]
    assert (health.value, health.rule, health.lower_bound, health.regions) == (14_500_000, "reported", False, ["AF"])
    # Beside it, the provinces' sum: Panjshir's 12,000, itself 1 of its 7 districts, from 1 of 34 provinces.
    assert health.children_sum == ChildrenSum(
        value=12_000, coverage=Coverage(with_figure=1, children=34), lower_bound=True, regions=["AF0801"]
    )
    panjshir = sector_of(needs_rollup(pcode="AF08"), "HEA").metrics["people_in_need"]
    assert (panjshir.value, panjshir.rule, panjshir.lower_bound) == (12_000, "sum_of_children", True)
    assert panjshir.coverage == Coverage(with_figure=1, children=7)


def test_a_district_intersectoral_figure_never_replaces_the_national_headline(demo):
    add_figure("AF0801", "Intersectoral", 30_000)

    in_need = needs_rollup(pcode="AF").intersectoral["people_in_need"]
    assert (in_need.value, in_need.rule, in_need.lower_bound) == (18_400_000, "reported", False)
    assert in_need.children_sum.value == 30_000 and in_need.children_sum.coverage == Coverage(1, 34)


def test_as_of_before_the_district_figure_shows_no_childrens_sum(demo):
    add_figure("AF0801", "HEA", 12_000, period=SEPTEMBER_2021)
    august = sector_of(needs_rollup(pcode="AF", period_start=date(2021, 8, 31), period_end=date(2021, 8, 31)), "HEA")
    assert august.metrics["people_in_need"].value == 14_500_000
    assert august.metrics["people_in_need"].children_sum is None
    september = sector_of(needs_rollup(pcode="AF", period_start=date(2021, 9, 5), period_end=date(2021, 9, 5)), "HEA")
    assert september.metrics["people_in_need"].value == 14_500_000
    assert september.metrics["people_in_need"].children_sum.value == 12_000


def test_an_area_with_no_reported_figure_and_2_of_7_districts_reporting_is_at_least_their_sum(demo):
    add_figure("AF0801", "WSH", 12_000)
    add_figure("AF0806", "WSH", 3_000)

    water = sector_of(needs_rollup(pcode="AF08"), "WSH").metrics["people_in_need"]
    assert (water.value, water.rule, water.lower_bound) == (15_000, "sum_of_children", True)
    assert water.coverage == Coverage(with_figure=2, children=7)
    assert sorted(water.regions) == ["AF0801", "AF0806"]
    # Up one level the lower bound carries: Afghanistan's water figure is at least 15,000, from 1 of 34.
    national = sector_of(needs_rollup(pcode="AF"), "WSH").metrics["people_in_need"]
    assert (national.value, national.lower_bound, national.coverage) == (15_000, True, Coverage(1, 34))


def test_intersectoral_is_never_the_sum_over_sectors(demo):
    add_figure("AF0801", "FSC", 9_000)
    add_figure("AF0801", "HEA", 12_000)
    add_figure("AF0806", "FSC", 4_000)

    assert needs_rollup(pcode="AF").intersectoral["people_in_need"].value == 18_400_000  # not 31.4 M
    panjshir = needs_rollup(pcode="AF08").intersectoral["people_in_need"]
    # Bazarak at least 12,000 (health, its largest sector) + Shutul at least 4,000; not 9,000 + 12,000 + 4,000.
    assert (panjshir.value, panjshir.rule, panjshir.lower_bound) == (16_000, "sum_of_children", True)
    assert panjshir.coverage == Coverage(with_figure=2, children=7)
    bazarak = needs_rollup(pcode="AF0801").intersectoral["people_in_need"]
    assert (bazarak.value, bazarak.rule, bazarak.sector, bazarak.lower_bound) == (
        12_000,
        "max_over_sectors",
        "HEA",
        True,
    )


def test_the_summary_api_gives_reported_and_the_provinces_sum_beside_it(demo, reader):
    add_figure("AF0801", "HEA", 12_000)

    response = reader.get("/api/v1/needs/summary/", {"within": "AF"})
    assert response.status_code == 200
    health = next(s for s in response.json()["sectors"] if s["sector"] == "HEA")["metrics"]["people_in_need"]
    assert health == {
        "value": 14_500_000, "rule": "reported", "lower_bound": False,
        "coverage": {"with_figure": 1, "children": 34}, "regions": ["AF"], "sector": None,
        "children_sum": {
            "value": 12_000, "coverage": {"with_figure": 1, "children": 34}, "lower_bound": True, "regions": ["AF0801"]
        },
    }  # fmt: skip
    intersectoral = response.json()["intersectoral"]["people_in_need"]
    assert (intersectoral["value"], intersectoral["rule"]) == (18_400_000, "reported")
    # The picture before the district's figure existed is the same reported national figure.
    as_of = reader.get(
        "/api/v1/needs/summary/", {"within": "AF", "period_start": "2021-06-01", "period_end": "2021-06-01"}
    )
    assert next(s for s in as_of.json()["sectors"] if s["sector"] == "HEA")["metrics"]["people_in_need"]["value"] == (
        14_500_000
    )
