"""Throttling per token, counted in the cache (Redis in production, so that every process shares it)."""

import uuid

import pytest
import redis
from django.core.cache import caches

from tests.infrastructure import redis_url
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "3/minute"}}


def test_a_token_over_its_rate_gets_429_with_retry_after(three_a_minute, tree):
    busy = client_for(issue_token("Busy", ["read"]))
    calm = client_for(issue_token("Calm", ["read"]))
    assert [busy.get("/api/v1/regions/").status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get("/api/v1/regions/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert calm.get("/api/v1/regions/").status_code == 200  # per token, not for everyone


def test_tokens_of_one_organisation_are_counted_apart(three_a_minute, tree):
    first, second = issue_token("Same Org", ["read"]), issue_token("Same Org", ["read"])
    for _ in range(3):
        client_for(first).get("/api/v1/regions/")
    assert client_for(first).get("/api/v1/regions/").status_code == 429
    assert client_for(second).get("/api/v1/regions/").status_code == 200


@pytest.mark.integration
def test_the_count_lives_in_redis_so_every_process_shares_it(three_a_minute, settings, tree):
    url = redis_url()
    prefix = f"humtrack-test-throttle-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix},
    }
    key = issue_token("Shared Count", ["read"])
    try:
        for _ in range(3):
            assert client_for(key).get("/api/v1/regions/").status_code == 200
        # Another process sees the same count: a fresh connection reads it from Redis.
        stored = redis.Redis.from_url(url).keys(f"{prefix}:*humtrack:throttle:partner:token:*")
        assert len(stored) == 1
        caches["default"].close()
        assert client_for(key).get("/api/v1/regions/").status_code == 429
    finally:
        client = redis.Redis.from_url(url)
        for name in client.scan_iter(f"{prefix}:*"):
            client.delete(name)
