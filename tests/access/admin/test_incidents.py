"""access/admin/incidents.py: coordinators record incidents in their regions only (through the service, with
the reason in the history), filter the log by month, and upload a CSV export all or nothing, with every bad
row's errors listed by row and column.

Which details each reader sees in the admin is tests/security/test_incident_sensitivity.py's.
"""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from access.alerts.webhooks.models import WebhookEvent
from access.choices import Confidence, ConstraintCategory, IncidentType
from access.models import Incident
from access.services import record_incident
from access.services.incidents import IncidentImportError, import_incidents
from humtrack.actor import Actor
from tests.factories import UserFactory, make_coordinator

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/access/incident/"
UPLOAD = "/admin/access/incident/upload/"
# A square around Panjsher's valley (lon 69–71, lat 35–36), as GeoJSON (longitude, latitude).
PANJSHER_SQUARE = {"type": "Polygon", "coordinates": [[[69, 35], [71, 35], [71, 36], [69, 36], [69, 35]]]}
HEADER = (
    "pcode,occurred_at,occurred_until,reported_at,latitude,longitude,category,incident_type,perpetrator_type,"
    "activities_suspended,people_unable_to_receive_aid,aid_workers_affected,affected_groups,description,"
    "sensitivity,source,confidence"
)


@pytest.fixture
def coordinator(tree):
    return make_coordinator(tree["AF08"], username="coordinator-panjsher")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def form_data(source, **changes):
    data = {
        "region": "", "occurred_at_0": "2021-09-01", "occurred_at_1": "08:00:00", "category": "movement_restrictions",
        "incident_type": "convoy_blocked", "perpetrator_type": "unknown", "activities_suspended": "unknown",
        "affected_groups": ["all_aid_workers"], "description": "Convoy turned back", "sensitivity": "partners",
        "source": source.pk, "confidence": "reported",
    }  # fmt: skip
    return {**data, **changes}


def csv_file(source, *rows: str) -> SimpleUploadedFile:
    text = "\n".join([HEADER, *(row.replace("{source}", str(source.pk)) for row in rows)]) + "\n"
    return SimpleUploadedFile("september.csv", text.encode(), content_type="text/csv")


GOOD_ROW = (
    "AF0801,2021-09-01,,2021-09-02T10:00:00Z,35.3,69.5,movement_restrictions,convoy_blocked,party_to_the_conflict,"
    "true,1200,4,all_aid_workers;women_aid_workers,Convoy turned back at Gulbahar,public,{source},reported"
)
SECOND_GOOD_ROW = "AF0806,2021-09-05T06:30:00+04:30,,,,,hostilities,fighting_reported,,,,,,,,{source},claimed"


# --- recording by hand ------------------------------------------------------------------------------


