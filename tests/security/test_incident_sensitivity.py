"""Who reads an incident's description and point (issue 16 §1, access.policies.can_read_incident_details):
every sensitivity × every reader × every channel.

Three incidents in Bazarak (AF0801, Panjsher), recorded by one partner organisation, one per sensitivity,
each with a point and a description that are markers. Every reader sees that all three happened (the same
count for everyone); the markers reach only the readers in READS below, written out by hand (not derived
from the policy, which this checks). Channels: the API's JSON (list and one record), CSV, GeoJSON, the
webhook payload (one payload for every organisation's endpoints), the admin (change page, search, history)
and the pages anyone may open (the situation page, the CAP feed).
"""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from access.alerts.webhooks.models import WebhookEvent
from access.choices import Confidence, ConstraintCategory, IncidentType, Sensitivity
from access.models import Incident
from access.policies import can_read_incident_details
from access.selectors.incidents import details_visible_filter
from access.services import record_incident, update_incident
from humtrack.actor import Actor
from humtrack.models import Organisation, TokenScope
from tests.factories import OrganisationFactory, SourceFactory, UserFactory, make_coordinator, make_tree
from tests.security.principals import make_token

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ANONYMOUS, FIELD_STAFF = "anonymous", "field_staff"
PARTNER_OTHER, PARTNER_RECORDING = "partner_other_org", "partner_recording_org"
COORDINATOR_HERE, COORDINATOR_ELSEWHERE, SUPERUSER = "coordinator_of_region", "coordinator_elsewhere", "superuser"
READERS = (ANONYMOUS, FIELD_STAFF, PARTNER_OTHER, PARTNER_RECORDING, COORDINATOR_HERE, COORDINATOR_ELSEWHERE, SUPERUSER)
TOKENS = (PARTNER_OTHER, PARTNER_RECORDING)
STAFF = (COORDINATOR_HERE, COORDINATOR_ELSEWHERE, SUPERUSER)
PUBLIC, PARTNERS, RESTRICTED = Sensitivity.PUBLIC, Sensitivity.PARTNERS, Sensitivity.RESTRICTED

# sensitivity -> the readers who may read the description and the point.
READS = {
    PUBLIC: set(READERS),
    PARTNERS: {FIELD_STAFF, PARTNER_OTHER, PARTNER_RECORDING, COORDINATOR_HERE, COORDINATOR_ELSEWHERE, SUPERUSER},
    RESTRICTED: {PARTNER_RECORDING, COORDINATOR_HERE, SUPERUSER},
}
# What each incident's details are: markers no other page or record contains.
DESCRIPTION = {sensitivity: f"{sensitivity}-incident-detail-marker" for sensitivity in Sensitivity.values}
LATITUDE = {PUBLIC: 35.11111, PARTNERS: 35.22222, RESTRICTED: 35.33333}
LONGITUDE = 69.54321


class World:
    def __init__(self):
        self.tree = make_tree()
        recording = OrganisationFactory(name="Recording Org")
        other = OrganisationFactory(name="Other Org")
        self.keys = {
            PARTNER_RECORDING: make_token(recording, TokenScope.READ)[1],
            PARTNER_OTHER: make_token(other, TokenScope.READ)[1],
        }
        self.users = {
            FIELD_STAFF: UserFactory(username="field-officer"),
            COORDINATOR_HERE: make_coordinator(self.tree["AF08"], username="coordinator-panjsher"),
            COORDINATOR_ELSEWHERE: make_coordinator(self.tree["AF03"], username="coordinator-parwan"),
            SUPERUSER: UserFactory(username="root", is_staff=True, is_superuser=True),
        }
        self.actors = {
            ANONYMOUS: Actor(user=AnonymousUser()),
            PARTNER_RECORDING: Actor(organisation=recording),
            PARTNER_OTHER: Actor(organisation=other),
            **{role: Actor(user=user) for role, user in self.users.items()},
        }
        source = SourceFactory(organisation=recording)
        self.incidents = {
            sensitivity: record_incident(
                actor=self.actors[PARTNER_RECORDING],
                region=self.tree["AF0801"],
                occurred_at=datetime(2021, 9, 1, 8, tzinfo=UTC),
                category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
                incident_type=IncidentType.CONVOY_BLOCKED,
                source=source,
                confidence=Confidence.REPORTED,
                sensitivity=sensitivity,
                description=DESCRIPTION[sensitivity],
                latitude=LATITUDE[sensitivity],
                longitude=LONGITUDE,
            )
            for sensitivity in Sensitivity.values
        }

    def client(self, reader: str) -> Client:
        if reader in TOKENS:
            return Client(HTTP_AUTHORIZATION=f"Token {self.keys[reader]}")
        client = Client()
        if reader in self.users:
            client.force_login(self.users[reader], backend=MODEL_BACKEND)
        return client


