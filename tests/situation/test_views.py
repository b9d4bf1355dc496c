"""The situation page and its JSON, through Django's test client: what a logged-in user is shown."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    CorridorStatus,
    Severity,
    Utility,
)
from access.models import AccessRestriction, Region, StatusChange, UtilityOutage
from access.selectors.status import with_effective_status
from access.services import (
    change_access_status,
    create_corridor,
    end_restrictions,
    import_boundaries,
    record_outage,
    record_restriction,
    restore_outages,
    save_region,
)
from humtrack.actor import SYSTEM
from needs.models import NeedFigure
from needs.services import record_need_figure
from tests.factories import SourceFactory, UserFactory, make_coordinator, make_region

PAGE = reverse("situation:page")
LOGIN = reverse("situation:login")
PASSWORD = "a-long-test-password"
SQUARE = {"type": "Polygon", "coordinates": [[[69.5, 35.2], [70.1, 35.2], [70.1, 35.8], [69.5, 35.2]]]}


def at(day, hour=12):
    return datetime(2021, 8 if day > 15 else 9, day, hour, tzinfo=UTC)


@pytest.fixture
def picture(tree):
    """Panjshir's September 2021 in small: a status history, restrictions, outages, a corridor, needs."""
    un = SourceFactory(publisher="OCHA", title="Flash update 3")
    nrf = SourceFactory(publisher="NRF", title="Battlefield claims")
    for pcode, (lat, lon) in {"AF08": (35.5, 69.8), "AF0801": (35.31, 69.52), "AF0806": (35.29, 69.30)}.items():
        region = tree[pcode]
        region.latitude, region.longitude = Decimal(str(lat)), Decimal(str(lon))
        save_region(region=region, actor=SYSTEM)
    for pcode, (lat, lon) in {"AF03": (34.98, 68.89), "AF0305": (35.12, 69.24)}.items():
        region = tree[pcode]
        region.latitude, region.longitude = Decimal(str(lat)), Decimal(str(lon))
        save_region(region=region, actor=SYSTEM)
    import_boundaries(features=[{"type": "Feature", "properties": {"pcode": "AF08"}, "geometry": SQUARE}], actor=SYSTEM)

    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.SEVERELY_CONSTRAINED,
        reason="Fighting; the valley is closed.",
        source=un,
        confidence=Confidence.REPORTED,
        effective_at=at(31),
        actor=SYSTEM,
    )
    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.UNKNOWN,
        reason="The UN has no precise information.",
        source=un,
        confidence=Confidence.CONFIRMED,
        effective_at=at(1, 14),
        actor=SYSTEM,
    )
    change_access_status(
        region=tree["AF03"],
        status=AccessStatus.CONSTRAINED,
        reason="Checkpoints on the road north.",
        source=un,
        confidence=Confidence.CONFIRMED,
        effective_at=at(30),
        actor=SYSTEM,
    )
    common = {"actor": SYSTEM, "imposed_by": "Parties to the conflict", "severity": Severity.HIGH}
    record_restriction(
        region=tree["AF08"],
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        affected_groups=[AffectedGroupCode.ALL_AID_WORKERS, AffectedGroupCode.WOMEN_AID_WORKERS],
        description="Aid workers cannot move into the valley.",
        source=un,
        confidence=Confidence.CONFIRMED,
        starts_at=at(31),
        **common,
    )
    record_restriction(
        region=tree["AF0806"],
        category=ConstraintCategory.HOSTILITIES,
        affected_groups=[AffectedGroupCode.ALL_AID_WORKERS],
        description="The NRF declared victory in Shotul.",
        source=nrf,
        confidence=Confidence.CLAIMED,
        starts_at=at(30),
        **common,
    )
    lifted = record_restriction(
        region=tree["AF03"],
        category=ConstraintCategory.PHYSICAL_ENVIRONMENT,
        affected_groups=[AffectedGroupCode.GOODS_AND_SUPPLIES],
        description="Salang road blocked by a landslide.",
        source=un,
        confidence=Confidence.CONFIRMED,
        starts_at=at(30),
        **common,
    )
    end_restrictions(
        restrictions=AccessRestriction.objects.filter(pk=lifted.pk),
        actor=SYSTEM,
        ended_at=at(5),
        reason="Salang road reopened",
        source=un,
    )
    outage_fields = {"source": un, "confidence": Confidence.REPORTED, "actor": SYSTEM}
    record_outage(region=tree["AF08"], utility=Utility.ELECTRICITY, started_at=at(1), **outage_fields)
    record_outage(region=tree["AF08"], utility=Utility.INTERNET, started_at=at(1, 15), **outage_fields)
    repaired = record_outage(region=tree["AF03"], utility=Utility.WATER, started_at=at(30), **outage_fields)
    restore_outages(
        outages=UtilityOutage.objects.filter(pk=repaired.pk),
        actor=SYSTEM,
        restored_at=at(2),
        reason="Water supply repaired",
        source=un,
    )
    create_corridor(
        actor=SYSTEM,
        name="Charikar – Jabal Saraj – Bazarak",
        regions=[tree["AF03"], tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.CLOSED,
        source=un,
        confidence=Confidence.REPORTED,
        effective_at=at(31),
        reason="Closed with the fighting.",
    )
    september = {"period_start": date(2021, 9, 1), "period_end": date(2021, 9, 30), "actor": SYSTEM}
    figures = [("AF0801", "FSC", 1000, 600, 200), ("AF0806", "FSC", 500, None, None), ("AF0801", "HEA", 1200, None, 0)]
    for pcode, sector, in_need, targeted, reached in figures:
        record_need_figure(
            region=tree[pcode],
            sector=sector,
            people_in_need=in_need,
            targeted=targeted,
            reached=reached,
            source=un,
            confidence=Confidence.CONFIRMED,
            **september,
        )
    return tree


@pytest.fixture
def field_user(db):
    """Field staff: an account, no admin access, no assigned region."""
    return UserFactory(username="field-officer", is_staff=False)


@pytest.fixture
def logged_in(client, field_user):
    client.force_login(field_user)
    return client


def map_data(response) -> dict:
    return json.loads(
        re.search(r'<script id="map-data" type="application/json">(.*?)</script>', response.text).group(1)
    )


def region_row(response, pcode) -> str:
    return re.search(rf'<tr id="region-{pcode}".*?</tr>', response.text, re.S).group(0)


def details(client, pcode, **params):
    return client.get(reverse("situation:region-details", kwargs={"pcode": pcode}), params)


# Who may see it.


def test_anonymous_visitors_are_sent_to_the_situation_login(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PAGE}"


def test_field_staff_without_admin_access_log_in_with_their_account(client, field_user):
    response = client.post(LOGIN, {"username": "field-officer", "password": PASSWORD, "next": PAGE})

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert client.get(PAGE).status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, field_user):
    response = client.post(LOGIN, {"username": "field-officer", "password": "not-the-password"})

    assert response.status_code == 200
    assert "correct username and password" in response.text
    assert client.get(PAGE).status_code == 302


