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


def test_requests_without_a_valid_token_are_throttled_per_address(three_a_minute, tree):
    anonymous, invalid = client_for(None), client_for("not-a-real-key")
    here = {"REMOTE_ADDR": "192.0.2.7"}
    statuses = [anonymous.get("/api/v1/regions/", **here).status_code for _ in range(2)]
    statuses.append(invalid.get("/api/v1/regions/", **here).status_code)
    assert statuses == [401, 401, 401]
    for client in (anonymous, invalid):
        refused = client.get("/api/v1/regions/", **here)
        assert refused.status_code == 429
        assert refused.json() == {"status": 429, "code": "throttled", "detail": refused.json()["detail"]}
        assert 0 < int(refused["Retry-After"]) <= 60
    # Another address has its own count; a valid token is counted apart, per token.
    assert anonymous.get("/api/v1/regions/", REMOTE_ADDR="192.0.2.8").status_code == 401
    assert client_for(issue_token("Calm", ["read"])).get("/api/v1/regions/", **here).status_code == 200


def test_behind_trusted_proxies_the_address_is_the_one_the_proxy_saw(three_a_minute, settings, tree):
    settings.HUMTRACK_TRUSTED_PROXIES = 1
    invalid = client_for("not-a-real-key")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        # A forged left-hand entry changes nothing: the proxy appended the real address last.
        invalid.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR=f"{uuid.uuid4().hex}, 198.51.100.4", **proxy)
    blocked = invalid.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy)
    assert blocked.status_code == 429
    other = invalid.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR="198.51.100.5", **proxy)
    assert other.status_code == 401  # another client behind the same proxy
