"""Subscriptions through the partner API (scope `alerts`), the CAP 1.2 feed, and one-click unsubscribe."""

from xml.etree import ElementTree as ET

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from access.alerts import sending
from access.alerts.emails import unsubscribe_token
from access.alerts.fan_out import fan_out
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence
from access.models import Subscription
from access.services import change_access_status
from humtrack.actor import SYSTEM
from humtrack.tokens import issue_api_token
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"
# CAP 1.2's required elements, in the order its schema requires them.
CAP_ALERT_REQUIRED = ["identifier", "sender", "sent", "status", "msgType", "scope"]
CAP_INFO_REQUIRED = ["category", "event", "urgency", "severity", "certainty"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def client_with(scopes, organisation="Protection Cluster"):
    _, key, _ = issue_api_token(organisation_name=organisation, scopes=scopes, actor=SYSTEM)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def change(region, status, **kwargs):
    return change_access_status(
        region=region,
        status=status,
        reason=kwargs.pop("reason", "Road closed"),
        source=SourceFactory(),
        confidence=kwargs.pop("confidence", Confidence.CONFIRMED),
        actor=SYSTEM,
    )


# --- /api/v1/subscriptions/ ---------------------------------------------------------------------------


def test_email_name_and_regions_are_a_complete_subscription(tree):
    response = client_with(["alerts"]).post(
        "/api/v1/subscriptions/", {"email": "field@example.org", "name": "Field office", "regions": ["af08"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["regions"] == ["AF08"]
    assert (body["include_descendants"], body["trigger"], body["mode"], body["active"]) == (
        True,
        "any",
        "immediate",
        True,
    )
    assert Subscription.objects.get().organisation.name == "Protection Cluster"


def test_no_threshold_is_null_in_every_answer_and_in_the_schema(tree):
    """A generated client checks threshold_status against its enum: "" is not a member, null is."""
    client = client_with(["alerts"])
    created = client.post("/api/v1/subscriptions/", {"email": "a@example.org", "regions": ["AF08"]})
    assert created.status_code == 201, created.content
    url = f"/api/v1/subscriptions/{created.json()['id']}/"
    assert created.json()["threshold_status"] is None
    assert client.get(url).json()["threshold_status"] is None
    assert client.get("/api/v1/subscriptions/").json()["results"][0]["threshold_status"] is None
    assert client.patch(url, {"name": "x"}).json()["threshold_status"] is None
    assert Subscription.objects.get().threshold_status == ""  # the database keeps ""
    shown = Client().get("/api/schema/?format=json").json()["components"]["schemas"]["Subscription"]
    threshold = shown["properties"]["threshold_status"]
    assert threshold["nullable"] is True
    assert [ref["$ref"].rsplit("/", 1)[-1] for ref in threshold["oneOf"]] == ["ThresholdStatusEnum", "NullEnum"]


def test_null_or_absent_threshold_on_write_means_none(tree):
    client = client_with(["alerts"])
    body = {"email": "a@example.org", "regions": ["AF08"], "trigger": "crossing", "threshold_status": "inaccessible"}
    created = client.post("/api/v1/subscriptions/", body)
    assert created.json()["threshold_status"] == "inaccessible"
    url = f"/api/v1/subscriptions/{created.json()['id']}/"
    changed = client.patch(url, {"trigger": "any", "threshold_status": None})
    assert changed.status_code == 200, changed.content
    assert changed.json()["threshold_status"] is None
    assert Subscription.objects.get().threshold_status == ""
    refused = client.patch(url, {"trigger": "crossing", "threshold_status": None})
    assert refused.status_code == 400
    assert "threshold_status" in refused.json()["fields"]


def test_subscriptions_need_the_alerts_scope(tree):
    assert client_with(["read", "write"]).get("/api/v1/subscriptions/").status_code == 403
    assert APIClient().get("/api/v1/subscriptions/").status_code == 401


def test_a_partner_sees_and_changes_only_its_own_subscriptions(tree):
    ours, theirs = client_with(["alerts"]), client_with(["alerts"], organisation="Health Cluster")
    mine = ours.post("/api/v1/subscriptions/", {"email": "a@example.org", "regions": ["AF08"]}).json()
    theirs.post("/api/v1/subscriptions/", {"email": "b@example.org", "regions": ["AF03"]})
    assert [s["email"] for s in ours.get("/api/v1/subscriptions/").json()["results"]] == ["a@example.org"]
    assert theirs.patch(f"/api/v1/subscriptions/{mine['id']}/", {"name": "x"}).status_code == 404
    response = ours.patch(f"/api/v1/subscriptions/{mine['id']}/", {"mode": "digest", "regions": ["AF03", "AF08"]})
    assert response.status_code == 200, response.content
    assert (response.json()["mode"], sorted(response.json()["regions"])) == ("digest", ["AF03", "AF08"])
    assert ours.delete(f"/api/v1/subscriptions/{mine['id']}/").status_code == 204
    assert Subscription.objects.get(pk=mine["id"]).active is False


def test_a_deleted_subscription_is_gone_from_the_api_and_kept_inactive_for_the_admin(tree):
    ours = client_with(["read", "alerts"])
    kept = ours.post("/api/v1/subscriptions/", {"email": "k@example.org", "regions": ["AF08"]}).json()
    gone = ours.post("/api/v1/subscriptions/", {"email": "g@example.org", "regions": ["AF08"]}).json()
    url = f"/api/v1/subscriptions/{gone['id']}/"
    assert ours.delete(url).status_code == 204
    assert [ours.get(url).status_code, ours.patch(url, {"name": "x"}).status_code, ours.delete(url).status_code] == [
        404,
        404,
        404,
    ]
    assert [s["id"] for s in ours.get("/api/v1/subscriptions/").json()["results"]] == [kept["id"]]
    deletions = ours.get("/api/v1/deletions/", {"resource": "subscriptions"}).json()["results"]
    assert [d["id"] for d in deletions] == [str(gone["id"])]
    assert Subscription.objects.get(pk=gone["id"]).active is False  # the admin keeps it, and its deliveries
    # Pausing is a PATCH: the subscription stays readable, inactive.
    paused = ours.patch(f"/api/v1/subscriptions/{kept['id']}/", {"active": False})
    assert (paused.status_code, ours.get(f"/api/v1/subscriptions/{kept['id']}/").json()["active"]) == (200, False)


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"email": "not-an-address", "regions": ["AF08"]}, "email"),
        ({"email": "a@example.org", "regions": ["XX99"]}, "regions"),
        ({"email": "a@example.org", "regions": []}, "regions"),
        ({"email": "a@example.org", "regions": ["AF08"], "trigger": "crossing"}, "threshold_status"),
        ({"email": "a@example.org", "regions": ["AF08"], "mode": "weekly"}, "mode"),
    ],
)
def test_a_bad_subscription_is_a_400_naming_the_field(tree, payload, field):
    response = client_with(["alerts"]).post("/api/v1/subscriptions/", payload)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_language_and_time_zone_default_to_english_and_the_regions_country_zone(tree):
    tree["AF"].time_zone = "Asia/Kabul"
    tree["AF"].save()
    client = client_with(["alerts"])
    created = client.post("/api/v1/subscriptions/", {"email": "a@example.org", "regions": ["AF0801"]})
    assert created.status_code == 201, created.content
    assert (created.json()["language"], created.json()["time_zone"]) == ("en", "Asia/Kabul")
    url = f"/api/v1/subscriptions/{created.json()['id']}/"
    assert client.get(url).json()["time_zone"] == "Asia/Kabul"


