"""The throttle's log (humtrack.api.throttling.spend) against a plain reference: at most N requests in any
period, a refused request not counted, the wait until the oldest counted request is a period old.

On Redis (the script) and on locmem (the Python fallback), with random sequences of moments.
"""

import uuid

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humtrack.api.throttling import spend
from tests.infrastructure import redis_url


def reference(moments: list[float], limit: int, period: float) -> list[float | None]:
    """For each request in turn: None if allowed, else the seconds until a request may pass."""
    counted: list[float] = []
    answers: list[float | None] = []
    for now in moments:
        recent = [moment for moment in counted if now - moment < period]
        if len(recent) >= limit:
            answers.append(min(recent) + period - now)
        else:
            counted.append(now)
            answers.append(None)
    return answers


# Moments a millisecond apart at least (as the web servers stamp them), over a few periods.
steps = st.lists(st.integers(min_value=1, max_value=30_000), min_size=1, max_size=60)
limits = st.integers(min_value=1, max_value=8)


def moments_from(start: float, steps_ms: list[int]) -> list[float]:
    moments, now = [], start
    for step in steps_ms:
        now += step / 1000
        moments.append(now)
    return moments


def check(steps_ms: list[int], limit: int) -> None:
    key, period = f"test:{uuid.uuid4().hex}", 60.0
    moments = moments_from(1_800_000_000.0, steps_ms)
    answers = [spend(key, limit, period, now) for now in moments]
    expected = reference(moments, limit, period)
    assert [a is None for a in answers] == [e is None for e in expected]
    for answer, wanted in zip(answers, expected, strict=True):
        if wanted is not None:
            assert answer == pytest.approx(wanted, abs=1e-3)


@given(steps=steps, limit=limits)
@settings(max_examples=150, deadline=None)
def test_the_locmem_log_is_the_reference(steps, limit):
    check(steps, limit)


@pytest.mark.integration
@given(steps=steps, limit=limits)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_redis_log_is_the_reference(redis_cache, steps, limit):
    check(steps, limit)


@pytest.fixture
def redis_cache():
    url, prefix = redis_url(), f"humtrack-test-throttle-log-{uuid.uuid4().hex}"
    backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": backend}):
        yield
        caches["default"].close()
    client = redis.Redis.from_url(url)
    for name in client.scan_iter(f"{prefix}:*"):
        client.delete(name)


@pytest.mark.integration
def test_the_redis_log_counts_on_after_redis_forgot_the_script(redis_cache):
    """The script runs by its hash (EVALSHA): a Redis restarted, or flushed of scripts, loads it again."""
    key, period, now = f"test:{uuid.uuid4().hex}", 60.0, 1_800_000_000.0
    assert spend(key, 2, period, now) is None
    redis.Redis.from_url(redis_url()).script_flush()
    assert spend(key, 2, period, now + 1) is None
    assert spend(key, 2, period, now + 2) == pytest.approx(period - 2, abs=1e-3)