@pytest.fixture
def world(db):
    return World()


def unreadable_markers(reader: str) -> list[str]:
    return [
        marker
        for sensitivity, readers in READS.items()
        if reader not in readers
        for marker in (DESCRIPTION[sensitivity], str(LATITUDE[sensitivity]))
    ]


def assert_no_unreadable_marker(reader: str, content: bytes) -> None:
    text = content.decode()
    leaked = [marker for marker in unreadable_markers(reader) if marker in text]
    assert not leaked, f"{reader} received {leaked}"


def assert_shown_as_expected(reader: str, shown_by_id: dict, world: World) -> None:
    """Every incident is there; its details exactly where the reader may read them."""
    assert set(shown_by_id) == {incident.pk for incident in world.incidents.values()}
    for sensitivity, incident in world.incidents.items():
        description, latitude, withheld = shown_by_id[incident.pk]
        if reader in READS[sensitivity]:
            assert (description, latitude, withheld) == (DESCRIPTION[sensitivity], LATITUDE[sensitivity], False)
        else:
            assert (description, latitude, withheld) == (None, None, True), (reader, sensitivity)


def api_reader(reader: str) -> bool:
    """The API takes partner tokens and staff sessions; anonymous callers get 401, field staff 403."""
    return reader in TOKENS or reader in STAFF


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_api_json_withholds_details_the_reader_may_not_read(world, reader):
    client = world.client(reader)
    listed = client.get("/api/v1/incidents/")
    assert_no_unreadable_marker(reader, listed.content)
    if not api_reader(reader):
        assert listed.status_code == (401 if reader == ANONYMOUS else 403)
        return
    rows = {
        row["id"]: (row["description"], row["latitude"], row["details_withheld"]) for row in listed.json()["results"]
    }
    assert_shown_as_expected(reader, rows, world)
    for incident in world.incidents.values():
        one = client.get(f"/api/v1/incidents/{incident.pk}/")
        assert_no_unreadable_marker(reader, one.content)
        shown = one.json()
        assert (shown["description"], shown["latitude"], shown["details_withheld"]) == rows[incident.pk]
        assert shown["longitude"] == (None if shown["details_withheld"] else LONGITUDE)


@pytest.mark.parametrize("reader", READERS)
def test_api_csv_withholds_details_the_reader_may_not_read(world, reader):
    response = world.client(reader).get("/api/v1/incidents/", {"format": "csv"})
    assert_no_unreadable_marker(reader, response.content)
    if not api_reader(reader):
        assert response.status_code in (401, 403)
        return
    header, _hxl, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    shown = {}
    for cells in rows:
        row = dict(zip(header, cells, strict=True))
        withheld = row["details_withheld"] == "true"
        latitude = float(row["latitude"]) if row["latitude"] else None
        shown[int(row["id"])] = (row["description"] or None, latitude, withheld)
    assert_shown_as_expected(reader, shown, world)


@pytest.mark.parametrize("reader", READERS)
def test_api_geojson_has_no_geometry_where_the_point_is_withheld(world, reader):
    response = world.client(reader).get("/api/v1/incidents/", {"format": "geojson"})
    assert_no_unreadable_marker(reader, response.content)
    if not api_reader(reader):
        assert response.status_code in (401, 403)
        return
    shown = {}
    for feature in response.json()["features"]:
        properties, geometry = feature["properties"], feature["geometry"]
        latitude = geometry["coordinates"][1] if geometry else None
        assert latitude == properties["latitude"]  # the geometry never shows what the properties withhold
        shown[feature["id"]] = (properties["description"], latitude, properties["details_withheld"])
    assert_shown_as_expected(reader, shown, world)


