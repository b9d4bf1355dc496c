"""/api/v1/webhooks/{id}/deliveries/: the log a partner reads, redelivery of one, backfill since a moment."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from access.alerts.webhooks import endpoints
from access.alerts.webhooks.choices import WebhookDeliveryStatus, WebhookEventType
from access.alerts.webhooks.models import new_message_id
from access.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from humtrack.actor import Actor
from humtrack.models import Organisation
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db

Status = WebhookDeliveryStatus
DELIVERED, FAILED, PENDING = Status.DELIVERED, Status.FAILED, Status.PENDING
FIELDS = {
    "id", "webhook_id", "event_type", "occurred_at", "status", "attempts", "last_response_code",
    "last_duration_ms", "last_error", "next_attempt_at", "delivered_at", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner():
    return client_for(issue_token("Logistics Cluster", ["webhooks"]))


def make_endpoint(organisation_name: str) -> WebhookEndpoint:
    organisation, _ = Organisation.objects.get_or_create(name=organisation_name)
    endpoint, _ = endpoints.register_endpoint(
        organisation=organisation,
        url="https://hooks.example.org/humtrack",
        event_types=[WebhookEventType.REGION_STATUS_CHANGED],
        actor=Actor(organisation=organisation),
    )
    return endpoint


@pytest.fixture
def endpoint(partner):
    return make_endpoint("Logistics Cluster")


def event(ago=timedelta(hours=1)) -> WebhookEvent:
    occurred_at = timezone.now() - ago
    return WebhookEvent.objects.create(
        event_type=WebhookEventType.REGION_STATUS_CHANGED,
        occurred_at=occurred_at,
        payload={},
        fanned_out_at=occurred_at,
    )


def delivery(endpoint, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(event=event(), endpoint=endpoint, message_id=new_message_id(), **fields)


def test_the_log_shows_each_delivery_its_attempts_and_the_last_answer(partner, endpoint):
    failed = delivery(
        endpoint, status=FAILED, attempts=9, last_response_code=503, last_duration_ms=1200, last_error="503 Busy"
    )
    delivery(endpoint, status=DELIVERED, attempts=1, last_response_code=204, delivered_at=timezone.now())
    response = partner.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert len(rows) == 2 and set(rows[0]) == FIELDS
    shown = next(row for row in rows if row["id"] == failed.pk)
    assert shown["webhook_id"] == failed.message_id and shown["event_type"] == "region.status_changed"
    assert (shown["status"], shown["attempts"], shown["last_response_code"], shown["last_duration_ms"]) == (
        "failed",
        9,
        503,
        1200,
    )
    assert shown["last_error"] == "503 Busy" and shown["occurred_at"]


def test_the_log_filters_by_status_and_refuses_an_unknown_one(partner, endpoint):
    delivery(endpoint, status=FAILED)
    delivery(endpoint, status=DELIVERED)
    delivery(endpoint, status=PENDING)
    url = f"/api/v1/webhooks/{endpoint.pk}/deliveries/"
    assert [row["status"] for row in partner.get(url, {"status": "failed"}).json()["results"]] == ["failed"]
    both = partner.get(f"{url}?status=failed&status=pending").json()["results"]
    assert sorted(row["status"] for row in both) == ["failed", "pending"]
    refused = partner.get(url, {"status": "lost"})
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["status"]


def test_the_log_pages_like_every_list(partner, endpoint):
    for _ in range(3):
        delivery(endpoint)
    first = partner.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = partner.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_another_organisations_deliveries_are_not_found(partner):
    theirs = make_endpoint("Health Cluster")
    their_delivery = delivery(theirs, status=FAILED)
    assert partner.get(f"/api/v1/webhooks/{theirs.pk}/deliveries/").status_code == 404
    response = partner.post(f"/api/v1/webhooks/{theirs.pk}/deliveries/{their_delivery.pk}/redeliver/")
    assert response.status_code == 404
    assert WebhookDelivery.objects.get().status == FAILED
    # Nor through one's own endpoint: the delivery must be that endpoint's.
    mine = make_endpoint("Logistics Cluster")
    assert partner.post(f"/api/v1/webhooks/{mine.pk}/deliveries/{their_delivery.pk}/redeliver/").status_code == 404
    assert WebhookDelivery.objects.get().status == FAILED


def test_redelivery_answers_202_and_makes_it_due_with_the_same_webhook_id(partner, endpoint):
    failed = delivery(endpoint, status=FAILED, attempts=12, next_attempt_at=None)
    response = partner.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{failed.pk}/redeliver/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["attempts"], body["webhook_id"]) == ("pending", 0, failed.message_id)
    stored = WebhookDelivery.objects.get()
    assert stored.status == PENDING and stored.next_attempt_at <= timezone.now()


def test_backfill_answers_202_with_the_count_and_creates_what_was_missed(partner, endpoint):
    missed = event(ago=timedelta(days=2))
    sent = delivery(endpoint, status=DELIVERED)
    since = (timezone.now() - timedelta(days=3)).isoformat()
    response = partner.post(f"/api/v1/webhooks/{endpoint.pk}/backfill/", {"since": since}, format="json")
    assert response.status_code == 202, response.content
    assert response.json() == {"count": 2}
    assert set(endpoint.deliveries.values_list("event_id", "status")) == {
        (missed.pk, PENDING),
        (sent.event_id, PENDING),
    }


@override_settings(WEBHOOKS_BACKFILL_MAX_DAYS=30)
@pytest.mark.parametrize("since", [None, "yesterday", "2021-09-01T08:00:00", "older"])
def test_a_backfill_without_a_valid_recent_since_is_a_400_naming_since(partner, endpoint, since):
    if since == "older":
        since = (timezone.now() - timedelta(days=31)).isoformat()
    body = {} if since is None else {"since": since}
    response = partner.post(f"/api/v1/webhooks/{endpoint.pk}/backfill/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["since"]
