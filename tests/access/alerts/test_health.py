"""access/alerts/health.py: alerts waiting on a relay that is down make the service degraded, not failed."""

import json

import pytest
from django.test import override_settings

from access.alerts import sending
from access.alerts.fan_out import fan_out
from access.choices import AccessStatus
from tests.factories import UserFactory
from tests.infrastructure import free_port
from tests.ops.test_probes import POD_ADDRESS

from ..test_alerts_pipeline import change, later, subscribe

pytestmark = pytest.mark.django_db

RELAY_DOWN = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": free_port(),  # nothing listens there
}


@pytest.fixture
def waiting_on_the_relay(tree):
    change(tree["AF08"], AccessStatus.CONSTRAINED, silent=True)
    subscribe("one@example.org", tree["AF08"])
    subscribe("two@example.org", tree["AF08"])
    recorded = change(tree["AF08"], AccessStatus.INACCESSIBLE)
    with override_settings(**RELAY_DOWN):
        assert sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now).waiting_on_relay == 2


@override_settings(ALERTS_RELAY_DEGRADED_AFTER_SECONDS=300)
def test_readyz_is_degraded_not_failed_while_alerts_wait_on_the_relay(client, waiting_on_the_relay):
    assert client.get("/readyz?format=json", HTTP_HOST=POD_ADDRESS).status_code == 200  # a blip is not news
    with later(301):
        response = client.get("/readyz?format=json", HTTP_HOST=POD_ADDRESS)
    assert response.status_code == 200
    assert response["Health-Status"] == "degraded"
    report = json.loads(response.content)
    assert report["AlertRelay()"].startswith("Warning: degraded: 2 alert(s) waiting on the mail relay since ")
    assert report["Database(alias='default')"] == "OK"


@override_settings(ALERTS_RELAY_DEGRADED_AFTER_SECONDS=300)
def test_coordinators_reading_subscriptions_or_deliveries_are_told(client, waiting_on_the_relay):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    with later(301):
        for page in ("/admin/access/subscription/", "/admin/access/alertdelivery/"):
            response = client.get(page)
            assert "2 alerts are waiting on the mail relay, the oldest since" in response.content.decode(), page
    response = client.get("/admin/access/alertdelivery/")
    assert "waiting on the mail relay" not in response.content.decode()
