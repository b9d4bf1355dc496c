"""/api/v1/webhooks/: scope `webhooks`, one organisation's endpoints only, the secret shown once, its
rotation, enabling with PATCH, the URL rules, and the partner contract (ETag, If-Match, Idempotency-Key)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from standardwebhooks.webhooks import Webhook

from access.alerts.webhooks.choices import WebhookDeliveryStatus
from access.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import UserFactory, make_coordinator
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
REGISTRATION = {"url": "https://hooks.example.org/humtrack", "event_types": ["region.status_changed"]}


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner():
    return client_for(issue_token("Logistics Cluster", ["webhooks"]))


@pytest.fixture
def other_partner():
    return client_for(issue_token("Health Cluster", ["webhooks"]))


def register(client, **changes):
    response = client.post(URL, {**REGISTRATION, **changes}, format="json")
    assert response.status_code == 201, response.content
    return response


def test_registration_answers_201_with_the_secret_once(partner):
    response = register(partner, description="Ops dashboard")
    body = response.json()
    assert body["secret"].startswith("whsec_")
    Webhook(body["secret"])  # what the receiver's library takes
    assert body["url"] == REGISTRATION["url"] and body["event_types"] == ["region.status_changed"]
    assert body["active"] is True and body["description"] == "Ops dashboard"
    assert response["Location"].endswith(f"{URL}{body['id']}/") and response["ETag"]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == body["secret"] and endpoint.organisation.name == "Logistics Cluster"

    detail = partner.get(f"{URL}{body['id']}/")
    listed = partner.get(URL)
    for later in (detail.content, listed.content):
        assert b'secret"' not in later and body["secret"].encode() not in later
    assert "secret" not in detail.json()


def test_without_the_webhooks_scope_every_operation_is_403(partner):
    created = register(partner).json()
    for scopes in (["read", "write", "alerts"], ["read"]):
        client = client_for(issue_token("Logistics Cluster", scopes))
        assert client.get(URL).status_code == 403
        assert client.post(URL, REGISTRATION, format="json").status_code == 403
        assert client.get(f"{URL}{created['id']}/").status_code == 403
        assert client.patch(f"{URL}{created['id']}/", {"active": False}, format="json").status_code == 403
        assert client.post(f"{URL}{created['id']}/rotate-secret/", {}, format="json").status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().active


def test_no_token_is_401(partner):
    assert client_for(None).get(URL).status_code == 401


def test_another_organisations_endpoint_is_not_found(partner, other_partner):
    theirs = register(other_partner).json()
    detail = f"{URL}{theirs['id']}/"
    assert partner.get(URL).json()["results"] == []
    for response in (
        partner.get(detail),
        partner.patch(detail, {"url": "https://evil.example.org/"}, format="json"),
        partner.put(detail, REGISTRATION, format="json"),
        partner.delete(detail),
        partner.post(f"{detail}rotate-secret/", {}, format="json"),
        partner.get(f"{detail}deliveries/"),
        partner.post(f"{detail}backfill/", {"since": timezone.now().isoformat()}, format="json"),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    stored = WebhookEndpoint.objects.get()
    assert stored.url == REGISTRATION["url"] and stored.secret == theirs["secret"]


def test_a_coordinator_session_manages_no_endpoint_and_a_superuser_session_all(client, partner, tree):
    created = register(partner).json()
    client.force_login(make_coordinator(tree["AF08"]))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{created['id']}/").status_code == 403
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert [endpoint["id"] for endpoint in client.get(URL).json()["results"]] == [created["id"]]
    changed = client.patch(f"{URL}{created['id']}/", {"description": "Checked"}, "application/json")
    assert changed.status_code == 200, changed.content
    # An endpoint belongs to an organisation: a session has none to register it for.
    assert client.post(URL, REGISTRATION, "application/json").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
    ],
)
@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_unsafe_urls_are_a_400_naming_url(partner, url):
    response = partner.post(URL, {**REGISTRATION, "url": url}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and list(response.json()["fields"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_changed_url_is_checked_again(partner, settings):
    created = register(partner).json()
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = partner.patch(f"{URL}{created['id']}/", {"url": "https://192.168.0.10/"}, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["url"]
    assert WebhookEndpoint.objects.get().url == REGISTRATION["url"]


@pytest.mark.parametrize(
    "event_types", [[], ["region.deleted"], ["region.status_changed", "region.status_changed"], "outage.created"]
)
def test_event_types_must_be_a_non_empty_list_of_known_types_each_once(partner, event_types):
    response = partner.post(URL, {**REGISTRATION, "event_types": event_types}, format="json")
    assert response.status_code == 400, response.content
    assert [name.split(".")[0] for name in response.json()["fields"]] == ["event_types"]


def test_rotation_returns_the_new_secret_and_when_the_old_one_stops_signing(partner):
    created = register(partner).json()
    before = timezone.now()
    response = partner.post(f"{URL}{created['id']}/rotate-secret/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    expires = parse_datetime(body["previous_secret_expires_at"])
    assert before + timedelta(hours=24) <= expires <= timezone.now() + timedelta(hours=24)
    stored = WebhookEndpoint.objects.get()
    assert (stored.secret, stored.previous_secret) == (body["secret"], created["secret"])
    detail = partner.get(f"{URL}{created['id']}/").json()
    assert "secret" not in detail and parse_datetime(detail["previous_secret_expires_at"]) == expires

    now = partner.post(f"{URL}{created['id']}/rotate-secret/", {"overlap_seconds": 0}, format="json").json()
    assert now["previous_secret_expires_at"] is None
    assert WebhookEndpoint.objects.get().previous_secret == ""
    too_long = partner.post(f"{URL}{created['id']}/rotate-secret/", {"overlap_seconds": 10**7}, format="json")
    assert too_long.status_code == 400 and list(too_long.json()["fields"]) == ["overlap_seconds"]


def test_patch_active_true_enables_it_and_what_was_held_is_due(partner):
    created = register(partner).json()
    detail = f"{URL}{created['id']}/"
    disabled = partner.patch(detail, {"active": False}, format="json").json()
    assert disabled["active"] is False and disabled["disabled_at"] and disabled["disabled_reason"]
    endpoint = WebhookEndpoint.objects.get()
    held = WebhookDelivery.objects.create(
        event=_event(), endpoint=endpoint, message_id="msg_held", status=WebhookDeliveryStatus.HELD
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=1))

    enabled = partner.patch(detail, {"active": True}, format="json")
    assert enabled.status_code == 200, enabled.content
    body = enabled.json()
    shown = (body["active"], body["disabled_at"], body["disabled_reason"], body["failing_since"])
    assert shown == (True, None, "", None)
    held.refresh_from_db()
    assert held.status == WebhookDeliveryStatus.PENDING and held.next_attempt_at <= timezone.now()


def test_updates_follow_if_match_and_deletes_answer_204(partner):
    created = register(partner)
    detail = f"{URL}{created.json()['id']}/"
    etag = partner.get(detail)["ETag"]
    assert partner.get(detail, HTTP_IF_NONE_MATCH=etag).status_code == 304
    changed = partner.put(detail, {**REGISTRATION, "description": "v2"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["description"] == "v2"
    stale = partner.patch(detail, {"description": "v3"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and WebhookEndpoint.objects.get().description == "v2"
    assert partner.delete(detail).status_code == 204
    assert not WebhookEndpoint.objects.exists() and partner.get(detail).status_code == 404


def test_a_retried_registration_with_its_idempotency_key_registers_once(partner):
    first = partner.post(URL, REGISTRATION, format="json", HTTP_IDEMPOTENCY_KEY="register-1")
    again = partner.post(URL, REGISTRATION, format="json", HTTP_IDEMPOTENCY_KEY="register-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert WebhookEndpoint.objects.count() == 1


def test_unknown_query_parameters_are_a_400_naming_them(partner):
    created = register(partner).json()
    for path in (URL, f"{URL}{created['id']}/", f"{URL}{created['id']}/deliveries/"):
        response = partner.get(path, {"colour": "blue"})
        assert response.status_code == 400 and list(response.json()["fields"]) == ["colour"], path


def _event() -> WebhookEvent:
    now = timezone.now()
    return WebhookEvent.objects.create(
        event_type="region.status_changed", occurred_at=now, payload={}, fanned_out_at=now
    )