def test_language_and_time_zone_are_written_and_read_back(tree):
    client = client_with(["alerts"])
    body = {"email": "a@example.org", "regions": ["AF08"], "language": "fa-af", "time_zone": "Asia/Kabul"}
    created = client.post("/api/v1/subscriptions/", body)
    assert created.status_code == 201, created.content
    assert (created.json()["language"], created.json()["time_zone"]) == ("fa-af", "Asia/Kabul")
    url = f"/api/v1/subscriptions/{created.json()['id']}/"
    changed = client.patch(url, {"language": "ps", "time_zone": "Europe/Berlin"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["language"], changed.json()["time_zone"]) == ("ps", "Europe/Berlin")
    stored = Subscription.objects.get()
    assert (stored.language, stored.time_zone) == ("ps", "Europe/Berlin")


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"language": "de"}, "language"),
        ({"time_zone": "Kabul/Nowhere"}, "time_zone"),
        ({"time_zone": "UTC+4:30"}, "time_zone"),
        ({"time_zone": "A" * 65}, "time_zone"),
    ],
)
def test_an_unknown_language_or_time_zone_is_a_400_naming_the_field(tree, payload, field):
    response = client_with(["alerts"]).post(
        "/api/v1/subscriptions/", {"email": "a@example.org", "regions": ["AF08"], **payload}
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]
    assert not Subscription.objects.exists()


