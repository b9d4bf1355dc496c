"""The webhook endpoint services: registration and its rules, the secret and its rotation, disabling and
enabling (what was held is sent), redelivery and backfill, each audited with who and why."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from access.alerts import enqueue
from access.alerts.webhooks import endpoints
from access.alerts.webhooks.choices import WebhookDeliveryStatus, WebhookEventType
from access.alerts.webhooks.models import new_message_id
from access.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from humtrack.actor import Actor
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PENDING, HELD = WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.HELD
REGION, OUTAGE = WebhookEventType.REGION_STATUS_CHANGED, WebhookEventType.OUTAGE_CREATED


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Logistics Cluster")


@pytest.fixture
def partner(organisation):
    return Actor(organisation=organisation)


@pytest.fixture
def endpoint(organisation, partner):
    endpoint, _ = endpoints.register_endpoint(
        organisation=organisation, url="https://hooks.example.org/humtrack", event_types=[REGION], actor=partner
    )
    return endpoint


def event(event_type=REGION, *, ago=timedelta(hours=1), fanned_out=True) -> WebhookEvent:
    occurred_at = timezone.now() - ago
    return WebhookEvent.objects.create(
        event_type=event_type,
        occurred_at=occurred_at,
        payload={"type": event_type, "timestamp": occurred_at.isoformat(), "data": {}},
        fanned_out_at=occurred_at if fanned_out else None,
    )


def delivery(endpoint, the_event=None, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        event=the_event or event(), endpoint=endpoint, message_id=new_message_id(), **fields
    )


# --- registration -------------------------------------------------------------------------------------


def test_registration_returns_a_standard_webhooks_secret_and_audits_who(organisation, partner):
    endpoint, secret = endpoints.register_endpoint(
        organisation=organisation, url="https://hooks.example.org/a", event_types=[REGION, OUTAGE], actor=partner
    )
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert endpoint.secret == secret and endpoint.active and endpoint.event_types == [REGION, OUTAGE]
    Webhook(secret)  # the receiver's library takes it as it is
    history = endpoint.history.get()
    assert history.history_organisation == organisation and history.history_change_reason
    assert not hasattr(history, "secret")  # never copied into the audit history


def test_every_registration_has_its_own_secret(organisation, partner):
    secrets = {
        endpoints.register_endpoint(
            organisation=organisation, url="https://hooks.example.org/a", event_types=[REGION], actor=partner
        )[1]
        for _ in range(5)
    }
    assert len(secrets) == 5


@pytest.mark.parametrize(
    ("event_types", "message"),
    [([], "at least one"), (["region.deleted"], "region.deleted"), ([REGION, REGION], "at most once")],
)
def test_event_types_are_a_non_empty_set_of_known_types(organisation, partner, event_types, message):
    with pytest.raises(ValidationError) as refused:
        endpoints.register_endpoint(
            organisation=organisation, url="https://hooks.example.org/a", event_types=event_types, actor=partner
        )
    assert message in " ".join(refused.value.message_dict["event_types"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "http://hooks.example.org/hook",
        "https://user:password@hooks.example.org/hook",
    ],
)
@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_production_refuses_urls_to_private_addresses_and_plain_http(organisation, partner, url):
    with pytest.raises(ValidationError) as refused:
        endpoints.register_endpoint(organisation=organisation, url=url, event_types=[REGION], actor=partner)
    assert list(refused.value.message_dict) == ["url"]
    assert not WebhookEndpoint.objects.exists()


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_a_changed_url_is_checked_again(endpoint, partner):
    with pytest.raises(ValidationError) as refused:
        endpoints.update_endpoint(endpoint=endpoint, actor=partner, url="https://192.168.1.10/hook")
    assert list(refused.value.message_dict) == ["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.org/humtrack"


def test_an_update_changes_what_is_given_and_records_why(endpoint, partner):
    endpoints.update_endpoint(endpoint=endpoint, actor=partner, event_types=[OUTAGE], description="Ops")
    endpoint.refresh_from_db()
    assert (endpoint.event_types, endpoint.description, endpoint.url) == (
        [OUTAGE],
        "Ops",
        "https://hooks.example.org/humtrack",
    )
    assert endpoint.history.latest().history_change_reason == "Webhook endpoint changed"


# --- the secret ---------------------------------------------------------------------------------------


def sign_with_both(endpoint: WebhookEndpoint, body: str, message_id: str, at: datetime) -> dict[str, str]:
    """What the delivery sends during an overlap: one signature per secret (Standard Webhooks §signatures)."""
    secrets = [endpoint.secret, *([endpoint.previous_secret] if endpoint.previous_secret else [])]
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signatures}


def test_after_a_rotation_receivers_with_either_secret_verify_until_the_overlap_ends(endpoint, partner):
    old = endpoint.secret
    before = timezone.now()
    new = endpoints.rotate_secret(endpoint=endpoint, actor=partner, overlap=timedelta(hours=24))

    stored = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert new != old and stored.secret == new and stored.previous_secret == old
    assert before + timedelta(hours=24) <= stored.previous_secret_expires_at <= timezone.now() + timedelta(hours=24)
    assert endpoint.previous_secret_expires_at == stored.previous_secret_expires_at  # the caller's copy too

    body = json.dumps({"type": REGION, "data": {"pcode": "AF08"}})
    headers = sign_with_both(stored, body, "msg_1", datetime.now(UTC))
    assert Webhook(old).verify(body, headers)["data"] == {"pcode": "AF08"}  # a receiver not yet switched
    assert Webhook(new).verify(body, headers)["data"] == {"pcode": "AF08"}  # one that has switched
    assert stored.history.latest().history_change_reason == "Signing secret rotated"


def test_a_rotation_without_overlap_drops_the_old_secret_now(endpoint, partner):
    old = endpoint.secret
    endpoints.rotate_secret(endpoint=endpoint, actor=partner, overlap=timedelta(0))
    stored = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (stored.previous_secret, stored.previous_secret_expires_at) == ("", None)
    body = "{}"
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, sign_with_both(stored, body, "msg_2", datetime.now(UTC)))


def test_a_second_rotation_keeps_only_the_secret_just_replaced(endpoint, partner):
    first = endpoint.secret
    second = endpoints.rotate_secret(endpoint=endpoint, actor=partner)
    endpoints.rotate_secret(endpoint=endpoint, actor=partner)
    stored = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert stored.previous_secret == second and first not in (stored.secret, stored.previous_secret)


def test_an_overlap_beyond_a_week_is_refused(endpoint, partner):
    with pytest.raises(ValidationError):
        endpoints.rotate_secret(endpoint=endpoint, actor=partner, overlap=timedelta(days=8))


# --- disable, enable ----------------------------------------------------------------------------------


def test_disabling_holds_what_waits_and_enabling_sends_it_now(endpoint, partner, django_capture_on_commit_callbacks):
    waiting = delivery(endpoint, status=PENDING, next_attempt_at=timezone.now() + timedelta(hours=2), attempts=5)
    delivered = delivery(endpoint, status=WebhookDeliveryStatus.DELIVERED, attempts=1)
    endpoints.disable_endpoint(endpoint=endpoint, actor=partner, reason="Maintenance")
    waiting.refresh_from_db()
    assert waiting.status == HELD and not endpoint.active and endpoint.disabled_reason == "Maintenance"

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks() as callbacks:
        endpoints.enable_endpoint(endpoint=endpoint, actor=partner)
    assert enqueue.wake_webhook_delivery in callbacks  # a worker is woken when it commits

    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None and endpoint.disabled_reason == ""
    assert endpoint.failing_since is None
    waiting.refresh_from_db()
    assert waiting.status == PENDING and waiting.next_attempt_at <= timezone.now() and waiting.attempts == 0
    delivered.refresh_from_db()
    assert delivered.status == WebhookDeliveryStatus.DELIVERED
    reasons = list(endpoint.history.values_list("history_change_reason", flat=True))
    assert "Webhook endpoint enabled" in reasons and "Webhook endpoint disabled: Maintenance" in reasons


def test_active_through_update_disables_and_enables(endpoint, partner):
    held = delivery(endpoint, status=PENDING)
    endpoints.update_endpoint(endpoint=endpoint, actor=partner, active=False)
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).active
    held.refresh_from_db()
    assert held.status == HELD
    endpoints.update_endpoint(endpoint=endpoint, actor=partner, active=True)
    held.refresh_from_db()
    assert endpoint.active and held.status == PENDING


def test_deleting_an_endpoint_deletes_its_deliveries_and_keeps_the_deletion_in_history(endpoint, partner):
    delivery(endpoint)
    pk = endpoint.pk
    endpoints.delete_endpoint(endpoint=endpoint, actor=partner)
    assert not WebhookDelivery.objects.exists()
    assert WebhookEndpoint.history.filter(id=pk, history_type="-").get().history_organisation == partner.organisation


# --- redelivery ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(WebhookDeliveryStatus))
def test_redelivery_makes_any_delivery_due_now_with_its_webhook_id_and_a_fresh_retry_window(endpoint, partner, status):
    sent = delivery(
        endpoint, status=status, attempts=7, next_attempt_at=None, last_response_code=500, claimed_at=timezone.now()
    )
    endpoints.redeliver(delivery=sent, actor=partner)
    stored = WebhookDelivery.objects.get(pk=sent.pk)
    assert stored.status == PENDING and stored.next_attempt_at <= timezone.now()
    assert (stored.message_id, stored.attempts, stored.claimed_at) == (sent.message_id, 0, None)
    assert f"Redelivery of {sent.message_id}" in endpoint.history.latest().history_change_reason


def test_a_redelivery_to_a_disabled_endpoint_is_held(endpoint, partner):
    failed = delivery(endpoint, status=WebhookDeliveryStatus.FAILED)
    endpoints.disable_endpoint(endpoint=endpoint, actor=partner, reason="Paused")
    endpoints.redeliver(delivery=failed, actor=partner)
    assert WebhookDelivery.objects.get(pk=failed.pk).status == HELD


# --- backfill -----------------------------------------------------------------------------------------


def test_backfill_sends_every_wanted_event_since_again(endpoint, partner, django_capture_on_commit_callbacks):
    since = timezone.now() - timedelta(days=2)
    missed = event(REGION, ago=timedelta(days=1))
    also_missed = event(REGION, ago=timedelta(hours=20))
    delivered = delivery(endpoint, event(REGION, ago=timedelta(hours=3)), status=WebhookDeliveryStatus.DELIVERED)
    event(OUTAGE, ago=timedelta(hours=2))  # a type the endpoint does not want
    event(REGION, ago=timedelta(days=3))  # before `since`
    event(REGION, ago=timedelta(minutes=1), fanned_out=False)  # the fan-out will give it its delivery

    with django_capture_on_commit_callbacks() as callbacks:
        count = endpoints.backfill(endpoint=endpoint, since=since, actor=partner)

    assert count == 3
    assert enqueue.wake_webhook_delivery in callbacks
    deliveries = {d.event_id: d for d in endpoint.deliveries.all()}
    assert set(deliveries) == {missed.pk, also_missed.pk, delivered.event_id}
    assert all(d.status == PENDING and d.next_attempt_at <= timezone.now() for d in deliveries.values())
    assert deliveries[delivered.event_id].message_id == delivered.message_id  # the same webhook-id
    assert deliveries[missed.pk].message_id.startswith("msg_")
    assert deliveries[missed.pk].message_id != deliveries[also_missed.pk].message_id
    assert "Backfill since" in endpoint.history.latest().history_change_reason
    # Once more: nothing new is created, the same three are due again.
    assert endpoints.backfill(endpoint=endpoint, since=since, actor=partner) == 3
    assert endpoint.deliveries.count() == 3


def test_backfill_of_a_disabled_endpoint_holds_until_it_is_enabled(endpoint, partner):
    event(REGION)
    endpoints.disable_endpoint(endpoint=endpoint, actor=partner, reason="Paused")
    assert endpoints.backfill(endpoint=endpoint, since=timezone.now() - timedelta(days=1), actor=partner) == 1
    assert endpoint.deliveries.get().status == HELD


@override_settings(WEBHOOKS_BACKFILL_MAX_DAYS=3)
def test_backfill_goes_back_at_most_the_configured_days(endpoint, partner):
    with pytest.raises(ValidationError) as refused:
        endpoints.backfill(endpoint=endpoint, since=timezone.now() - timedelta(days=3, minutes=1), actor=partner)
    assert list(refused.value.message_dict) == ["since"]
    assert endpoints.backfill(endpoint=endpoint, since=timezone.now() - timedelta(days=2), actor=partner) == 0


def test_a_superuser_in_the_admin_is_recorded_as_the_person(organisation):
    person = UserFactory(username="root", is_staff=True, is_superuser=True)
    endpoint, _ = endpoints.register_endpoint(
        organisation=organisation, url="https://hooks.example.org/a", event_types=[REGION], actor=Actor(user=person)
    )
    assert endpoint.created_by == person and endpoint.history.get().history_user == person