def test_coordinators_see_the_page(client, tree):
    client.force_login(make_coordinator(tree["AF08"]))

    assert client.get(PAGE).status_code == 200


def test_logging_out_ends_the_session(logged_in):
    response = logged_in.post(reverse("situation:logout"))

    assert response.status_code == 302
    assert logged_in.get(PAGE).status_code == 302


def test_region_details_need_a_login_and_answer_in_json(client, tree):
    response = details(client, "AF08")

    assert response.status_code == 403
    assert response.json() == {"detail": "Log in to see the situation."}


# The picture now.


def test_the_map_colours_each_region_by_its_status_with_its_outages(logged_in, picture):
    response = logged_in.get(PAGE)

    assert response.status_code == 200
    regions = {region["pcode"]: region for region in map_data(response)["regions"]}
    panjshir = regions["AF08"]
    assert (panjshir["status"], panjshir["status_label"], panjshir["status_basis"]) == (
        "unknown",
        "Unknown",
        "recorded",
    )
    assert panjshir["outages"] == ["Internet", "Electricity"]  # latest first
    assert panjshir["restriction_count"] == 1
    # Parwan's landslide was cleared and its water restored in September: neither is active now.
    assert (regions["AF03"]["status"], regions["AF03"]["outages"], regions["AF03"]["restriction_count"]) == (
        "constrained",
        [],
        0,
    )
    # No record of its own: Bazarak inherits Panjshir's recorded unknown, and says so.
    bazarak = regions["AF0801"]
    assert (bazarak["status"], bazarak["status_basis"], bazarak["status_from"]) == ("unknown", "inherited", "AF08")
    assert bazarak["status_text"] == "Unknown — inherited from Panjsher (AF08)"
    assert map_data(response)["boundaries"] == {"AF08": SQUARE}
    row = region_row(response, "AF08")
    assert 'data-status="unknown"' in row and "Internet, Electricity" in row


