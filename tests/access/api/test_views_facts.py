"""Corridors, restrictions, outages and sources: create, update, filters, ownership, ETag and If-Match."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from access.choices import Confidence, Utility
from access.models import AccessRestriction, AidCorridor, CorridorStatusChange, Source, UtilityOutage
from access.services import record_outage, record_restriction
from humtrack.actor import SYSTEM, Actor
from humtrack.models import Organisation

pytestmark = pytest.mark.django_db

AUG_31 = datetime(2021, 8, 31, 12, tzinfo=UTC)


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


def restriction_body(source, **extra):
    body = {
        "region": "AF0801", "category": "movement_restrictions", "severity": "high",
        "affected_groups": ["all_aid_workers", "women_aid_workers"], "starts_at": "2021-08-31T12:00:00Z",
        "source": source.pk, "confidence": "reported", "imposed_by": "Armed group",
    }  # fmt: skip
    return {**body, **extra}


def test_a_partner_records_a_restriction_through_the_service(writer, tree, source):
    response = writer.post("/api/v1/restrictions/", restriction_body(source))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["affected_groups"] == ["all_aid_workers", "women_aid_workers"]
    assert body["region"] == "AF0801" and body["region_hierarchy"] == ["AF", "AF08", "AF0801"]
    assert body["is_active"] is True and body["organisation"] == "Logistics Cluster"
    assert response["Location"].endswith(f"/api/v1/restrictions/{body['id']}/")
    assert response["ETag"]
    restriction = AccessRestriction.objects.get()
    assert restriction.history.latest().history_organisation == Organisation.objects.get(name="Logistics Cluster")


def test_a_restriction_ending_before_it_starts_is_400_from_the_model_rule(writer, tree, source):
    response = writer.post("/api/v1/restrictions/", restriction_body(source, ends_at="2021-08-01T00:00:00Z"))
    assert response.status_code == 400
    assert response.json()["fields"] == {"ends_at": ["A restriction cannot end before it starts."]}
    assert not AccessRestriction.objects.exists()


def test_missing_and_wrong_fields_are_named(writer, tree, source):
    response = writer.post("/api/v1/restrictions/", {"region": "ZZ", "affected_groups": ["cats"], "starts_at": 5})
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"region", "category", "severity", "source", "confidence", "starts_at"} <= set(fields)
    assert fields["region"] == ["No region with p-code ZZ."]
    assert fields["affected_groups.0"] == ['"cats" is not a valid choice.']


def test_updates_carry_an_etag_and_a_stale_if_match_is_412(writer, tree, source):
    created = writer.post("/api/v1/restrictions/", restriction_body(source)).json()
    url = f"/api/v1/restrictions/{created['id']}/"
    first_etag = writer.get(url)["ETag"]
    updated = writer.patch(url, {"severity": "extreme", "reason": "Escalation"}, HTTP_IF_MATCH=first_etag)
    assert updated.status_code == 200 and updated.json()["severity"] == "extreme"
    assert updated["ETag"] != first_etag
    stale = writer.patch(url, {"severity": "low"}, HTTP_IF_MATCH=first_etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert AccessRestriction.objects.get().severity == "extreme"
    weak = writer.patch(url, {"severity": "low"}, HTTP_IF_MATCH=f"W/{updated['ETag']}")
    assert weak.status_code == 412  # RFC 9110 §13.1.1: If-Match compares strongly; a weak tag never matches
    assert writer.patch(url, {"severity": "low"}, HTTP_IF_MATCH=updated["ETag"]).status_code == 200


def test_another_organisations_record_cannot_be_changed(writer, other_writer, tree, source):
    created = writer.post("/api/v1/restrictions/", restriction_body(source)).json()
    url = f"/api/v1/restrictions/{created['id']}/"
    response = other_writer.patch(url, {"severity": "low"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert other_writer.get(url).status_code == 200  # everyone reads
    assert AccessRestriction.objects.get().severity == "high"


def test_records_of_the_coordinators_belong_to_no_partner(writer, tree, source):
    outage = record_outage(
        actor=SYSTEM, region=tree["AF08"], utility=Utility.INTERNET, started_at=AUG_31, source=source,
        confidence=Confidence.CONFIRMED,
    )  # fmt: skip
    assert writer.patch(f"/api/v1/outages/{outage.pk}/", {"extent": "full"}).status_code == 403


def test_restriction_filters(reader, tree, source):
    def restriction(region, category, severity, groups, ends_at=None):
        return record_restriction(
            actor=SYSTEM, affected_groups=groups, region=region, category=category, severity=severity,
            starts_at=AUG_31, ends_at=ends_at, source=source, confidence=Confidence.REPORTED,
        ).pk  # fmt: skip

    hostilities = restriction(tree["AF0801"], "hostilities", "extreme", ["all_aid_workers"])
    women = restriction(tree["AF0806"], "movement_restrictions", "high", ["women_aid_workers"])
    ended = restriction(
        tree["AF0305"], "hostilities", "low", ["all_aid_workers"], ends_at=datetime(2021, 9, 5, tzinfo=UTC)
    )
    url = "/api/v1/restrictions/"
    assert ids(reader.get(url, {"within": "AF08"})) == sorted([hostilities, women])
    assert ids(reader.get(url, {"region": "AF0806"})) == [women]
    assert ids(reader.get(url, {"category": "hostilities"})) == sorted([hostilities, ended])
    assert ids(reader.get(url, {"severity": ["extreme", "low"]})) == sorted([hostilities, ended])
    assert ids(reader.get(url, {"affected_group": "women_aid_workers"})) == [women]
    assert ids(reader.get(url, {"active": "true"})) == sorted([hostilities, women])
    assert ids(reader.get(url, {"active": "false"})) == [ended]
    assert ids(reader.get(url, {"in_force_at": "2021-09-10T00:00:00Z"})) == sorted([hostilities, women])
    assert ids(reader.get(url, {"starts_after": "2021-09-01T00:00:00Z"})) == []
    assert ids(reader.get(url, {"starts_before": "2021-09-01T00:00:00Z"})) == sorted([hostilities, women, ended])


def test_outages_create_update_and_filters(writer, tree, source):
    body = {
        "region": "AF08", "utility": "electricity", "started_at": "2021-08-30T00:00:00Z", "cause": "deliberate_cut",
        "extent": "full", "source": source.pk, "confidence": "confirmed",
    }  # fmt: skip
    electricity = writer.post("/api/v1/outages/", body).json()["id"]
    internet = writer.post("/api/v1/outages/", {**body, "utility": "internet", "region": "AF0305"}).json()["id"]
    restored = writer.patch(f"/api/v1/outages/{internet}/", {"restored_at": "2021-09-03T00:00:00Z"})
    assert restored.status_code == 200 and restored.json()["is_active"] is False
    url = "/api/v1/outages/"
    assert ids(writer.get(url, {"utility": "electricity"})) == [electricity]
    assert ids(writer.get(url, {"active": "true"})) == [electricity]
    assert ids(writer.get(url, {"within": "AF03"})) == [internet]
    assert ids(writer.get(url, {"cause": "deliberate_cut", "extent": "full"})) == sorted([electricity, internet])
    assert ids(writer.get(url, {"started_after": "2021-08-31T00:00:00Z"})) == []
    assert ids(writer.get(url, {"in_force_at": "2021-09-04T00:00:00Z"})) == [electricity]
    before_start = writer.patch(f"/api/v1/outages/{electricity}/", {"restored_at": "2021-08-01T00:00:00Z"})
    assert before_start.status_code == 400 and "restored_at" in before_start.json()["fields"]
    assert UtilityOutage.objects.filter(restored_at__isnull=False).count() == 1


def corridor_body(source, **extra):
    body = {
        "name": "Kabul – Bazarak", "regions": ["AF0305", "af0801"], "status": "closed", "source": source.pk,
        "confidence": "reported", "reason": "Road closed at the valley entrance",
    }  # fmt: skip
    return {**body, **extra}


def test_corridors_create_with_a_route_then_change_status(writer, other_writer, tree, source):
    response = writer.post("/api/v1/corridors/", corridor_body(source))
    assert response.status_code == 201, response.content
    corridor = response.json()
    assert corridor["origin"] == "AF0305" and corridor["destination"] == "AF0801"
    assert corridor["regions"] == ["AF0305", "AF0801"] and corridor["status"] == "closed"
    url = f"/api/v1/corridors/{corridor['id']}/status-changes/"
    opened = {"status": "open", "reason": "Reopened", "source": source.pk, "confidence": "confirmed"}
    assert writer.post(url, opened).status_code == 201
    again = writer.post(url, opened)
    assert again.status_code == 200  # no change, in the same words as a region's
    assert again.json() == {"changed": False, "detail": "Already in this status; nothing recorded.", "status": "open"}
    assert other_writer.post(url, {**opened, "status": "closed"}).status_code == 403
    assert AidCorridor.objects.get().status == "open"
    assert CorridorStatusChange.objects.count() == 2  # created closed, then opened


def test_corridor_filters_by_region_along_the_route_and_status(reader, writer, tree, source):
    through_af08 = writer.post("/api/v1/corridors/", corridor_body(source)).json()["id"]
    in_parwan = writer.post(
        "/api/v1/corridors/", corridor_body(source, name="Parwan loop", regions=["AF03", "AF0305"], status="open")
    ).json()["id"]
    url = "/api/v1/corridors/"
    assert ids(reader.get(url, {"within": "AF08"})) == [through_af08]
    assert ids(reader.get(url, {"region": "AF0305"})) == sorted([through_af08, in_parwan])
    assert ids(reader.get(url, {"within": "AF"})) == sorted([through_af08, in_parwan])  # each once
    assert ids(reader.get(url, {"status": "open"})) == [in_parwan]


def test_a_corridor_needs_two_regions(writer, tree, source):
    response = writer.post("/api/v1/corridors/", corridor_body(source, regions=["AF08"]))
    assert response.status_code == 400 and "regions" in response.json()["fields"]


def test_sources_create_update_and_filters(writer, other_writer, tree):
    body = {"publisher": "UN OCHA", "title": "Flash update", "kind": "un_statement", "reliability": "A",
            "published_at": "2021-09-01T10:00:00Z", "url": "https://reliefweb.int/"}  # fmt: skip
    created = writer.post("/api/v1/sources/", body)
    assert created.status_code == 201
    source_id = created.json()["id"]
    assert Source.objects.get(pk=source_id).organisation.name == "Logistics Cluster"
    assert writer.patch(f"/api/v1/sources/{source_id}/", {"title": "Flash update 2"}).status_code == 200
    assert other_writer.patch(f"/api/v1/sources/{source_id}/", {"title": "Mine"}).status_code == 403
    assert ids(writer.get("/api/v1/sources/", {"kind": "un_statement", "publisher": "ocha"})) == [source_id]
    assert ids(writer.get("/api/v1/sources/", {"reliability": "F"})) == []
    assert ids(writer.get("/api/v1/sources/", {"published_after": "2021-09-02T00:00:00Z"})) == []


def test_a_naive_date_time_is_refused_rather_than_guessed(writer, tree, source):
    response = writer.post("/api/v1/restrictions/", restriction_body(source, starts_at="2021-08-31T12:00:00"))
    assert response.status_code == 400 and "starts_at" in response.json()["fields"]


def test_history_attributes_a_partner_update(writer, tree, source):
    created = writer.post("/api/v1/outages/", {
        "region": "AF08", "utility": "water", "started_at": "2021-08-30T00:00:00Z", "source": source.pk,
        "confidence": "reported",
    }).json()  # fmt: skip
    writer.patch(f"/api/v1/outages/{created['id']}/", {"extent": "partial", "reason": "Partly back"})
    latest = UtilityOutage.objects.get().history.latest()
    assert latest.history_change_reason == "Partly back"
    assert latest.history_organisation == Organisation.objects.get(name="Logistics Cluster")
    assert Actor(organisation=latest.history_organisation).label == "Logistics Cluster"


def test_a_coordinators_session_records_facts_only_in_their_regions(tree, source):
    """Through the API as in the admin: a coordinator of Panjsher writes there, not in Parwan."""
    from rest_framework.test import APIClient

    from tests.factories import make_coordinator

    client = APIClient()
    client.force_login(make_coordinator(tree["AF08"]))
    theirs = client.post("/api/v1/restrictions/", restriction_body(source), format="json")
    assert theirs.status_code == 201, theirs.content
    elsewhere = client.post("/api/v1/restrictions/", restriction_body(source, region="AF0305"), format="json")
    assert elsewhere.status_code == 403
    moved = client.patch(f"/api/v1/restrictions/{theirs.json()['id']}/", {"region": "AF0305"}, format="json")
    assert moved.status_code == 403
    assert list(AccessRestriction.objects.values_list("region__pcode", flat=True)) == ["AF0801"]


# --- ends and restores keep the time they happened ----------------------------------------------


def outage_body(source, **extra):
    body = {
        "region": "AF08", "utility": "internet", "started_at": "2021-08-30T00:00:00Z", "cause": "deliberate_cut",
        "extent": "full", "source": source.pk, "confidence": "confirmed",
    }  # fmt: skip
    return {**body, **extra}


def test_a_past_restore_time_is_kept_a_future_or_pre_start_one_is_400_naming_the_field(writer, tree, source):
    cut = writer.post("/api/v1/outages/", outage_body(source)).json()["id"]
    url = f"/api/v1/outages/{cut}/"
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()

    future = writer.patch(url, {"restored_at": tomorrow})
    assert future.status_code == 400
    assert list(future.json()["fields"]) == ["restored_at"] and "future" in future.json()["fields"]["restored_at"][0]
    before_start = writer.patch(url, {"restored_at": "2021-08-29T00:00:00Z"})
    assert before_start.status_code == 400 and list(before_start.json()["fields"]) == ["restored_at"]
    assert UtilityOutage.objects.get().restored_at is None

    restored = writer.patch(url, {"restored_at": "2021-09-05T14:30:00Z"})
    assert restored.status_code == 200 and restored.json()["restored_at"] == "2021-09-05T14:30:00Z"
    assert UtilityOutage.objects.get().restored_at == datetime(2021, 9, 5, 14, 30, tzinfo=UTC)

    created_restored = writer.post("/api/v1/outages/", outage_body(source, restored_at=tomorrow))
    assert created_restored.status_code == 400 and "restored_at" in created_restored.json()["fields"]


def test_a_restriction_may_announce_a_future_end_but_not_end_before_it_started(writer, tree, source):
    url = f"/api/v1/restrictions/{writer.post('/api/v1/restrictions/', restriction_body(source)).json()['id']}/"
    before_start = writer.patch(url, {"ends_at": "2021-08-30T00:00:00Z"})
    assert before_start.status_code == 400
    assert before_start.json()["fields"] == {"ends_at": ["A restriction cannot end before it starts."]}

    announced = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    response = writer.patch(url, {"ends_at": announced.isoformat()})
    assert response.status_code == 200
    assert AccessRestriction.objects.get().ends_at == announced


def test_the_reason_sent_with_a_new_record_is_kept_in_its_history(writer, tree, source):
    """A field the API accepts is used: `reason` on create is the history's reason, not dropped."""
    restriction = writer.post("/api/v1/restrictions/", restriction_body(source, reason="Checkpoint at Gulbahar"))
    outage = writer.post("/api/v1/outages/", outage_body(source, reason="Lines cut at the valley's mouth"))
    assert restriction.status_code == outage.status_code == 201, (restriction.content, outage.content)
    recorded = AccessRestriction.objects.get(pk=restriction.json()["id"]).history.earliest()
    assert recorded.history_change_reason == "Checkpoint at Gulbahar"
    cut = UtilityOutage.objects.get(pk=outage.json()["id"]).history.earliest()
    assert cut.history_change_reason == "Lines cut at the valley's mouth"
