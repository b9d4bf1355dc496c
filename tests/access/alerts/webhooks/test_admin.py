"""Webhook endpoints in the admin: superusers only, the secret shown once (on registration and rotation),
changes, actions and redelivery through the services."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from access.alerts.webhooks import endpoints
from access.alerts.webhooks.choices import WebhookDeliveryStatus, WebhookEventType
from access.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from humtrack.actor import Actor
from tests.factories import OrganisationFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:access_webhookendpoint_changelist")
ADD = reverse("admin:access_webhookendpoint_add")


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Logistics Cluster")


@pytest.fixture
def endpoint(organisation):
    endpoint, _ = endpoints.register_endpoint(
        organisation=organisation,
        url="https://hooks.example.org/humtrack",
        event_types=[WebhookEventType.OUTAGE_CREATED],
        actor=Actor(organisation=organisation),
    )
    return endpoint


def form(organisation, **changes):
    return {
        "organisation": organisation.pk,
        "url": "https://hooks.example.org/new",
        "description": "Ops",
        "event_types": [WebhookEventType.REGION_STATUS_CHANGED, WebhookEventType.OUTAGE_RESTORED],
        **changes,
    }


def test_registering_shows_the_secret_once_and_never_again(superuser_client, organisation):
    response = superuser_client.post(ADD, form(organisation))
    assert response.status_code == 200, response.content
    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in page
    assert "no-cache" in response["Cache-Control"]
    assert endpoint.event_types == ["region.status_changed", "outage.restored"]
    assert endpoint.history.get().history_user.username == "root"
    for later in (
        superuser_client.get(reverse("admin:access_webhookendpoint_change", args=[endpoint.pk])),
        superuser_client.get(CHANGELIST),
        superuser_client.get(reverse("admin:access_webhookendpoint_history", args=[endpoint.pk])),
    ):
        assert later.status_code == 200
        assert endpoint.secret not in later.content.decode()


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_an_unsafe_url_is_the_forms_error(superuser_client, organisation):
    response = superuser_client.post(ADD, form(organisation, url="https://10.1.2.3/hook"))
    assert response.status_code == 200
    assert "not public" in response.context["adminform"].form.errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_change_goes_through_the_service_and_unticking_active_disables(superuser_client, endpoint):
    change = reverse("admin:access_webhookendpoint_change", args=[endpoint.pk])
    response = superuser_client.post(change, form(endpoint.organisation, description="Checked"))  # active unticked
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    endpoint.refresh_from_db()
    assert endpoint.description == "Checked" and not endpoint.active and endpoint.disabled_reason
    assert endpoint.url == "https://hooks.example.org/new"


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_for_the_overlap(superuser_client, endpoint):
    old = endpoint.secret
    response = superuser_client.post(CHANGELIST, {"action": "rotate_secrets", "_selected_action": [endpoint.pk]})
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in response.content.decode() and old not in response.content.decode()


def test_disable_enable_and_backfill_actions(superuser_client, endpoint):
    now = timezone.now()
    event = WebhookEvent.objects.create(
        event_type=WebhookEventType.OUTAGE_CREATED, occurred_at=now, payload={}, fanned_out_at=now
    )
    select = {"_selected_action": [endpoint.pk]}
    superuser_client.post(CHANGELIST, {"action": "disable_selected", **select})
    assert not WebhookEndpoint.objects.get().active
    superuser_client.post(CHANGELIST, {"action": "backfill_last_day", **select})
    assert WebhookDelivery.objects.get(event=event).status == WebhookDeliveryStatus.HELD
    superuser_client.post(CHANGELIST, {"action": "enable_selected", **select})
    assert WebhookEndpoint.objects.get().active
    assert WebhookDelivery.objects.get(event=event).status == WebhookDeliveryStatus.PENDING


def test_redeliver_from_the_delivery_log(superuser_client, endpoint):
    now = timezone.now()
    event = WebhookEvent.objects.create(
        event_type=WebhookEventType.OUTAGE_CREATED, occurred_at=now, payload={}, fanned_out_at=now
    )
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, message_id="msg_x", status=WebhookDeliveryStatus.FAILED, attempts=4
    )
    changelist = reverse("admin:access_webhookdelivery_changelist")
    assert superuser_client.get(changelist).status_code == 200
    superuser_client.post(changelist, {"action": "redeliver_selected", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.message_id) == (WebhookDeliveryStatus.PENDING, 0, "msg_x")


def test_coordinators_see_no_endpoint_and_no_delivery(client, endpoint, tree):
    client.force_login(make_coordinator(tree["AF08"]))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(reverse("admin:access_webhookendpoint_change", args=[endpoint.pk])).status_code in (302, 403)
    assert client.get(reverse("admin:access_webhookdelivery_changelist")).status_code == 403
    assert "webhook" not in client.get(reverse("admin:index")).content.decode().lower()


def test_deleting_an_endpoint_deletes_its_delivery_log_through_the_service(superuser_client, endpoint):
    now = timezone.now()
    event = WebhookEvent.objects.create(
        event_type=WebhookEventType.OUTAGE_CREATED, occurred_at=now, payload={}, fanned_out_at=now
    )
    WebhookDelivery.objects.create(event=event, endpoint=endpoint, message_id="msg_y")
    response = superuser_client.post(
        reverse("admin:access_webhookendpoint_delete", args=[endpoint.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    deleted = WebhookEndpoint.history.get(history_type="-")
    assert deleted.history_user.username == "root" and deleted.history_change_reason == "Deleted in the admin"
