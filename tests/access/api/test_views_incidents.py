"""access/api/views/incidents.py: /api/v1/incidents/ — create and update through the services, filters,
idempotency, ETag and If-Match, CSV/HXL and GeoJSON, incremental sync, and 400s naming the field.

Who reads an incident's description and point is tests/security/test_incident_sensitivity.py's.
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from access.alerts.webhooks.models import WebhookEvent
from access.choices import Confidence, ConstraintCategory, IncidentType
from access.models import Incident
from access.services import record_incident, record_restriction, update_incident
from humtrack.actor import Actor
from humtrack.models import Organisation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
# A square around Panjsher's valley (lon 69–71, lat 35–36), as GeoJSON (longitude, latitude).
PANJSHER_SQUARE = {"type": "Polygon", "coordinates": [[[69, 35], [71, 35], [71, 36], [69, 36], [69, 35]]]}


def body(source, **extra):
    fields = {
        "region": "AF0801", "occurred_at": "2021-09-01T08:00:00Z", "category": "movement_restrictions",
        "incident_type": "convoy_blocked", "perpetrator_type": "party_to_the_conflict", "source": source.pk,
        "confidence": "reported", "description": "Convoy turned back at the Gulbahar checkpoint.",
        "sensitivity": "public", "affected_groups": ["all_aid_workers"], "aid_workers_affected": 4,
    }  # fmt: skip
    return {**fields, **extra}


@pytest.fixture
def coordinator_actor(db):
    return Actor(user=UserFactory(is_superuser=True, is_staff=True))


def incident(actor, region, source, **changes):
    fields = dict(
        actor=actor,
        region=region,
        occurred_at=datetime(2021, 9, 1, 12, tzinfo=UTC),
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        incident_type=IncidentType.CONVOY_BLOCKED,
        source=source,
        confidence=Confidence.REPORTED,
        sensitivity="public",
    )
    return record_incident(**(fields | changes))


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


# --- writes -----------------------------------------------------------------------------------------


def test_a_partner_records_an_incident_through_the_service(writer, tree, source):
    response = writer.post(URL, body(source, latitude=35.312345678, longitude=69.5), format="json")
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["region"] == "AF0801" and shown["region_hierarchy"] == ["AF", "AF08", "AF0801"]
    assert shown["organisation"] == "Logistics Cluster" and shown["details_withheld"] is False
    assert shown["affected_groups"] == ["all_aid_workers"] and shown["aid_workers_affected"] == 4
    assert shown["people_unable_to_receive_aid"] is None and shown["activities_suspended"] is None
    assert (shown["latitude"], shown["longitude"]) == (35.31235, 69.5)  # five places, as stored
    assert response["Location"].endswith(f"{URL}{shown['id']}/") and response["ETag"]
    stored = Incident.objects.get()
    assert stored.history.latest().history_organisation == Organisation.objects.get(name="Logistics Cluster")
    event = WebhookEvent.objects.get(event_type="incident.created")
    assert event.payload["data"]["id"] == stored.pk


def test_an_incident_type_of_another_category_is_400_naming_incident_type(writer, tree, source):
    response = writer.post(URL, body(source, incident_type="staff_killed"), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["incident_type"]
    assert not Incident.objects.exists()


def test_a_point_outside_the_region_is_400_naming_latitude(writer, tree, source):
    tree["AF08"].boundary = PANJSHER_SQUARE
    tree["AF08"].save()
    response = writer.post(URL, body(source, latitude=34.5, longitude=69.5), format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"latitude": ["The point lies outside the outline of Panjsher (AF08)."]}
    assert not Incident.objects.exists()


def test_half_a_point_a_future_date_and_wrong_shapes_are_named(writer, tree, source):
    response = writer.post(URL, body(source, latitude=35.3), format="json")
    assert response.json()["fields"] == {"longitude": ["Give both latitude and longitude, or neither."]}
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = writer.post(URL, body(source, occurred_at=future), format="json")
    assert list(response.json()["fields"]) == ["occurred_at"]
    response = writer.post(URL, {"region": "ZZ", "latitude": 91, "affected_groups": ["cats"]}, format="json")
    fields = response.json()["fields"]
    assert {"region", "occurred_at", "category", "incident_type", "source", "confidence", "latitude"} <= set(fields)
    assert fields["affected_groups.0"] == ['"cats" is not a valid choice.']
    assert not Incident.objects.exists()


def test_a_retried_post_with_the_same_idempotency_key_records_one_incident(writer, tree, source):
    first = writer.post(URL, body(source), format="json", HTTP_IDEMPOTENCY_KEY="incident-sep-1")
    again = writer.post(URL, body(source), format="json", HTTP_IDEMPOTENCY_KEY="incident-sep-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.count() == 1


def test_updates_carry_an_etag_and_a_stale_if_match_is_412(writer, tree, source):
    created = writer.post(URL, body(source), format="json").json()
    url = f"{URL}{created['id']}/"
    first_etag = writer.get(url)["ETag"]
    updated = writer.patch(
        url, {"aid_workers_affected": 6, "reason": "Second report"}, format="json", HTTP_IF_MATCH=first_etag
    )
    assert updated.status_code == 200 and updated.json()["aid_workers_affected"] == 6
    assert updated["ETag"] != first_etag
    stale = writer.patch(url, {"aid_workers_affected": 1}, format="json", HTTP_IF_MATCH=first_etag)
    assert stale.status_code == 412
    assert Incident.objects.get().aid_workers_affected == 6
    assert WebhookEvent.objects.filter(event_type="incident.updated").count() == 1
    assert writer.get(url, HTTP_IF_NONE_MATCH=updated["ETag"]).status_code == 304


def test_a_patch_that_breaks_a_rule_is_400_and_changes_nothing(writer, tree, source):
    created = writer.post(URL, body(source), format="json").json()
    response = writer.patch(f"{URL}{created['id']}/", {"category": "hostilities"}, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["incident_type"]
    assert Incident.objects.get().category == "movement_restrictions"


def test_another_organisations_incident_cannot_be_changed(writer, other_writer, tree, source):
    created = writer.post(URL, body(source), format="json").json()
    response = other_writer.patch(f"{URL}{created['id']}/", {"aid_workers_affected": 0}, format="json")
    assert response.status_code == 403
    assert Incident.objects.get().aid_workers_affected == 4


# --- filters ----------------------------------------------------------------------------------------


def test_filters_by_place_category_type_perpetrator_confidence_and_sensitivity(reader, tree, source, coordinator_actor):
    convoy = incident(coordinator_actor, tree["AF0801"], source, perpetrator_type="party_to_the_conflict")
    fighting = incident(
        coordinator_actor,
        tree["AF0305"],
        source,
        category=ConstraintCategory.HOSTILITIES,
        incident_type=IncidentType.FIGHTING_REPORTED,
        confidence=Confidence.CLAIMED,
        sensitivity="restricted",
    )
    assert ids(reader.get(URL, {"within": "AF08"})) == [convoy.pk]
    assert ids(reader.get(URL, {"region": "AF0305"})) == [fighting.pk]
    assert ids(reader.get(URL, {"region": "AF08"})) == []  # exactly that region, not under it
    assert ids(reader.get(URL, {"category": "hostilities"})) == [fighting.pk]
    assert ids(reader.get(URL, {"incident_type": ["convoy_blocked", "fighting_reported"]})) == [convoy.pk, fighting.pk]
    assert ids(reader.get(URL, {"perpetrator_type": "party_to_the_conflict"})) == [convoy.pk]
    assert ids(reader.get(URL, {"confidence": "claimed"})) == [fighting.pk]
    assert ids(reader.get(URL, {"sensitivity": "restricted"})) == [fighting.pk]


def test_month_counts_an_incident_under_way_in_it_and_the_dates_filter_its_start(
    reader, tree, source, coordinator_actor
):
    hostilities = incident(
        coordinator_actor,
        tree["AF08"],
        source,
        category=ConstraintCategory.HOSTILITIES,
        incident_type=IncidentType.ACTIVE_HOSTILITIES,
        occurred_at=datetime(2021, 8, 30, tzinfo=UTC),
        occurred_until=datetime(2021, 9, 2, tzinfo=UTC),
    )
    september = incident(coordinator_actor, tree["AF0801"], source, occurred_at=datetime(2021, 9, 20, tzinfo=UTC))
    assert ids(reader.get(URL, {"month": "2021-08"})) == [hostilities.pk]
    assert ids(reader.get(URL, {"month": "2021-09"})) == [hostilities.pk, september.pk]
    assert ids(reader.get(URL, {"month": "2021-10"})) == []
    assert ids(reader.get(URL, {"occurred_after": "2021-09-01T00:00:00Z"})) == [september.pk]
    assert ids(reader.get(URL, {"occurred_before": "2021-09-01T00:00:00Z"})) == [hostilities.pk]


@pytest.mark.parametrize("month", ["2021-13", "2021-9", "September", ""])
def test_a_month_not_shaped_yyyy_mm_is_400_naming_month(reader, tree, month):
    response = reader.get(URL, {"month": month})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["month"]


def test_updated_since_and_resume_bring_an_edited_incident_again(reader, tree, source, coordinator_actor, settings):
    settings.HUMTRACK_SYNC_SETTLE_SECONDS = 0
    old = incident(coordinator_actor, tree["AF0801"], source)
    edited = incident(coordinator_actor, tree["AF0806"], source)
    first = reader.get(URL).json()
    assert sorted(item["id"] for item in first["results"]) == [old.pk, edited.pk]
    since = timezone.now()
    update_incident(incident=edited, actor=coordinator_actor, aid_workers_affected=2, reason="Second report")
    assert ids(reader.get(URL, {"updated_since": since.isoformat()})) == [edited.pk]
    again = reader.get(first["resume"]).json()["results"]
    assert [(item["id"], item["aid_workers_affected"]) for item in again] == [(edited.pk, 2)]


# --- formats ----------------------------------------------------------------------------------------


def test_csv_has_the_hxl_row_and_one_row_per_incident(reader, tree, source, coordinator_actor):
    convoy = incident(
        coordinator_actor,
        tree["AF0801"],
        source,
        description="=cmd|' /C calc'!A0",
        affected_groups=["women_aid_workers", "all_aid_workers"],
        latitude=35.3,
        longitude=69.5,
    )
    response = reader.get(URL, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, hxl, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == [
        "id", "adm0_pcode", "adm1_pcode", "adm2_pcode", "region", "occurred_at", "occurred_until", "reported_at",
        "latitude", "longitude", "category", "incident_type", "perpetrator_type", "activities_suspended",
        "people_unable_to_receive_aid", "aid_workers_affected", "affected_groups", "description", "sensitivity",
        "details_withheld", "source", "confidence", "organisation", "updated_at",
    ]  # fmt: skip
    assert hxl[:5] == ["#meta+id", "#country+code", "#adm1+code", "#adm2+code", "#loc+code"]
    assert all(tag.startswith("#") for tag in hxl)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["id"] == str(convoy.pk) and row["adm2_pcode"] == "AF0801"
    assert (row["latitude"], row["longitude"]) == ("35.3", "69.5")
    assert row["affected_groups"] == "all_aid_workers women_aid_workers"
    assert row["description"] == "'=cmd|' /C calc'!A0"  # a formula is shown as text (CSV injection)
    assert row["details_withheld"] == "false" and row["occurred_until"] == ""


def test_geojson_shows_the_incidents_own_point_and_null_without_one(reader, tree, source, coordinator_actor):
    tree["AF0806"].latitude, tree["AF0806"].longitude = 35.6, 69.9  # a centroid the region has
    tree["AF0806"].save()
    with_point = incident(coordinator_actor, tree["AF0801"], source, latitude=35.3, longitude=69.5)
    without = incident(coordinator_actor, tree["AF0806"], source)
    response = reader.get(URL, {"format": "geojson"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    features = {feature["id"]: feature for feature in response.json()["features"]}
    assert features[with_point.pk]["geometry"] == {"type": "Point", "coordinates": [69.5, 35.3]}
    assert features[without.pk]["geometry"] is None  # never the region's centroid passed off as a point
    assert features[without.pk]["properties"]["region"] == "AF0806"
    one = reader.get(f"{URL}{with_point.pk}/", {"format": "geojson"}).json()
    assert one["type"] == "Feature" and one["geometry"]["coordinates"] == [69.5, 35.3]


def test_the_schema_describes_the_incident_routes_and_event_types(reader, db):
    schema = reader.get("/api/schema/", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/incidents/"])
    assert {"get", "put", "patch"} <= set(schema["paths"]["/api/v1/incidents/{id}/"])
    assert "delete" not in schema["paths"]["/api/v1/incidents/{id}/"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"within", "region", "category", "incident_type", "month", "updated_since", "sensitivity"} <= parameters
    month = next(p for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"] if p["name"] == "month")
    assert month["schema"]["pattern"] == r"^\d{4}-(0[1-9]|1[0-2])$"
    incident_schema = schema["components"]["schemas"]["Incident"]["properties"]
    assert incident_schema["description"]["nullable"] is True and incident_schema["latitude"]["nullable"] is True
    assert {"incident.created", "incident.updated"} <= set(
        schema["components"]["schemas"]["WebhookEventTypeEnum"]["enum"]
    )


def test_a_deleted_incident_reaches_the_deletion_feed(reader, tree, source, coordinator_actor):
    gone = incident(coordinator_actor, tree["AF0801"], source)
    pk = gone.pk
    gone.delete()  # a superuser in the admin; the API deletes nothing
    deletions = reader.get("/api/v1/deletions/", {"resource": "incidents"}).json()["results"]
    assert [(row["resource"], row["id"]) for row in deletions] == [("incidents", str(pk))]


def test_an_incident_whose_restriction_is_deleted_comes_again_with_no_link(reader, tree, source, coordinator_actor):
    restriction = record_restriction(
        actor=coordinator_actor,
        region=tree["AF0801"],
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        severity="high",
        affected_groups=["all_aid_workers"],
        starts_at=datetime(2021, 9, 1, tzinfo=UTC),
        source=source,
        confidence=Confidence.REPORTED,
    )
    evidence = incident(coordinator_actor, tree["AF0801"], source, restriction=restriction)
    since = timezone.now()
    restriction.delete()
    changed = reader.get(URL, {"updated_since": since.isoformat()}).json()["results"]
    assert [(row["id"], row["restriction"]) for row in changed] == [(evidence.pk, None)]
