"""The roll-up rules: a reported figure stays, else the sum over children; intersectoral never a sum over sectors."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from humtrack.actor import Actor
from needs.models import NeedFigure
from needs.selectors import ChildrenSum, Coverage, needs_rollup
from needs.services import record_need_figure
from tests.factories import NeedFigureFactory

pytestmark = pytest.mark.django_db


def figure(region, sector, people_in_need=None, **fields):
    return NeedFigureFactory(region=region, sector=sector, people_in_need=people_in_need, **fields)


def test_a_province_without_its_own_figure_is_the_sum_of_its_districts(tree):
    figure(tree["AF0801"], "FSC", 20_000)
    figure(tree["AF0806"], "FSC", 5_000)
    food = needs_rollup(pcode="AF08").sectors[0].metrics["people_in_need"]
    assert (food.value, food.rule, food.lower_bound) == (25_000, "sum_of_children", False)
    assert food.coverage == Coverage(with_figure=2, children=2)
    assert sorted(food.regions) == ["AF0801", "AF0806"]
    assert food.children_sum is None


def test_a_province_reported_figure_stays_with_its_districts_sum_beside_it(tree):
    figure(tree["AF08"], "FSC", 99_000)
    figure(tree["AF0801"], "FSC", 20_000)
    food = needs_rollup(pcode="AF08").sectors[0].metrics["people_in_need"]
    assert (food.value, food.rule, food.lower_bound, food.regions) == (99_000, "reported", False, ["AF08"])
    assert food.coverage == Coverage(with_figure=1, children=2)
    assert food.children_sum == ChildrenSum(
        value=20_000, coverage=Coverage(with_figure=1, children=2), lower_bound=True, regions=["AF0801"]
    )


def test_a_reported_figure_equal_to_its_childrens_sum_has_no_children_sum(tree):
    figure(tree["AF08"], "FSC", 25_000)
    figure(tree["AF0801"], "FSC", 20_000)
    figure(tree["AF0806"], "FSC", 5_000)
    food = needs_rollup(pcode="AF08").sectors[0].metrics["people_in_need"]
    assert (food.value, food.rule, food.children_sum) == (25_000, "reported", None)


def test_a_province_whose_districts_do_not_report_keeps_its_own_figure(tree):
    figure(tree["AF08"], "FSC", 99_000)
    figure(tree["AF03"], "FSC", 1_000)
    figure(tree["AF0305"], "HEA", 700)  # another sector: does not replace Parwan's food figure
    rollup = needs_rollup(pcode="AF")
    food = next(s for s in rollup.sectors if s.sector == "FSC")
    assert food.metrics["people_in_need"].value == 100_000


def test_intersectoral_people_in_need_is_the_max_over_sectors_not_the_sum(tree):
    figure(tree["AF"], "FSC", 16_900_000)
    figure(tree["AF"], "HEA", 14_500_000)
    rollup = needs_rollup(pcode="AF")
    assert rollup.intersectoral["people_in_need"].value == 16_900_000
    assert rollup.intersectoral["people_in_need"].rule == "max_over_sectors"


def test_a_reported_intersectoral_figure_wins_over_the_max(tree):
    figure(tree["AF"], "FSC", 16_900_000)
    figure(tree["AF"], "HEA", 14_500_000)
    figure(tree["AF"], "Intersectoral", 18_400_000)
    assert needs_rollup(pcode="AF").intersectoral["people_in_need"].value == 18_400_000


def test_a_need_without_a_figure_is_kept_and_never_invented(tree):
    figure(tree["AF"], "SHL", None, is_urgent=True)
    shelter = needs_rollup(pcode="AF").sectors[0]
    assert shelter.is_urgent and shelter.metrics["people_in_need"] is None


def test_the_period_filter_keeps_overlapping_figures_only(tree):
    figure(tree["AF"], "FSC", 1_000, period_start=date(2020, 1, 1), period_end=date(2020, 12, 31))
    figure(tree["AF"], "FSC", 2_000)
    rollup = needs_rollup(pcode="AF", period_start=date(2021, 6, 1), period_end=date(2021, 6, 30))
    assert rollup.sectors[0].metrics["people_in_need"].value == 2_000


def test_each_metric_comes_from_the_latest_period_that_gives_it(tree):
    """Read per region, sector and metric from the newest period down (an index probe each, issue 17 §1)."""
    year = {"period_start": date(2019, 1, 1), "period_end": date(2019, 12, 31)}
    figure(tree["AF0801"], "FSC", 100, targeted=50, reached=10, is_urgent=True, **year)
    figure(
        tree["AF0801"],
        "FSC",
        120,
        targeted=60,
        reached=None,
        period_start=date(2020, 1, 1),
        period_end=date(2020, 6, 30),
    )
    figure(tree["AF0801"], "FSC", 200, targeted=None, reached=None)  # 2021, the latest
    figure(tree["AF0806"], "HEA", None, **year)  # a need with no number: the sector is there, its counts not

    rollup = needs_rollup(pcode="AF08")

    food, health = rollup.sectors
    assert (food.sector, health.sector) == ("FSC", "HEA")
    assert {metric: rolled.value for metric, rolled in food.metrics.items()} == {
        "people_in_need": 200, "targeted": 60, "reached": 10,
    }  # fmt: skip
    assert food.is_urgent  # an urgent figure in the period asked (here: any), though not the latest
    assert not health.is_urgent and all(rolled is None for rolled in health.metrics.values())
    in_2020 = needs_rollup(pcode="AF08", period_start=date(2020, 3, 1), period_end=date(2020, 3, 31))
    assert [s.sector for s in in_2020.sectors] == ["FSC"] and not in_2020.sectors[0].is_urgent
    assert in_2020.sectors[0].metrics["people_in_need"].value == 120
    assert in_2020.sectors[0].metrics["reached"] is None


def test_the_rollup_is_three_queries_whatever_the_area(tree, django_assert_num_queries):
    for region in tree.values():
        figure(region, "FSC", 10)
    with django_assert_num_queries(3):
        needs_rollup(pcode="AF")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"people_in_need": -1}, "people_in_need"),
        ({"reached": -5}, "reached"),
        ({"period_start": date(2021, 2, 1), "period_end": date(2021, 1, 1)}, "period_end"),
        ({"sector": "Vibes"}, "sector"),
    ],
)
def test_bad_figures_are_refused_and_nothing_saved(tree, source, fields, field):
    arguments = {
        "region": tree["AF"],
        "sector": "FSC",
        "period_start": date(2021, 1, 1),
        "period_end": date(2021, 12, 31),
        "source": source,
        "confidence": "confirmed",
    } | fields
    with pytest.raises(ValidationError) as error:
        record_need_figure(actor=Actor(), **arguments)
    assert field in error.value.message_dict
    assert not NeedFigure.objects.exists()
