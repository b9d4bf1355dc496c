"""access/api/views/severity.py: a region's access severity for a month, one region and many, with the
override's reason and source, coverage and the flag; 400 naming `month`, 404 for an unknown p-code."""

from datetime import UTC, date, datetime

import pytest

from access.choices import AccessStatus, Confidence, ConstraintCategory, Severity
from access.models import AccessRestriction
from access.services import change_access_status
from access.services.severity import set_severity_override
from humtrack.actor import SYSTEM, Actor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2021, 9, 1)


def restriction(region, category, severity, source):
    return AccessRestriction.objects.create(
        region=region,
        category=category,
        severity=severity,
        starts_at=datetime(2021, 9, 5, tzinfo=UTC),
        source=source,
        confidence=Confidence.REPORTED,
    )


def ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def test_one_region_shows_indicators_with_evidence_override_pillars_overall_coverage_and_flag(reader, tree, source):
    change_access_status(
        region=tree["AF08"], status=AccessStatus.ACCESSIBLE, reason="test", source=source,
        confidence=Confidence.CONFIRMED, actor=SYSTEM, effective_at=datetime(2021, 9, 1, tzinfo=UTC), silent=True,
    )  # fmt: skip
    restriction(tree["AF0806"], ConstraintCategory.HOSTILITIES, Severity.EXTREME, source)
    restriction(tree["AF0806"], ConstraintCategory.MOVEMENT_RESTRICTIONS, Severity.LOW, source)
    set_severity_override(
        actor=Actor(user=UserFactory(is_superuser=True, is_staff=True)), region=tree["AF08"], month=SEPTEMBER,
        indicator=ConstraintCategory.MOVEMENT_RESTRICTIONS, score=3,
        reason="Convoys turned back at the valley's mouth.",
        source=source, confidence=Confidence.CONFIRMED,
    )  # fmt: skip

    body = ok(reader.get("/api/v1/regions/af08/severity/?month=2021-09"))
    assert (body["pcode"], body["month"]) == ("AF08", "2021-09")
    indicators = {row["indicator"]: row for row in body["indicators"]}
    assert list(indicators) == list(ConstraintCategory.values)
    hostilities = indicators["hostilities"]
    assert (hostilities["score"], hostilities["computed"], hostilities["restrictions"], hostilities["override"]) == (
        3, 3, 1, None,
    )  # fmt: skip
    movement = indicators["movement_restrictions"]
    assert (movement["score"], movement["computed"]) == (3, 1)
    assert movement["override"]["reason"] == "Convoys turned back at the valley's mouth."
    assert movement["override"]["source"]["title"] == source.title
    assert indicators["denial_of_needs"]["score"] is None
    assert {p["pillar"]: p["score"] for p in body["pillars"]} == {
        "access_of_people_in_need": None,
        "access_of_humanitarian_actors": 3.0,
        "security_and_physical_constraints": 3.0,
    }
    assert (body["overall"], body["overall_label"]) == (5, "Extreme constraints")
    assert (body["districts_with_information"], body["districts"]) == (1, 2)
    assert body["flagged_for_review"] is True  # extreme while "accessible"


def test_a_region_without_evidence_is_no_information(reader, tree):
    body = ok(reader.get("/api/v1/regions/AF0801/severity/?month=2021-09"))
    assert body["overall"] is None and body["overall_label"] == "No information"
    assert {row["score"] for row in body["indicators"]} == {None}
    assert (body["districts_with_information"], body["districts"]) == (0, 1)


@pytest.mark.parametrize("query", ["", "?month=2021-13", "?month=2021-9", "?month=september", "?month=2021-09-01"])
def test_a_missing_or_malformed_month_is_a_400_naming_month(reader, tree, query):
    for url in (f"/api/v1/regions/AF08/severity/{query}", f"/api/v1/severity/{query}"):
        response = reader.get(url)
        assert response.status_code == 400, url
        assert "month" in str(response.json()), response.json()


def test_an_unknown_pcode_is_a_404(reader, tree):
    assert reader.get("/api/v1/regions/AF99/severity/?month=2021-09").status_code == 404


def test_many_regions_within_an_area_paginated_and_by_level(reader, tree, source):
    restriction(tree["AF0806"], ConstraintCategory.HOSTILITIES, Severity.EXTREME, source)  # 3 → overall 5
    restriction(tree["AF0305"], ConstraintCategory.HOSTILITIES, Severity.LOW, source)  # 1 → overall 2

    body = ok(reader.get("/api/v1/severity/?month=2021-09&within=AF08"))
    assert [row["pcode"] for row in body["results"]] == ["AF08", "AF0801", "AF0806"]
    assert [row["overall"] for row in body["results"]] == [5, None, 5]

    extreme = ok(reader.get("/api/v1/severity/?month=2021-09&level=5"))
    assert [row["pcode"] for row in extreme["results"]] == ["AF", "AF08", "AF0806"]

    first = ok(reader.get("/api/v1/severity/?month=2021-09&limit=2"))
    assert [row["pcode"] for row in first["results"]] == ["AF", "AF03"]
    second = ok(reader.get(first["next"]))
    assert [row["pcode"] for row in second["results"]] == ["AF0305", "AF08"]


def test_within_an_unknown_region_is_a_400_naming_within(reader, tree):
    response = reader.get("/api/v1/severity/?month=2021-09&within=AF99")
    assert response.status_code == 400 and "within" in str(response.json())


def test_severity_needs_the_read_scope(client, tree):
    assert client.get("/api/v1/severity/?month=2021-09").status_code == 401
