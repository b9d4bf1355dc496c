"""The situation page's needs chart says how each figure was made, as the roll-up does (Bazarak on the demo)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from scenarios.demo import SEPTEMBER_2021, load_demo
from tests.factories import UserFactory
from tests.needs.test_selectors_rollup_demo import add_figure

pytestmark = pytest.mark.django_db

PAGE = reverse("situation:page")


@pytest.fixture
def logged_in(client):
    load_demo()
    client.force_login(UserFactory(username="field-officer", is_staff=False))
    return client


def chart(response) -> str:
    html = re.search(r'<div class="needs-chart".*?</div>\s*</section>', response.content.decode(), re.S).group(0)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_page_shows_the_reported_national_figure_with_the_provinces_sum_beside_it(logged_in):
    add_figure("AF0801", "HEA", 12_000, period=SEPTEMBER_2021)

    text = chart(logged_in.get(PAGE, {"within": "AF", "as_of": "2021-09-05"}))
    assert "14,500,000 reported 14,500,000 · provinces: 12,000 from 1 of 34" in text
    assert "18,400,000" in text and "31,400,000" not in text
    assert "never replaced by the sum of the regions under it" in text  # the rule, in a sentence

    # As of a day before the district's figure: the national figure alone.
    before = chart(logged_in.get(PAGE, {"within": "AF", "as_of": "2021-08-31"}))
    assert "14,500,000" in before and "provinces:" not in before


def test_an_area_without_its_own_figure_reads_at_least_with_its_coverage(logged_in):
    add_figure("AF0801", "WSH", 12_000)
    add_figure("AF0806", "WSH", 3_000)

    text = chart(logged_in.get(PAGE, {"within": "AF08"}))
    assert "at least 15,000 sum over the regions under it from 2 of 7 districts" in text

    details = logged_in.get(reverse("situation:region-details", kwargs={"pcode": "AF08"})).json()
    water = next(sector for sector in details["needs"]["sectors"] if sector["sector"] == "WSH")
    in_need = water["metrics"][0]["figure"]
    assert (in_need["display"], in_need["lower_bound"], in_need["coverage"]) == (
        "at least 15,000",
        True,
        {"with_figure": 2, "children": 7},
    )