def test_the_map_shows_the_same_statuses_as_the_api_selectors(logged_in, picture):
    shown = {region["pcode"]: region["status"] for region in map_data(logged_in.get(PAGE))["regions"]}

    effective = with_effective_status(Region.objects.filter(pcode__in=shown))
    assert shown == dict(effective.values_list("pcode", "effective_status"))


def test_the_legend_gives_the_ordered_scale_then_unknown_in_words(logged_in, picture):
    response = logged_in.get(PAGE)

    legend = re.search(r'<ul class="legend-statuses">(.*?)</ul>', response.text, re.S).group(1)
    labels = [
        (value, label.strip())
        for value, label in re.findall(r"<span class=\"swatch status-(\w+)\"[^>]*></span>([^<]+)", legend)
    ]
    assert labels == [
        ("accessible", "Accessible"),
        ("constrained", "Constrained"),
        ("severely_constrained", "Severely constrained"),
        ("inaccessible", "Inaccessible"),
        ("unknown", "Unknown"),
        ("unrecorded", "No information recorded"),
    ]
    assert "Administrative boundaries courtesy of geoBoundaries.org" in response.text


def test_corridors_run_through_their_regions_with_their_status(logged_in, picture):
    (corridor,) = map_data(logged_in.get(PAGE))["corridors"]

    assert corridor["name"] == "Charikar – Jabal Saraj – Bazarak"
    assert (corridor["status"], corridor["status_label"]) == ("closed", "Closed")
    assert corridor["regions"] == ["Parwan", "Jabal Saraj", "Bazarak"]
    assert corridor["points"] == [[34.98, 68.89], [35.12, 69.24], [35.31, 69.52]]


def test_the_needs_chart_gives_each_sector_and_the_intersectoral_maximum(logged_in, picture):
    response = logged_in.get(PAGE, {"within": "AF08"})

    chart = re.search(r'<div class="needs-chart".*?</div>\s*</section>', response.text, re.S).group(0)
    # Food security: 1,000 + 500 over the districts; health 1,200; intersectoral the larger, not 2,700.
    assert "1,500" in chart and "1,200" in chart and "2,700" not in chart
    assert "max over sectors" in chart
    assert "sum over the regions under it" in chart
    assert '<rect class="bar-people_in_need" width="100.0"' in chart


def test_what_changed_lists_the_latest_changes_with_their_sources(logged_in, picture):
    response = logged_in.get(PAGE)

    changes = re.search(r'<ol class="changes" id="status-changes">(.*?)</ol>', response.text, re.S).group(1)
    assert changes.index("The UN has no precise information.") < changes.index("Fighting; the valley is closed.")
    assert "OCHA: <cite>Flash update 3</cite>" in changes
    restrictions = re.search(r'id="new-restrictions">(.*?)</ol>', response.text, re.S).group(1)
    assert "The NRF declared victory in Shotul." in restrictions
    assert "NRF: <cite>Battlefield claims</cite>" in restrictions
    assert "Claimed (by a party to the conflict)" in restrictions
    assert "Ended 5 Sep 2021" in restrictions
    outages = re.search(r'id="new-outages">(.*?)</ol>', response.text, re.S).group(1)
    assert outages.count("<li>") == 3 and "Restored 2 Sep 2021" in outages


def test_regions_without_a_recent_confirmed_update_are_flagged_stale(logged_in, picture):
    # Now, years after the demo's changes: every region is stale.
    response = logged_in.get(PAGE)
    assert 'class="badge badge-stale">Stale' in region_row(response, "AF08")

    # On 2 September Panjshir had a confirmed change the day before, and Shutul shows it (inherited).
    past = logged_in.get(PAGE, {"as_of": "2021-09-02"})
    assert "Stale" not in region_row(past, "AF08")
    assert "Stale" not in region_row(past, "AF0806")
    assert {r["pcode"]: r["stale"] for r in map_data(past)["regions"]}["AF08"] is False


