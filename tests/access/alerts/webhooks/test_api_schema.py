"""Every status the webhooks API answers is in the schema for that operation: a request of each kind,
successes and refusals, against /api/schema/ (schemathesis seldom reaches an existing endpoint's id)."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from access.alerts.webhooks.models import new_message_id
from access.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db

REGISTRATION = {"url": "https://hooks.example.org/humtrack", "event_types": ["outage.created"]}


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def test_every_answer_of_the_webhooks_api_is_declared():
    schema = json.loads(client_for(None).get("/api/schema/?format=json").content)
    partner = client_for(issue_token("Logistics Cluster", ["webhooks"]))
    answered = []

    def call(method: str, template: str, path: str, body=None, **headers):
        if body is None:
            response = getattr(partner, method)(path, **headers)
        else:
            response = getattr(partner, method)(path, body, format="json", **headers)
        answered.append((method, template, response.status_code))
        return response

    created = call("post", "webhooks/", "/api/v1/webhooks/", REGISTRATION).json()
    one = f"/api/v1/webhooks/{created['id']}/"
    call("post", "webhooks/", "/api/v1/webhooks/", {"url": "not a url", "event_types": []})
    call("get", "webhooks/", "/api/v1/webhooks/")
    etag = call("get", "webhooks/{id}/", one)["ETag"]
    call("get", "webhooks/{id}/", one, HTTP_IF_NONE_MATCH=etag)
    call("get", "webhooks/{id}/", "/api/v1/webhooks/999999/")
    call("patch", "webhooks/{id}/", one, {"description": "v2"}, HTTP_IF_MATCH=etag)
    call("put", "webhooks/{id}/", one, REGISTRATION, HTTP_IF_MATCH=etag)  # stale: 412
    call("put", "webhooks/{id}/", one, {"url": "https://hooks.example.org/v3"})  # no event types: 400
    call("post", "webhooks/{id}/rotate-secret/", f"{one}rotate-secret/", {})
    call("post", "webhooks/{id}/rotate-secret/", f"{one}rotate-secret/", {"overlap_seconds": -1})
    event = WebhookEvent.objects.create(
        event_type="outage.created", occurred_at=timezone.now(), payload={}, fanned_out_at=timezone.now()
    )
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=WebhookEndpoint.objects.get(), message_id=new_message_id()
    )
    call("get", "webhooks/{id}/deliveries/", f"{one}deliveries/?status=pending")
    call("get", "webhooks/{id}/deliveries/", f"{one}deliveries/?status=lost")
    redeliver = "webhooks/{id}/deliveries/{delivery_id}/redeliver/"
    call("post", redeliver, f"{one}deliveries/{delivery.pk}/redeliver/", {})
    call("post", redeliver, f"{one}deliveries/999999/redeliver/", {})
    since = (timezone.now() - timedelta(days=1)).isoformat()
    call("post", "webhooks/{id}/backfill/", f"{one}backfill/", {"since": since})
    call("post", "webhooks/{id}/backfill/", f"{one}backfill/", {"since": "2001-01-01T00:00:00Z"})
    call("delete", "webhooks/{id}/", one)
    call("delete", "webhooks/{id}/", one)
    refused = client_for(issue_token("Logistics Cluster", ["read"])).get("/api/v1/webhooks/")
    answered.append(("get", "webhooks/", refused.status_code))

    undeclared = [
        (method, template, status)
        for method, template, status in answered
        if str(status) not in schema["paths"][f"/api/v1/{template}"][method]["responses"]
    ]
    assert not undeclared
    statuses = {status for _, _, status in answered}
    assert statuses == {200, 201, 202, 204, 304, 400, 403, 404, 412}, statuses
