"""Redis down or frozen (it is both the cache and the broker): the API, the admin and the public pages still
answer, the changes are recorded, and the alerts they owe wait as rows for the sweep.

A Redis of the test's own (tests.infrastructure.RedisServer) is the cache (throttles, /readyz) and the
broker; the test kills it (connections refused) or freezes it (SIGSTOP: the kernel still accepts
connections, nothing is ever answered), then thaws or restarts it and runs the sweep.
"""

import logging
import time

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from access.alerts import enqueue
from access.alerts.tasks import sweep_unfinished
from access.models import AccessRestriction, AlertEvent, StatusChange
from humtrack.celery import app as celery_app
from tests.access.admin.test_regions import change_status_url, status_post
from tests.access.api.test_views_facts import restriction_body
from tests.factories import UserFactory
from tests.infrastructure import RedisServer
from tests.integration.test_alerts_harness import point_celery_at, queued_tasks
from tests.partners import client_for, issue_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Not a timing test: a request blocked by the freeze would wait for as long as the freeze lasts (forever
# here). The budget is about a second (a quarter for the throttle's cache, half for one publish).
NOT_BLOCKED_SECONDS = 3


@pytest.fixture
def own_redis(tmp_path, settings):
    """A Redis of this test's own as the cache and the broker; stopped (and thawed) whatever happens."""
    server = RedisServer(tmp_path).start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,  # what CACHE_URL=rediscache://… gets
        }
    }
    settings.ALERTS_SWEEP_AFTER_SECONDS = 0
    before = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    point_celery_at(server.url)
    try:
        yield server
    finally:
        server.stop()
        enqueue._broker_down_until = 0.0  # a later test's broker is up
        point_celery_at(*before)


def queued_fan_outs(url: str) -> list[int]:
    """The alert event ids waiting in the broker's `alerts` queue."""
    return sorted(args[0] for args in queued_tasks(url, enqueue.FAN_OUT_EVENT))


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def cache_errors(limit: str) -> float:
    return REGISTRY.get_sample_value("humtrack_throttle_cache_errors_total", {"limit": limit}) or 0.0


def test_with_redis_killed_partners_read_and_write_and_the_sweep_enqueues_the_alert_once_it_is_back(
    own_redis, tree, source, client, caplog
):
    writer = client_for(issue_token("Logistics Cluster", ["read", "write"]))
    restriction = writer.post("/api/v1/restrictions/", restriction_body(source))
    assert restriction.status_code == 201  # Redis up: counted, published
    counted_before = cache_errors("partner_api")
    own_redis.kill()

    with caplog.at_level(logging.WARNING):
        listed = writer.get("/api/v1/regions/")
        changed = writer.post(
            "/api/v1/regions/AF08/status-changes/",
            {"status": "inaccessible", "reason": "Fighting reported", "source": source.pk, "confidence": "reported"},
        )
        url = f"/api/v1/restrictions/{restriction.json()['id']}/"
        patched = writer.patch(url, {"severity": "extreme"}, HTTP_IF_MATCH=restriction["ETag"])

    assert listed.status_code == 200 and listed.json()["results"]
    assert changed.status_code == 201
    assert patched.status_code == 200
    assert StatusChange.objects.get().to_status == "inaccessible"
    assert AccessRestriction.objects.get().severity == "extreme"
    event = AlertEvent.objects.get()
    assert event.state == AlertEvent.State.PENDING
    # Each request let through uncounted, said once in the log, counted in the metric; no token in the log.
    assert cache_errors("partner_api") == counted_before + 3
    uncounted = [r for r in caplog.records if r.name == "humtrack.rate_limits"]
    assert len(uncounted) == 3 and all("partner_api" in r.getMessage() for r in uncounted)
    # /readyz says why: the cache is down.
    assert client.get("/readyz").status_code == 503

    own_redis.start()  # back, on the same port, empty
    sweep_unfinished()
    assert queued_fan_outs(own_redis.url) == [event.pk]


def test_with_redis_frozen_the_api_and_the_admin_answer_at_once_and_the_sweep_catches_up(
    own_redis, tree, source, client
):
    writer = client_for(issue_token("Logistics Cluster", ["read", "write"]))
    restriction = writer.post("/api/v1/restrictions/", restriction_body(source))
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)  # sessions live in the database, not in the cache
    own_redis.freeze()

    url = f"/api/v1/restrictions/{restriction.json()['id']}/"
    status_change = {"status": "inaccessible", "reason": "Fighting", "source": source.pk, "confidence": "reported"}
    requests = {
        "list": lambda: writer.get("/api/v1/regions/"),
        "status change": lambda: writer.post("/api/v1/regions/AF08/status-changes/", status_change),
        "patch": lambda: writer.patch(url, {"severity": "extreme"}, HTTP_IF_MATCH=restriction["ETag"]),
        "admin status change": lambda: client.post(change_status_url(tree["AF03"]), status_post(source)),
    }
    answers = {name: timed(call) for name, call in requests.items()}

    assert {name: response.status_code for name, (response, _) in answers.items()} == {
        "list": 200,
        "status change": 201,
        "patch": 200,
        "admin status change": 302,  # saved, back to the region's page
    }
    slow = {name: round(seconds, 2) for name, (_, seconds) in answers.items() if seconds >= NOT_BLOCKED_SECONDS}
    assert slow == {}, f"blocked by the frozen Redis: {slow}"
    assert sorted(StatusChange.objects.values_list("region__pcode", flat=True)) == ["AF03", "AF08"]
    assert AccessRestriction.objects.get().severity == "extreme"
    events = list(AlertEvent.objects.order_by("pk"))
    assert [e.state for e in events] == [AlertEvent.State.PENDING] * 2
    assert client.get("/readyz").status_code == 503

    own_redis.thaw()
    enqueue._broker_down_until = 0.0  # the sweep runs in a worker, whose publishes never skip
    sweep_unfinished()
    assert queued_fan_outs(own_redis.url) == [e.pk for e in events]


def test_the_confirmation_page_answers_with_redis_killed(own_redis, client, tree):
    own_redis.kill()
    form = {
        "email": "officer@example.org",
        "regions": "Panjsher",
        "language": "en",
        "time_zone": "",
        "mode": "immediate",
    }
    response = client.post(reverse("alerts:get-alerts"), form, REMOTE_ADDR="192.0.2.10")
    # Not a 500: the page's rate limits fail open; the broker is down, so it asks the person to try again.
    assert response.status_code == 503
    assert cache_errors("alerts_signup") >= 2