def test_a_region_whose_computed_severity_disagrees_with_its_status_is_flagged_for_review(logged_in, tree):
    now = timezone.now()
    change_access_status(
        region=tree["AF08"], status=AccessStatus.ACCESSIBLE, reason="Roads open", source=SourceFactory(),
        confidence=Confidence.CONFIRMED, actor=SYSTEM, effective_at=now - timedelta(minutes=5), silent=True,
    )  # fmt: skip
    calm = logged_in.get(PAGE)
    assert "Flagged for review" not in region_row(calm, "AF08")
    assert details(logged_in, "AF08").json()["review"] is None

    # Extreme hostilities this month in Shutul while Panjsher (and so Shutul) says "accessible".
    AccessRestriction.objects.create(
        region=tree["AF0806"], category=ConstraintCategory.HOSTILITIES, severity=Severity.EXTREME,
        starts_at=now.replace(day=1, hour=0, minute=0, second=0), source=SourceFactory(),
        confidence=Confidence.REPORTED,
    )  # fmt: skip
    response = logged_in.get(PAGE)
    for pcode in ("AF08", "AF0806"):
        assert "Flagged for review" in region_row(response, pcode)
        assert "Computed from this month&#x27;s evidence: Extreme constraints" in region_row(response, pcode)
    assert "2 regions shown have a severity computed" in response.text
    assert {r["pcode"] for r in map_data(response)["regions"] if r["flagged_for_review"]} == {"AF08", "AF0806"}
    assert details(logged_in, "AF08").json()["review"] == {
        "level": 5, "text": "Computed from this month's evidence: Extreme constraints",
    }  # fmt: skip


# Filters.


def test_as_of_shows_the_picture_at_the_end_of_a_past_day(logged_in, picture):
    response = logged_in.get(PAGE, {"as_of": "2021-08-31"})

    assert response.status_code == 200
    regions = {region["pcode"]: region for region in map_data(response)["regions"]}
    assert regions["AF08"]["status"] == "severely_constrained"
    assert regions["AF08"]["outages"] == []
    assert regions["AF03"]["restriction_count"] == 1  # the landslide, lifted on 5 September
    assert "The UN has no precise information." not in response.text
    assert "The picture at the end of 31 August 2021 (UTC)" in response.text
    # Before anything was recorded, the corridor had no status.
    before = map_data(logged_in.get(PAGE, {"as_of": "2021-08-29"}))
    assert before["corridors"][0]["status"] is None
    assert {r["pcode"]: (r["status"], r["status_basis"]) for r in before["regions"]}["AF08"] == (None, "none")


def test_within_keeps_the_region_and_everything_under_it(logged_in, picture):
    response = logged_in.get(PAGE, {"within": "af08"})

    assert [region["pcode"] for region in map_data(response)["regions"]] == ["AF08", "AF0801", "AF0806"]
    # The corridor ends in Bazarak, so it is shown; Parwan's restrictions and outages are not.
    assert len(map_data(response)["corridors"]) == 1
    assert "Salang road blocked" not in response.text
    assert "Needs against reach: Panjsher" in response.text

    parwan = map_data(logged_in.get(PAGE, {"within": "AF0305"}))
    assert [region["pcode"] for region in parwan["regions"]] == ["AF0305"]
    assert len(parwan["corridors"]) == 1


@pytest.mark.parametrize(
    "params, message",
    [({"within": "XX99"}, "No region has the p-code XX99."), ({"as_of": "2021-13-45"}, "Enter a valid date.")],
)
def test_bad_filters_are_a_400_that_says_why(logged_in, picture, params, message):
    response = logged_in.get(PAGE, params)

    assert response.status_code == 400
    assert message in response.text
    # The whole picture beneath, unfiltered: every region the map can place (not the country, with no point).
    assert len(map_data(response)["regions"]) == 5


# The details panel's JSON.


def test_region_details_give_status_since_source_confidence_restrictions_outages_and_needs(logged_in, picture):
    response = details(logged_in, "af08")

    assert response.status_code == 200
    data = response.json()
    assert (data["pcode"], data["name"], data["level"], data["parent"]) == (
        "AF08",
        "Panjsher",
        "Province",
        "Afghanistan",
    )
    status = data["status"]
    assert (status["value"], status["label"], status["confidence"]) == ("unknown", "Unknown", "Confirmed")
    assert status["since"] == "2021-09-01T14:00:00+00:00"
    assert (status["source"]["publisher"], status["source"]["title"]) == ("OCHA", "Flash update 3")
    assert [(r["region_pcode"], r["confidence"]) for r in data["restrictions"]] == [
        ("AF08", "Confirmed"),
        ("AF0806", "Claimed (by a party to the conflict)"),
    ]
    assert data["restrictions"][0]["affected_groups"] == ["All aid workers", "Women aid workers"]
    assert [outage["utility"] for outage in data["outages"]] == ["Internet", "Electricity"]
    intersectoral = {item["metric"]: item["figure"] for item in data["needs"]["intersectoral"]}
    # Bazarak at least 1,200 (health, its largest sector) + Shutul at least 500: more than Panjshir's largest
    # sector (food, 1,500), so at least 1,700 from 2 of 2 districts; never 2,700, the sum over sectors.
    assert (
        intersectoral["people_in_need"]["value"],
        intersectoral["people_in_need"]["rule"],
        intersectoral["people_in_need"]["display"],
        intersectoral["people_in_need"]["detail"],
    ) == (1700, "sum_of_children", "at least 1,700", "from 2 of 2 districts")
    assert intersectoral["reached"]["value"] == 200
    food = next(sector for sector in data["needs"]["sectors"] if sector["sector"] == "FSC")
    people_in_need = food["metrics"][0]["figure"]
    assert (people_in_need["value"], people_in_need["display"], people_in_need["rule"]) == (
        1500,
        "1,500",
        "sum_of_children",
    )
    assert sorted(people_in_need["regions"]) == ["AF0801", "AF0806"]


