"""The alerts admin: paused subscriptions shown, deliveries listed, "retry failed" never resends a sent one."""

from unittest import mock

import pytest
from django.utils import timezone

from access.alerts import sending
from access.alerts.choices import DeliveryStatus
from access.alerts.fan_out import fan_out
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence
from access.models import AlertDelivery, Subscription
from access.services import change_access_status
from humtrack.actor import SYSTEM
from tests.factories import SourceFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def sent_and_failed(tree):
    create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email="sent@example.org")
    failed = create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email="failed@example.org")
    change = change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Road closed",
        source=SourceFactory(),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
    )
    sending.send_deliveries(fan_out(change.alert_event.pk).send_now)
    AlertDelivery.objects.filter(subscription=failed).update(
        status=DeliveryStatus.FAILED_PERMANENT, last_error="550 5.1.1 Mailbox unavailable"
    )
    Subscription.objects.filter(pk=failed.pk).update(paused_at=timezone.now(), consecutive_failures=3)
    return failed


def test_the_subscription_list_shows_which_are_paused(admin_client, sent_and_failed):
    response = admin_client.get("/admin/access/subscription/?paused=yes")
    assert response.status_code == 200
    body = response.content.decode()
    assert "failed@example.org" in body and "paused" in body
    assert "sent@example.org" not in body


def test_the_delivery_list_shows_status_attempts_and_last_error(admin_client, sent_and_failed):
    response = admin_client.get("/admin/access/alertdelivery/")
    assert response.status_code == 200
    assert "550 5.1.1 Mailbox unavailable" in response.content.decode()
    assert admin_client.get("/admin/access/alertevent/").status_code == 200


def test_retry_failed_requeues_only_the_failed_ones(admin_client, sent_and_failed):
    ids = [str(pk) for pk in AlertDelivery.objects.values_list("pk", flat=True)]
    with mock.patch("access.alerts.enqueue.enqueue_sends"):
        response = admin_client.post(
            "/admin/access/alertdelivery/", {"action": "retry_failed", "_selected_action": ids}, follow=True
        )
    assert response.status_code == 200
    assert "1 failed delivery queued again; 1 selected was not failed: untouched." in response.content.decode()
    statuses = dict(AlertDelivery.objects.values_list("subscription__email", "status"))
    assert statuses == {"sent@example.org": DeliveryStatus.SENT, "failed@example.org": DeliveryStatus.PENDING}


def test_a_coordinator_manages_only_the_subscribers_of_their_regions(client, tree):
    """Subscriber addresses are shown to the coordinators of the regions followed, not to others."""
    create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email="panjshir-watch@example.org")
    theirs = create_subscription(actor=SYSTEM, regions=[tree["AF03"]], email="parwan-watch@example.org")
    client.force_login(make_coordinator(tree["AF08"]))

    listing = client.get("/admin/access/subscription/")
    assert listing.status_code == 200
    assert b"panjshir-watch@example.org" in listing.content
    assert b"parwan-watch@example.org" not in listing.content
    assert client.get(f"/admin/access/subscription/{theirs.pk}/history/").status_code == 404
    assert client.get("/admin/access/alertdelivery/").status_code == 200
