"""Targeted or reached above people in need: saved all the same, and flagged in the API, bulk answer and admin."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, make_coordinator

pytestmark = pytest.mark.django_db


def test_a_figure_targeting_more_than_in_need_is_saved_and_flagged_in_the_api(writer, tree, source):
    body = {"region": "AF0801", "sector": "FSC", "period_start": "2021-01-01", "period_end": "2021-12-31",
            "people_in_need": 1_000, "targeted": 1_500, "reached": 200, "source": source.pk,
            "confidence": "reported"}  # fmt: skip
    created = writer.post("/api/v1/needs/", body)
    assert created.status_code == 201
    assert created.json()["warnings"] == ["targeted_exceeds_people_in_need"]
    assert NeedFigure.objects.get().targeted == 1_500

    NeedFigureFactory(region=tree["AF0806"], people_in_need=100, targeted=100, reached=101)
    NeedFigureFactory(region=tree["AF03"], people_in_need=None, targeted=5, reached=5)  # nothing to compare with
    listed = {item["region"]: item["warnings"] for item in writer.get("/api/v1/needs/").json()["results"]}
    assert listed == {
        "AF0801": ["targeted_exceeds_people_in_need"],
        "AF0806": ["reached_exceeds_people_in_need"],
        "AF03": [],
    }
    detail = writer.get(f"/api/v1/needs/{created.json()['id']}/").json()
    assert detail["warnings"] == ["targeted_exceeds_people_in_need"]


def test_a_bulk_upload_saves_flagged_rows_and_names_each(writer, tree, source):
    row = {"sector": "FSC", "period_start": "2021-01-01", "period_end": "2021-12-31", "source": source.pk,
           "confidence": "reported"}  # fmt: skip
    rows = [
        {**row, "region": "AF0801", "people_in_need": 1_000, "targeted": 900, "reached": 100},
        {**row, "region": "AF0806", "people_in_need": 1_000, "targeted": 1_200, "reached": 1_100},
        {**row, "region": "AF0305", "people_in_need": 10, "reached": 11},
    ]
    response = writer.post("/api/v1/needs/bulk/", {"rows": rows})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["created"], answer["updated"], answer["unchanged"]) == (3, 0, 0)
    assert [(w["row"], w["field"], w["code"]) for w in answer["warnings"]] == [
        (1, "targeted", "targeted_exceeds_people_in_need"),
        (1, "reached", "reached_exceeds_people_in_need"),
        (2, "reached", "reached_exceeds_people_in_need"),
    ]
    assert answer["warnings"][0]["message"] == "More people targeted than in need."
    assert NeedFigure.objects.count() == 3


@pytest.fixture
def coordinator_client(client, tree):
    client.force_login(make_coordinator(tree["AF08"]))
    return client


def test_the_admin_warns_on_saving_a_flagged_figure_and_the_list_shows_it(coordinator_client, tree, source):
    data = {"region": tree["AF0801"].pk, "sector": "FSC", "people_in_need": "1000", "targeted": "1200",
            "reached": "", "period_start": "2021-09-01", "period_end": "2021-12-31", "notes": "",
            "source": source.pk, "confidence": "reported"}  # fmt: skip
    response = coordinator_client.post(reverse("admin:needs_needfigure_add"), data)
    assert response.status_code == 302
    assert NeedFigure.objects.get().targeted == 1_200
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1 and "More people targeted than in need." in warnings[0]

    NeedFigureFactory(region=tree["AF0806"], people_in_need=500, targeted=400, source=source)
    listing = coordinator_client.get(reverse("admin:needs_needfigure_changelist"))
    rows = {figure.region.pcode: figure for figure in listing.context["cl"].result_list}
    assert set(rows) == {"AF0801", "AF0806"}
    assert listing.content.decode().count("⚠ More people targeted than in need.") == 1
