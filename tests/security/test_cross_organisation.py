"""One partner can never get another's answers or records by reusing what it knows of theirs."""

import pytest
from django.test import Client
from django.urls import reverse

from access.models import Subscription
from humtrack.models import TokenScope
from tests.security.principals import make_token, token_header
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


def test_an_idempotency_key_replays_only_to_the_organisation_that_used_it(db):
    world = build_world()
    _, key_a = make_token(world.organisation_a, TokenScope.ALERTS)
    _, key_b = make_token(world.organisation_b, TokenScope.ALERTS)
    body = {"email": "duty-officer@org-b.example", "name": "Duty officer", "regions": ["AF03"]}
    url = reverse("api:subscription-list")
    same_key = {"HTTP_IDEMPOTENCY_KEY": "sync-2021-09-01-0001"}

    first = Client(**token_header(key_b)).post(url, body, content_type="application/json", **same_key)
    again = Client(**token_header(key_b)).post(url, body, content_type="application/json", **same_key)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]  # B's retry replays B's answer

    other = Client(**token_header(key_a)).post(url, body, content_type="application/json", **same_key)
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]  # A's request is A's own, never B's replayed
    assert Subscription.objects.get(pk=other.json()["id"]).organisation == world.organisation_a
    listed = Client(**token_header(key_a)).get(url).json()["results"]
    assert first.json()["id"] not in [s["id"] for s in listed]


def test_a_partner_reading_another_organisations_subscription_by_id_finds_nothing(db):
    world = build_world()
    _, key_a = make_token(world.organisation_a, TokenScope.ALERTS)
    theirs = world.records["b_subscription_x"]
    response = Client(**token_header(key_a)).get(reverse("api:subscription-detail", args=[theirs.pk]))
    assert response.status_code == 404
    assert theirs.email not in response.content.decode()