def test_the_schema_states_the_languages_and_the_time_zones_bounds(tree):
    schemas = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ("Subscription", "SubscriptionWriteRequest"):
        time_zone = schemas[name]["properties"]["time_zone"]
        assert (time_zone["maxLength"], time_zone["pattern"]) == (64, r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
    languages = {
        tuple(schema["enum"]) for schema in schemas.values() if set(schema.get("enum", [])) == {"en", "fa-af", "ps"}
    }
    assert languages == {("en", "fa-af", "ps")}


# --- /api/v1/alerts/cap/ ------------------------------------------------------------------------------


def test_the_cap_feed_carries_every_required_cap_element_in_order(tree):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, reason="Fighting <around> Bazarak & the road")
    change(tree["AF0305"], AccessStatus.CONSTRAINED)
    response = client_with(["read"]).get("/api/v1/alerts/cap/?within=AF08")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314  (our own output)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1  # Parwan's change is not within AF08
    alert = entries[0].find(f"{ATOM}content/{CAP}alert")
    children = [child.tag.removeprefix(CAP) for child in alert]
    assert [tag for tag in children if tag in CAP_ALERT_REQUIRED] == CAP_ALERT_REQUIRED
    info = alert.find(f"{CAP}info")
    info_tags = [child.tag.removeprefix(CAP) for child in info]
    assert [tag for tag in info_tags if tag in CAP_INFO_REQUIRED] == CAP_INFO_REQUIRED
    assert info_tags.index("certainty") < info_tags.index("headline") < info_tags.index("area")
    assert alert.findtext(f"{CAP}status") == "Actual"
    assert alert.findtext(f"{CAP}sent").endswith("-00:00")  # CAP: UTC is "-00:00", never "Z"
    assert info.findtext(f"{CAP}severity") == "Extreme"
    assert info.findtext(f"{CAP}certainty") == "Observed"
    assert info.findtext(f"{CAP}urgency") == "Unknown"  # from unknown: not comparable, not a worsening
    assert "Fighting <around> Bazarak & the road" in info.findtext(f"{CAP}description")
    assert info.findtext(f"{CAP}area/{CAP}areaDesc") == "Panjsher (AF08)"
    assert info.findtext(f"{CAP}area/{CAP}geocode/{CAP}value") == "AF08"


def test_the_cap_feed_needs_a_token_and_a_known_region(tree):
    assert APIClient().get("/api/v1/alerts/cap/").status_code == 401
    response = client_with(["read"]).get("/api/v1/alerts/cap/?within=XX99")
    assert response.status_code == 400
    assert "within" in response.content.decode()


# --- One-click unsubscribe ----------------------------------------------------------------------------


@pytest.fixture
def subscription(tree):
    return create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email="field@example.org")


def test_opening_the_unsubscribe_link_asks_and_changes_nothing(subscription):
    response = Client().get(f"/alerts/unsubscribe/{unsubscribe_token(subscription)}/")
    assert response.status_code == 200
    assert b"Unsubscribe" in response.content
    subscription.refresh_from_db()
    assert subscription.active


def test_a_one_click_post_unsubscribes_without_login_or_csrf_token(subscription):
    client = Client(enforce_csrf_checks=True)
    url = f"/alerts/unsubscribe/{unsubscribe_token(subscription)}/"
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert not subscription.active
    assert client.post(url).status_code == 200  # twice: still fine


def test_a_tampered_unsubscribe_link_does_nothing(subscription, tree):
    other = create_subscription(actor=SYSTEM, regions=[tree["AF03"]], email="other@example.org")
    token = unsubscribe_token(subscription).replace(f"{subscription.pk}:", f"{other.pk}:")
    assert Client().post(f"/alerts/unsubscribe/{token}/").status_code == 404
    assert Client().post("/alerts/unsubscribe/garbage/").status_code == 404
    assert Subscription.objects.filter(active=False).count() == 0


def test_the_alert_email_carries_the_unsubscribe_link_and_headers(subscription, tree):
    change(tree["AF08"], AccessStatus.INACCESSIBLE)
    event = tree["AF08"].status_changes.first().alert_event
    sending.send_deliveries(fan_out(event.pk).send_now)
    (message,) = mail.outbox
    url = f"http://127.0.0.1:8000/alerts/unsubscribe/{unsubscribe_token(subscription)}/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    assert url in message.alternatives[0][0]


def test_a_coordinators_session_sees_only_subscriptions_following_regions_it_covers(tree):
    from tests.factories import make_coordinator

    create_subscription(actor=SYSTEM, regions=[tree["AF0801"]], email="bazarak@example.org")
    create_subscription(actor=SYSTEM, regions=[tree["AF03"]], email="parwan@example.org")
    client = APIClient()
    client.force_login(make_coordinator(tree["AF08"], username="panjshir-coordinator"))
    emails = [s["email"] for s in client.get("/api/v1/subscriptions/").json()["results"]]
    assert emails == ["bazarak@example.org"]