# --- webhooks: one payload, sent to every organisation's endpoints ---------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_webhook_payloads_carry_the_details_of_public_incidents_only(world, reader):
    # Whoever's endpoint receives it (the recording organisation's included), the payload is the same:
    # what anyone may read. The reader's own rights do not widen it.
    for incident in world.incidents.values():
        update_incident(incident=incident, actor=world.actors[SUPERUSER], aid_workers_affected=3, reason="More news")
    events = WebhookEvent.objects.filter(event_type__in=["incident.created", "incident.updated"])
    assert events.count() == 6
    for event in events:
        data = event.payload["data"]
        public = data["sensitivity"] == PUBLIC
        assert data["details_withheld"] is (not public)
        expected = (DESCRIPTION[PUBLIC], LATITUDE[PUBLIC], LONGITUDE) if public else (None, None, None)
        assert (data["description"], data["latitude"], data["longitude"]) == expected
    assert_no_unreadable_marker(ANONYMOUS, b"".join(str(event.payload).encode() for event in events))


# --- the admin ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_admin_pages_show_details_only_to_their_readers(world, reader):
    client = world.client(reader)
    changelist = client.get("/admin/access/incident/")
    assert_no_unreadable_marker(reader, changelist.content)
    if reader not in STAFF:  # tokens are no account here; field staff are no staff
        assert changelist.status_code == 302 and "/login/" in changelist["Location"]
        return
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 3  # every incident is listed
    for sensitivity, incident in world.incidents.items():
        readable = reader in READS[sensitivity]
        page = client.get(f"/admin/access/incident/{incident.pk}/change/")
        assert page.status_code == 200
        assert_no_unreadable_marker(reader, page.content)
        assert (DESCRIPTION[sensitivity] in page.content.decode()) is readable
        found = client.get("/admin/access/incident/", {"q": DESCRIPTION[sensitivity]})
        assert [row.pk for row in found.context["cl"].result_list] == ([incident.pk] if readable else [])
        version = incident.history.latest().history_id
        history = client.get(f"/admin/access/incident/{incident.pk}/history/{version}/")
        assert history.status_code == (200 if readable else 403)
        assert_no_unreadable_marker(reader, history.content)


# --- what anyone may open ---------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_pages_and_the_cap_feed_show_no_detail_the_reader_may_not_read(world, reader):
    client = world.client(reader)
    for url in ("/situation/", "/situation/regions/AF0801/", "/api/v1/alerts/cap/", "/alerts/"):
        assert_no_unreadable_marker(reader, client.get(url).content)


# --- the queryset form agrees with the policy -------------------------------------------------------------


def test_details_visible_filter_agrees_with_can_read_incident_details(world):
    # More incidents than the three above: another organisation's, in another province.
    other = Organisation.objects.get(name="Other Org")
    for sensitivity in Sensitivity.values:
        for region, actor in ((world.tree["AF0305"], Actor(organisation=other)), (world.tree["AF08"], Actor())):
            record_incident(
                actor=actor,
                region=region,
                occurred_at=datetime(2021, 9, 2, tzinfo=UTC),
                category=ConstraintCategory.HOSTILITIES,
                incident_type=IncidentType.FIGHTING_REPORTED,
                source=SourceFactory(),
                confidence=Confidence.CLAIMED,
                sensitivity=sensitivity,
            )
    actors = {**world.actors, "system": Actor(), "staff_without_regions": Actor(user=UserFactory(is_staff=True))}
    assert Incident.objects.count() == 9
    for name, actor in actors.items():
        visible = set(Incident.objects.filter(details_visible_filter(actor)).values_list("pk", flat=True))
        for incident in Incident.objects.select_related("region"):
            assert (incident.pk in visible) is can_read_incident_details(actor, incident), (name, incident.sensitivity)
    # And the hand-written table above is what the policy says for the three incidents.
    for reader in READERS:
        for sensitivity, incident in world.incidents.items():
            assert can_read_incident_details(world.actors[reader], incident) is (reader in READS[sensitivity])
