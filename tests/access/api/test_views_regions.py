"""Regions by p-code: status and its provenance, filters, history, status changes through the service."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from access.choices import AccessStatus, Confidence, Utility
from access.models import Region, StatusChange
from access.services import change_access_status, record_outage, record_restriction
from humtrack.actor import SYSTEM
from humtrack.models import Organisation
from tests.factories import UserFactory, make_coordinator
from tests.partners import client_for

pytestmark = pytest.mark.django_db

AUG_31 = datetime(2021, 8, 31, 12, tzinfo=UTC)
SEP_1 = datetime(2021, 9, 1, 12, tzinfo=UTC)


def change(region, status, source, when, confidence=Confidence.REPORTED):
    return change_access_status(
        region=region, status=status, reason="test", source=source, confidence=confidence, actor=SYSTEM,
        effective_at=when,
    )  # fmt: skip


def pcodes(response):
    assert response.status_code == 200, response.content
    return sorted(item["pcode"] for item in response.json()["results"])


def test_a_region_shows_its_status_since_when_source_confidence_and_active_counts(reader, tree, source):
    change(tree["AF08"], AccessStatus.SEVERELY_CONSTRAINED, source, AUG_31)
    record_outage(
        actor=SYSTEM, region=tree["AF08"], utility=Utility.INTERNET, started_at=AUG_31, source=source,
        confidence=Confidence.CONFIRMED,
    )  # fmt: skip
    record_restriction(
        actor=SYSTEM, affected_groups=["all_aid_workers"], region=tree["AF08"], category="hostilities",
        severity="extreme", starts_at=AUG_31, source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    response = reader.get("/api/v1/regions/af08/")  # p-codes in any case
    assert response.status_code == 200
    region = response.json()
    assert region["pcode"] == "AF08" and region["parent"] == "AF" and region["hierarchy"] == ["AF", "AF08"]
    assert region["status"] == "severely_constrained"
    assert region["status_since"] == "2021-08-31T12:00:00Z"
    assert region["status_confidence"] == "reported"
    assert region["status_source"] == source.pk
    assert region["active_restriction_count"] == 1 and region["active_outage_count"] == 1
    assert response["ETag"]


def test_an_unknown_pcode_is_404_in_the_error_shape(reader, tree):
    response = reader.get("/api/v1/regions/XX99/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_filter_by_status_and_level(reader, tree, source):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, source, AUG_31)
    change(tree["AF0801"], AccessStatus.INACCESSIBLE, source, AUG_31)
    change(tree["AF03"], AccessStatus.UNKNOWN, source, AUG_31)
    # AF0806 has no record of its own: it is inaccessible by Panjshir's.
    assert pcodes(reader.get("/api/v1/regions/?status=inaccessible")) == ["AF08", "AF0801", "AF0806"]
    assert pcodes(reader.get("/api/v1/regions/?status=inaccessible&level=1")) == ["AF08"]
    assert pcodes(reader.get("/api/v1/regions/?status=inaccessible&status=unknown&level=1")) == ["AF03", "AF08"]


def test_the_status_filter_takes_inherited_statuses_unless_asked_for_recorded_ones(reader, tree, source):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, source, AUG_31)
    change(tree["AF0801"], AccessStatus.CONSTRAINED, source, AUG_31)
    assert pcodes(reader.get("/api/v1/regions/?status=inaccessible")) == ["AF08", "AF0806"]
    assert pcodes(reader.get("/api/v1/regions/?status=inaccessible&status_basis=recorded")) == ["AF08"]
    assert pcodes(reader.get("/api/v1/regions/?status_basis=inherited")) == ["AF0806"]
    assert pcodes(reader.get("/api/v1/regions/?status_basis=none")) == ["AF", "AF03", "AF0305"]
    both = reader.get("/api/v1/regions/?status_basis=recorded&status_basis=none")
    assert pcodes(both) == ["AF", "AF03", "AF0305", "AF08", "AF0801"]


def test_unknown_is_an_explicit_unknown_and_no_record_matches_no_status(reader, tree, source):
    change(tree["AF03"], AccessStatus.UNKNOWN, source, AUG_31)
    # AF0305 inherits Parwan's recorded unknown; the rest of the country has nothing recorded.
    assert pcodes(reader.get("/api/v1/regions/?status=unknown")) == ["AF03", "AF0305"]
    every_status = "&".join(f"status={status}" for status in AccessStatus.values)
    assert pcodes(reader.get(f"/api/v1/regions/?{every_status}")) == ["AF03", "AF0305"]


def test_a_district_under_an_inaccessible_province_is_inaccessible_inherited_from_it(reader, tree, source):
    panjshir = change(tree["AF08"], AccessStatus.INACCESSIBLE, source, AUG_31, Confidence.CONFIRMED)
    bazarak = reader.get("/api/v1/regions/AF0801/").json()
    assert (bazarak["status"], bazarak["status_basis"], bazarak["status_from"]) == ("inaccessible", "inherited", "AF08")
    assert (bazarak["status_since"], bazarak["status_confidence"]) == ("2021-08-31T12:00:00Z", "confirmed")
    assert (bazarak["status_source"], bazarak["status_change"]) == (source.pk, panjshir.pk)
    listed = {item["pcode"]: item for item in reader.get("/api/v1/regions/").json()["results"]}
    assert (listed["AF08"]["status_basis"], listed["AF08"]["status_from"]) == ("recorded", "AF08")
    assert (listed["AF0806"]["status"], listed["AF0806"]["status_from"]) == ("inaccessible", "AF08")
    nothing = listed["AF0305"]
    assert (nothing["status"], nothing["status_basis"], nothing["status_from"]) == (None, "none", None)
    assert (nothing["status_since"], nothing["status_source"], nothing["status_change"]) == (None, None, None)


def test_a_district_record_overrides_its_province_even_an_explicit_unknown(reader, tree, source):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, source, AUG_31)
    change(tree["AF0801"], AccessStatus.UNKNOWN, source, SEP_1)
    bazarak = reader.get("/api/v1/regions/AF0801/").json()
    assert (bazarak["status"], bazarak["status_basis"], bazarak["status_from"]) == ("unknown", "recorded", "AF0801")
    assert bazarak["status_since"] == "2021-09-01T12:00:00Z"


def test_filter_within_a_region_includes_it_and_everything_under_it(reader, tree):
    assert pcodes(reader.get("/api/v1/regions/?within=AF08")) == ["AF08", "AF0801", "AF0806"]
    assert reader.get("/api/v1/regions/?within=XX").status_code == 400  # tests/access/api/test_pcodes.py


def test_filter_updated_since(reader, tree, source):
    Region.objects.update(updated_at=AUG_31)
    change(tree["AF0806"], AccessStatus.CONSTRAINED, source, SEP_1)
    assert pcodes(reader.get("/api/v1/regions/", {"updated_since": "2021-09-01T00:00:00Z"})) == ["AF0806"]


def test_filter_stale_regions_have_no_recent_confirmed_update(reader, tree, source):
    change(tree["AF08"], AccessStatus.CONSTRAINED, source, timezone.now() - timedelta(days=1), Confidence.CONFIRMED)
    change(tree["AF03"], AccessStatus.CONSTRAINED, source, timezone.now() - timedelta(days=1), Confidence.CLAIMED)
    stale = pcodes(reader.get("/api/v1/regions/?stale=true"))
    assert "AF08" not in stale and "AF03" in stale
    # Panjshir's districts show its confirmed record: as fresh as it is.
    assert sorted(pcodes(reader.get("/api/v1/regions/?stale=false"))) == ["AF08", "AF0801", "AF0806"]


def test_as_of_shows_the_statuses_in_force_at_that_moment(reader, tree, source):
    aug_31 = change(tree["AF08"], AccessStatus.SEVERELY_CONSTRAINED, source, AUG_31)
    change(tree["AF08"], AccessStatus.UNKNOWN, source, SEP_1, Confidence.CONFIRMED)
    change(tree["AF0806"], AccessStatus.INACCESSIBLE, source, SEP_1)
    response = reader.get("/api/v1/regions/", {"as_of": "2021-08-31T18:00:00Z", "within": "AF08"})
    shown = {item["pcode"]: item for item in response.json()["results"]}
    assert shown["AF08"]["status"] == "severely_constrained"
    assert shown["AF08"]["status_since"] == "2021-08-31T12:00:00Z"
    # The districts inherit what Panjshir had then; Rokha's own record came later.
    for district in ("AF0801", "AF0806"):
        assert (shown[district]["status"], shown[district]["status_basis"]) == ("severely_constrained", "inherited")
        assert (shown[district]["status_from"], shown[district]["status_change"]) == ("AF08", aug_31.pk)
    before = reader.get("/api/v1/regions/", {"as_of": "2021-08-01T00:00:00Z", "within": "AF08"}).json()["results"]
    assert {(item["status"], item["status_basis"]) for item in before} == {(None, "none")}
    before = reader.get("/api/v1/regions/", {"as_of": "2021-08-01T00:00:00Z", "status": "severely_constrained"})
    assert pcodes(before) == []
    during = reader.get("/api/v1/regions/", {"as_of": "2021-08-31T18:00:00Z", "status": "severely_constrained"})
    assert pcodes(during) == ["AF08", "AF0801", "AF0806"]
    recorded = {"as_of": "2021-08-31T18:00:00Z", "status": "severely_constrained", "status_basis": "recorded"}
    assert pcodes(reader.get("/api/v1/regions/", recorded)) == ["AF08"]
    assert reader.get("/api/v1/regions/AF08/").json()["status"] == "unknown"
    assert pcodes(reader.get("/api/v1/regions/", {"status": "unknown"})) == ["AF08", "AF0801"]


def test_bad_filter_values_are_400_naming_the_parameter(reader, tree):
    response = reader.get("/api/v1/regions/?status=fine&status_basis=guessed&as_of=yesterday&updated_since=2021-09-01")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "status_basis", "as_of", "updated_since"}


def test_status_history_lists_every_change_of_the_region(reader, tree, source):
    change(tree["AF08"], AccessStatus.SEVERELY_CONSTRAINED, source, AUG_31)
    change(tree["AF08"], AccessStatus.UNKNOWN, source, SEP_1)
    change(tree["AF03"], AccessStatus.CONSTRAINED, source, SEP_1)
    response = reader.get("/api/v1/regions/AF08/status-history/")
    assert response.status_code == 200
    history = response.json()["results"]
    assert [(c["from_status"], c["to_status"]) for c in history] == [
        (None, "severely_constrained"),  # no record of its own before: null, not "unknown" nor ""
        ("severely_constrained", "unknown"),
    ]
    assert all(c["region"] == "AF08" for c in history)


def post_change(client, pcode, source, status="inaccessible", **extra):
    body = {"status": status, "reason": "Fighting reported", "source": source.pk, "confidence": "reported"}
    return client.post(f"/api/v1/regions/{pcode}/status-changes/", {**body, **extra})


def test_a_status_change_is_201_recorded_by_the_service_and_attributed_to_the_organisation(writer, tree, source):
    response = post_change(writer, "AF08", source, effective_at="2021-09-01T12:00:00Z")
    assert response.status_code == 201
    body = response.json()
    assert body["from_status"] is None and body["to_status"] == "inaccessible"
    assert body["organisation"] == "Logistics Cluster"
    region = Region.objects.get(pcode="AF08")
    assert region.access_status == "inaccessible"
    organisation = Organisation.objects.get(name="Logistics Cluster")
    assert StatusChange.objects.get().organisation == organisation
    latest = region.history.latest()
    assert latest.history_organisation == organisation and latest.history_user is None


def test_the_same_status_again_is_200_and_records_nothing(writer, tree, source):
    assert post_change(writer, "AF08", source).status_code == 201
    response = post_change(writer, "AF08", source)
    assert response.status_code == 200
    assert response.json() == {
        "changed": False,
        "detail": "Already in this status; nothing recorded.",
        "status": "inaccessible",
    }
    assert StatusChange.objects.count() == 1


def test_an_invalid_status_change_is_400_with_field_messages(writer, tree, source):
    response = writer.post(
        "/api/v1/regions/AF08/status-changes/",
        {"status": "closed", "reason": "", "source": 999999, "confidence": "sure", "effective_at": "2021-09-01"},
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "reason", "source", "confidence", "effective_at"}
    assert not StatusChange.objects.exists()


def test_a_future_status_change_is_refused_by_the_service_rule(writer, tree, source):
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = post_change(writer, "AF08", source, effective_at=future)
    assert response.status_code == 400
    assert "future" in response.json()["fields"]["effective_at"][0]


def test_a_status_change_to_an_unknown_region_is_404(writer, tree, source):
    assert post_change(writer, "XX01", source).status_code == 404


def test_a_coordinator_session_changes_only_their_regions(tree, source):
    client = client_for(None)
    client.force_login(make_coordinator(tree["AF08"]))
    assert post_change(client, "AF0801", source).status_code == 201
    assert post_change(client, "AF03", source).status_code == 403
    change_by = StatusChange.objects.get()
    assert change_by.recorded_by is not None and change_by.organisation is None


def test_staff_without_region_rights_are_refused_and_superusers_are_not(tree, source):
    staff = client_for(None)
    staff.force_login(UserFactory(username="desk-officer", is_staff=True))
    assert post_change(staff, "AF08", source).status_code == 403
    admin = client_for(None)
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert post_change(admin, "AF08", source).status_code == 201


def name_panjshir(tree):
    from access.services.regions import save_region

    panjshir = tree["AF08"]
    panjshir.name_fa_af, panjshir.name_ps = "پنجشیر", "پنجشېر"
    return save_region(region=panjshir, actor=SYSTEM, reason="Names in Dari and Pashto")


def test_a_region_shows_its_names_in_each_language_and_null_where_unknown(reader, tree):
    name_panjshir(tree)
    panjshir = reader.get("/api/v1/regions/AF08/").json()
    assert panjshir["names"] == {"en": "Panjsher", "fa-af": "پنجشیر", "ps": "پنجشېر"}
    assert reader.get("/api/v1/regions/AF0801/").json()["names"] == {"en": "Bazarak", "fa-af": None, "ps": None}


def test_naming_a_region_in_dari_changes_its_etag_and_updated_at(reader, tree):
    before = reader.get("/api/v1/regions/AF08/")
    since = before.json()["updated_at"]
    name_panjshir(tree)
    after = reader.get("/api/v1/regions/AF08/")
    assert after["ETag"] != before["ETag"]
    assert after.json()["updated_at"] > since
    assert "AF08" in pcodes(reader.get("/api/v1/regions/", {"updated_since": after.json()["updated_at"]}))


@pytest.mark.parametrize("text", ["پنجشیر", "پنجشېر", "پنجشير", "Panjshir", "af08"])
def test_region_search_finds_panjshir_by_any_of_its_names_or_its_pcode(reader, tree, text):
    name_panjshir(tree)
    assert pcodes(reader.get("/api/v1/regions/", {"search": text})) == ["AF08"]


def test_region_search_combines_with_the_other_filters(reader, tree):
    name_panjshir(tree)
    assert pcodes(reader.get("/api/v1/regions/", {"search": "پنجشیر", "level": 2})) == []
    assert pcodes(reader.get("/api/v1/regions/", {"search": "a", "within": "AF08"})) == ["AF08", "AF0801"]


def test_a_region_its_reader_holds_is_a_304_read_from_the_region_row_alone(
    reader, tree, source, django_assert_num_queries
):
    change(tree["AF08"], AccessStatus.CONSTRAINED, source, AUG_31)  # AF0801 inherits it: a 200 reads the change
    etag = reader.get("/api/v1/regions/AF0801/")["ETag"]  # also stamps the token's use (once a minute)

    # The region's id and updated_at alone: the effective status and counts are for a 200 only, and the
    # token was kept from the request before (humtrack.api.authentication.FoundTokens).
    with django_assert_num_queries(1):
        again = reader.get("/api/v1/regions/AF0801/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""

    stale = reader.get("/api/v1/regions/AF0801/", HTTP_IF_NONE_MATCH='"older"')
    assert stale.status_code == 200 and stale["ETag"] == etag and stale.json()["pcode"] == "AF0801"
    assert reader.get("/api/v1/regions/AF0999/", HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_region_reads_never_load_an_outline(reader, tree, source):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Region.objects.filter(pcode="AF08").update(boundary={"type": "Polygon", "coordinates": []})
    change(tree["AF08"], AccessStatus.CONSTRAINED, source, AUG_31)  # its districts inherit it: status_from
    with CaptureQueriesContext(connection) as queries:
        assert reader.get("/api/v1/regions/?level=2").status_code == 200
        assert reader.get("/api/v1/regions/AF0801/").status_code == 200
    # The GeoJSON outline is nothing the API shows, the region's nor its parent's nor status_from's.
    assert not [q["sql"] for q in queries.captured_queries if '"boundary"' in q["sql"]]