def test_a_coordinator_records_an_incident_in_their_region_through_the_service(coordinator_client, tree, source):
    response = coordinator_client.post(f"{CHANGELIST}add/", form_data(source, region=tree["AF0801"].pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.region == tree["AF0801"] and [g.code for g in incident.affected_groups.all()] == ["all_aid_workers"]
    assert incident.history.latest().history_change_reason == "Incident recorded"
    assert WebhookEvent.objects.filter(event_type="incident.created").count() == 1


def test_a_coordinator_cannot_record_an_incident_in_another_province(coordinator_client, tree, source):
    response = coordinator_client.post(f"{CHANGELIST}add/", form_data(source, region=tree["AF0305"].pk))
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_a_rule_of_the_model_is_shown_on_its_field(coordinator_client, tree, source):
    response = coordinator_client.post(
        f"{CHANGELIST}add/", form_data(source, region=tree["AF0801"].pk, incident_type="staff_killed")
    )
    assert response.status_code == 200
    assert "incident_type" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_another_provinces_incident_opens_read_only_and_a_post_changes_nothing(coordinator_client, tree, source):
    superuser = Actor(user=UserFactory(is_staff=True, is_superuser=True))
    parwan = record_incident(
        actor=superuser,
        region=tree["AF0305"],
        occurred_at=datetime(2021, 9, 1, tzinfo=UTC),
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        incident_type=IncidentType.CHECKPOINT_DENIAL,
        source=source,
        confidence=Confidence.REPORTED,
        sensitivity="public",
    )
    url = f"{CHANGELIST}{parwan.pk}/change/"
    page = coordinator_client.get(url)
    assert page.status_code == 200 and "Read-only for you." in page.content.decode()
    refused = coordinator_client.post(url, form_data(source, region=tree["AF0305"].pk, description="Changed"))
    assert refused.status_code == 403
    assert Incident.objects.get().description == ""


def test_a_change_is_saved_through_the_service_with_its_reason(coordinator_client, tree, source):
    coordinator_client.post(f"{CHANGELIST}add/", form_data(source, region=tree["AF0801"].pk))
    incident = Incident.objects.get()
    response = coordinator_client.post(
        f"{CHANGELIST}{incident.pk}/change/",
        form_data(source, region=tree["AF0801"].pk, aid_workers_affected="3", change_reason="Second report"),
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.aid_workers_affected == 3
    assert incident.history.latest().history_change_reason == "Second report"
    assert WebhookEvent.objects.filter(event_type="incident.updated").count() == 1


def test_the_month_filter_keeps_incidents_under_way_that_month(coordinator_client, tree, source):
    superuser = Actor(user=UserFactory(is_staff=True, is_superuser=True))
    fields = dict(actor=superuser, source=source, confidence=Confidence.REPORTED)
    span = record_incident(
        region=tree["AF08"],
        occurred_at=datetime(2021, 8, 30, tzinfo=UTC),
        occurred_until=datetime(2021, 9, 2, tzinfo=UTC),
        category=ConstraintCategory.HOSTILITIES,
        incident_type=IncidentType.ACTIVE_HOSTILITIES,
        **fields,
    )
    october = record_incident(
        region=tree["AF0801"],
        occurred_at=datetime(2021, 10, 3, tzinfo=UTC),
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        incident_type=IncidentType.CONVOY_BLOCKED,
        **fields,
    )
    listed = coordinator_client.get(CHANGELIST, {"month": "2021-09"})
    assert [incident.pk for incident in listed.context["cl"].result_list] == [span.pk]
    assert [i.pk for i in coordinator_client.get(CHANGELIST, {"month": "2021-10"}).context["cl"].result_list] == [
        october.pk
    ]
    month_filter = next(spec for spec in listed.context["cl"].filter_specs if spec.parameter_name == "month")
    # Offered: the months incidents began or ended in (the span began in August, ended in September).
    assert [value for value, _label in month_filter.lookup_choices] == ["2021-10", "2021-09", "2021-08"]


# --- the CSV upload ----------------------------------------------------------------------------------


def test_the_changelist_offers_the_upload(coordinator_client, tree):
    assert UPLOAD in coordinator_client.get(CHANGELIST).content.decode()


def test_an_upload_records_every_row_through_the_service(coordinator_client, tree, source):
    response = coordinator_client.post(
        UPLOAD, {"file": csv_file(source, GOOD_ROW, SECOND_GOOD_ROW), "reason": "September export"}
    )
    assert response.status_code == 302, response.content.decode()
    convoy, fighting = Incident.objects.order_by("occurred_at")
    assert (convoy.region.pcode, convoy.occurred_at) == ("AF0801", datetime(2021, 9, 1, tzinfo=UTC))
    assert (float(convoy.latitude), float(convoy.longitude)) == (35.3, 69.5)
    assert (convoy.activities_suspended, convoy.people_unable_to_receive_aid, convoy.aid_workers_affected) == (
        True,
        1200,
        4,
    )
    assert sorted(g.code for g in convoy.affected_groups.all()) == ["all_aid_workers", "women_aid_workers"]
    assert convoy.sensitivity == "public" and convoy.history.latest().history_change_reason == "September export"
    # Empty cells are "not said": no count, the default sensitivity and perpetrator; the offset kept.
    assert fighting.occurred_at == datetime(2021, 9, 5, 2, tzinfo=UTC)
    assert (fighting.aid_workers_affected, fighting.activities_suspended) == (None, None)
    assert (fighting.sensitivity, fighting.perpetrator_type, fighting.confidence) == ("partners", "unknown", "claimed")
    assert WebhookEvent.objects.filter(event_type="incident.created").count() == 2


def test_a_bad_row_saves_nothing_and_every_error_is_listed_by_row_and_column(coordinator_client, tree, source):
    tree["AF08"].boundary = PANJSHER_SQUARE
    tree["AF08"].save()
    bad_rows = [
        # Row 3: a type from another category; a point outside Panjsher.
        "AF0801,2021-09-01,,,34.5,69.5,movement_restrictions,staff_killed,,,,,,,,{source},reported",
        # Row 4: another province (not the coordinator's), a count that is no number, an unknown group.
        "AF0305,2021-09-01,,,,,hostilities,fighting_reported,,maybe,many,,cats,,,{source},claimed",
        # Row 5: no date; a source that does not exist.
        "AF0806,,,,,,hostilities,fighting_reported,,,,,,,,987654,claimed",
    ]
    response = coordinator_client.post(UPLOAD, {"file": csv_file(source, GOOD_ROW, *bad_rows)})
    assert response.status_code == 200
    errors = {(row, column) for row, column, _message in response.context["row_errors"]}
    assert errors == {
        (3, "incident_type"),
        (3, "latitude"),
        (4, "pcode"),
        (4, "activities_suspended"),
        (4, "people_unable_to_receive_aid"),
        (5, "occurred_at"),
        (5, "source"),
    }
    page = response.content.decode()
    assert "Nothing was saved" in page and "AF0305 is not among the regions assigned to you." in page
    # The good row (2) was rolled back with the rest: nothing changed, nothing announced.
    assert not Incident.objects.exists()
    assert not WebhookEvent.objects.exists()


def test_a_row_that_only_the_service_refuses_still_saves_nothing(tree, source):
    # The affected groups are checked by the service after the row is read: the error still names its column.
    rows = [
        dict(pcode="AF0801", occurred_at="2021-09-01", category="hostilities", incident_type="fighting_reported",
             source=str(source.pk), confidence="claimed"),
        dict(pcode="AF0806", occurred_at="2021-09-01", category="hostilities", incident_type="fighting_reported",
             source=str(source.pk), confidence="claimed", affected_groups="cats"),
    ]  # fmt: skip
    with pytest.raises(IncidentImportError) as refused:
        import_incidents(rows=rows, actor=Actor(user=UserFactory(is_staff=True, is_superuser=True)))
    assert refused.value.rows == {2: {"affected_groups": ["Unknown group(s): cats."]}}
    assert refused.value.message_dict == {"rows.2.affected_groups": ["Unknown group(s): cats."]}
    assert not Incident.objects.exists()


def test_unknown_columns_and_files_that_are_not_csv_text_are_refused(coordinator_client, tree, source):
    text = f"{HEADER},perpetrator_name\n{GOOD_ROW.replace('{source}', str(source.pk))},Commander X\n"
    response = coordinator_client.post(UPLOAD, {"file": SimpleUploadedFile("x.csv", text.encode())})
    assert [(column, message) for _row, column, message in response.context["row_errors"]] == [
        ("columns", "Unknown column(s): perpetrator_name.")
    ]
    binary = coordinator_client.post(UPLOAD, {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04\xff\xfe")})
    assert "file" in binary.context["form"].errors
    assert not Incident.objects.exists()


def test_an_hxl_row_under_the_header_is_skipped(coordinator_client, tree, source):
    hxl = ",".join(f"#{column}" for column in HEADER.split(","))
    response = coordinator_client.post(UPLOAD, {"file": csv_file(source, hxl, GOOD_ROW)})
    assert response.status_code == 302
    assert Incident.objects.count() == 1


def test_people_without_the_add_permission_cannot_upload(client, tree, source):
    client.force_login(UserFactory(username="reader", is_staff=True))  # staff, but no incident permission
    response = client.post(UPLOAD, {"file": csv_file(source, GOOD_ROW)})
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_source_id_beyond_any_database_id_is_an_error_on_its_column(tree, source):
    row = dict(pcode="AF0801", occurred_at="2021-09-01", category="hostilities", incident_type="fighting_reported",
               source="9" * 25, confidence="claimed")  # fmt: skip
    with pytest.raises(IncidentImportError) as refused:
        import_incidents(rows=[row], actor=Actor(user=UserFactory(is_staff=True, is_superuser=True)))
    assert refused.value.rows == {1: {"source": [f"No source with id {'9' * 25}."]}}