def test_region_details_as_of_give_the_picture_of_that_day(logged_in, picture):
    data = details(logged_in, "AF08", as_of="2021-08-31").json()

    assert (data["status"]["value"], data["status"]["confidence"]) == ("severely_constrained", "Reported")
    assert data["outages"] == []
    assert data["stale"] is True  # a reported change is not a confirmed update
    assert details(logged_in, "AF08", as_of="2021-09-01").json()["stale"] is False
    # Before any figure's period: no needs to show.
    assert details(logged_in, "AF08", as_of="2021-08-31").json()["needs"]["has_figures"] is False


def test_region_details_say_a_district_inherits_its_provinces_status(logged_in, picture):
    status = details(logged_in, "AF0801").json()["status"]

    assert (status["value"], status["basis"], status["from"]) == (
        "unknown",
        "inherited",
        {"pcode": "AF08", "name": "Panjsher"},
    )
    assert status["text"] == "Unknown — inherited from Panjsher (AF08)"
    assert (status["since"], status["confidence"]) == ("2021-09-01T14:00:00+00:00", "Confirmed")
    assert status["source"]["title"] == "Flash update 3"


def test_region_details_say_no_information_recorded_where_nothing_is_on_or_above_a_region(logged_in, picture):
    status = details(logged_in, "AF").json()["status"]

    assert (status["value"], status["basis"], status["from"], status["since"], status["source"]) == (
        None,
        "none",
        None,
        None,
        None,
    )
    assert status["label"] == status["text"] == "No information recorded"
    before = details(logged_in, "AF0801", as_of="2021-08-29").json()["status"]
    assert (before["value"], before["basis"], before["text"]) == (None, "none", "No information recorded")


def test_an_inherited_region_is_hatched_in_its_ancestors_colour_and_names_it(logged_in, picture, tree):
    change_access_status(
        region=tree["AF08"], status=AccessStatus.INACCESSIBLE, reason="Fighting", source=SourceFactory(),
        confidence=Confidence.REPORTED, actor=SYSTEM,
    )  # fmt: skip
    response = logged_in.get(PAGE)

    row = region_row(response, "AF0801")
    assert 'data-status="inaccessible" data-status-basis="inherited"' in row
    assert '<span class="swatch status-inaccessible hatched" aria-hidden="true"></span>' in row
    assert "Inaccessible — inherited from Panjsher (AF08)" in row
    own = region_row(response, "AF08")
    assert '<span class="swatch status-inaccessible" aria-hidden="true"></span>Inaccessible <small>' in own
    # The map fills inherited regions with the hatch pattern of their status: it is on the page.
    assert re.search(r'<pattern id="hatch-inaccessible"[^>]*>\s*<rect class="hatch-ground"', response.text)
    assert 'class="hatch-stripe status-inaccessible"' in response.text
    bazarak = {r["pcode"]: r for r in map_data(response)["regions"]}["AF0801"]
    assert (bazarak["status"], bazarak["status_basis"], bazarak["status_from"]) == ("inaccessible", "inherited", "AF08")
    legend = re.search(r'<ul class="legend-basis">(.*?)</ul>', response.text, re.S).group(1)
    assert 'class="swatch status-inaccessible hatched"' in legend and "Hatched: inherited" in legend


def test_a_region_with_nothing_recorded_on_or_above_it_says_no_information_recorded(logged_in, picture):
    response = logged_in.get(PAGE, {"as_of": "2021-08-29"})

    row = region_row(response, "AF08")
    assert 'data-status="none" data-status-basis="none"' in row
    assert '<span class="swatch status-unrecorded" aria-hidden="true"></span>No information recorded' in row
    assert "Unknown" not in row
    # The first change of a region had no record of its own before it.
    changes = re.search(r'<ol class="changes" id="status-changes">(.*?)</ol>', logged_in.get(PAGE).text, re.S)
    assert "No record of its own → " in changes.group(1)


def test_region_details_refuse_an_unknown_region_and_a_bad_date(logged_in, picture):
    missing = details(logged_in, "XX99")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No region has the p-code XX99."})

    bad_date = details(logged_in, "AF08", as_of="31/08/2021")
    assert bad_date.status_code == 400
    assert bad_date.json() == {"as_of": ["Enter a valid date."]}


# Safety and weight.


def test_user_text_is_escaped_in_the_page_and_in_its_data(logged_in, picture):
    hostile = "</script><script>alert('x')</script>"
    make_region("AF0899", hostile, parent=picture["AF08"], latitude=Decimal("35.4"), longitude=Decimal("69.6"))
    source = SourceFactory(publisher="<b>Publisher</b>", title=hostile, url="javascript:alert(1)")
    change_access_status(
        region=picture["AF0806"],
        status=AccessStatus.INACCESSIBLE,
        reason=hostile,
        source=source,
        confidence=Confidence.UNVERIFIED,
        effective_at=at(1),
        actor=SYSTEM,
    )

    response = logged_in.get(PAGE)

    assert "<script>alert" not in response.text
    assert "&lt;/script&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in response.text
    assert "&lt;b&gt;Publisher&lt;/b&gt;" in response.text
    assert 'href="javascript:' not in response.text
    # json_script escapes <, > and & so the data cannot end its script element.
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert" in response.text
    assert {r["pcode"]: r["name"] for r in map_data(response)["regions"]}["AF0899"] == hostile
    assert details(logged_in, "AF0806").json()["status"]["reason"] == hostile


def test_the_page_loads_nothing_from_another_host(logged_in, picture):
    response = logged_in.get(PAGE)

    assets = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="([^"]+)"', response.text)
    assert "/static/vendor/leaflet/leaflet.js" in assets
    assert "/static/situation/situation.js" in assets
    # The exceptions: an empty inline icon, so the browser does not ask for /favicon.ico, and the
    # script's words (Django's JavaScriptCatalog), from this host too.
    assert all(asset.startswith("/static/") or asset in ("data:,", "/situation/jsi18n/") for asset in assets), assets
    assert "tile" not in response.text.lower()


def test_the_number_of_queries_does_not_grow_with_the_regions(logged_in, picture):
    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            assert logged_in.get(PAGE, params).status_code == 200
        return len(captured)

    before = queries(), queries(as_of="2021-09-01")
    for number in range(20):
        make_region(f"AF08{50 + number}", f"District {number}", parent=picture["AF08"], latitude=Decimal("35.4"))
    assert (queries(), queries(as_of="2021-09-01")) == before


def test_the_number_of_queries_does_not_grow_with_the_history(logged_in, picture, source):
    """Years of status changes and need figures (issue 17 §1): read by index, never one query per record."""

    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            assert logged_in.get(PAGE, params).status_code == 200
        return len(captured)

    before = queries(), queries(as_of="2021-09-01"), queries(within="AF08")
    regions = [picture[pcode] for pcode in ("AF08", "AF0801", "AF0806", "AF0305")]
    StatusChange.objects.bulk_create(
        StatusChange(
            region=region, from_status=AccessStatus.CONSTRAINED, to_status=AccessStatus.ACCESSIBLE, reason="import",
            source=source, confidence=Confidence.REPORTED, effective_at=at(1) - timedelta(days=400, hours=n),
        )
        for region in regions for n in range(100)
    )  # fmt: skip
    NeedFigure.objects.bulk_create(
        NeedFigure(
            region=region, sector="FSC", people_in_need=100, period_start=date(2019, 1, 1) + timedelta(weeks=week),
            period_end=date(2019, 1, 7) + timedelta(weeks=week), source=source, confidence=Confidence.REPORTED,
        )
        for region in regions for week in range(50)
    )  # fmt: skip
    assert (queries(), queries(as_of="2021-09-01"), queries(within="AF08")) == before


def test_the_page_opens_on_an_empty_database(logged_in):
    response = logged_in.get(PAGE)

    assert response.status_code == 200
    assert "No regions to show." in response.text
    assert map_data(response) == {"as_of": None, "regions": [], "boundaries": {}, "corridors": []}
