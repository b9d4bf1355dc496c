"""Webhooks end to end: changes through the services, a real Celery worker on Redis, a real receiver on
loopback that verifies every signature (standardwebhooks) and processes each webhook-id once.

Each test commits its changes in the test database (PostgreSQL, transaction=True so the worker sees them).
Beat is played by the test: it wakes the delivery task every half second while it waits.
"""

import threading
import time
from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from access.alerts import enqueue
from access.alerts.webhooks.choices import WebhookDeliveryStatus
from access.alerts.webhooks.models import WebhookDelivery, WebhookEvent
from access.choices import AccessStatus, Confidence, CorridorStatus, Utility
from access.models import UtilityOutage
from access.services import (
    change_access_status,
    change_corridor_status,
    create_corridor,
    record_outage,
    restore_outages,
)
from humtrack.actor import Actor
from humtrack.celery import app as celery_app
from needs.services import record_need_figure
from tests.factories import OrganisationFactory, SourceFactory, make_tree
from tests.infrastructure import redis_url, require_postgresql
from tests.webhooks import Receiver, make_endpoint

from .test_alerts_harness import SmtpServer, Worker, empty_queues, point_celery_at

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WEBHOOK_TIMINGS = {
    # Short enough for a test to see retries and a dead worker's lease run out.
    "WEBHOOKS_LEASE_SECONDS": "3",
    "WEBHOOKS_RETRY_BACKOFF_SECONDS": "1",
    "WEBHOOKS_RETRY_BACKOFF_MAX_SECONDS": "2",
    "WEBHOOKS_TIMEOUT_SECONDS": "30",
}


@pytest.fixture
def broker():
    require_postgresql()
    url = redis_url()
    empty_queues(url)
    before = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    point_celery_at(url)
    yield url
    empty_queues(url)
    point_celery_at(*before)


@pytest.fixture
def workers(broker, tmp_path):
    started = []
    with SmtpServer() as smtp:

        def start(name="w"):
            worker = Worker(name=name, broker_url=broker, smtp_url=smtp.url, log_dir=tmp_path, **WEBHOOK_TIMINGS)
            started.append(worker.start())
            return worker

        yield start
        for worker in started:
            worker.stop()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def beat_until(condition, message, timeout=60.0):
    """Wake the delivery task every half second (beat's job) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        enqueue.wake_webhook_delivery()
        time.sleep(0.5)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


def all_delivered() -> bool:
    return not WebhookEvent.objects.filter(fanned_out_at=None).exists() and not (
        WebhookDelivery.objects.exclude(status=WebhookDeliveryStatus.DELIVERED).exists()
    )


def assert_each_event_processed_once_per_endpoint(receiver):
    """Every (endpoint, event) pair reached the receiver under exactly one webhook-id, and was processed."""
    ids_per_pair = defaultdict(set)
    for received in receiver.received:
        assert received.verified, received.error
        ids_per_pair[(received.path, received.payload["timestamp"], received.body)].add(received.message_id)
    expected = {
        (d.endpoint.url.split(str(receiver.port), 1)[1], d.message_id)
        for d in WebhookDelivery.objects.select_related("endpoint")
    }
    assert {(path, message_id) for (path, _, _), ids in ids_per_pair.items() for message_id in ids} == expected
    assert all(len(ids) == 1 for ids in ids_per_pair.values())
    assert set(receiver.processed) == {message_id for _, message_id in expected}


def test_every_change_reaches_every_endpoint_once_through_a_real_worker(workers, receiver):
    regions = make_tree()
    source = SourceFactory()
    actor = Actor(organisation=OrganisationFactory(name="OCHA"))
    make_endpoint(receiver, "/all")
    make_endpoint(receiver, "/access", event_types=["region.status_changed", "corridor.status_changed"])
    flaky = make_endpoint(receiver, "/flaky", event_types=["outage.created", "outage.restored"])
    answers = defaultdict(lambda: iter([500, 200]))
    receiver.answer = lambda received: next(answers[received.message_id]) if received.path == "/flaky" else 200
    workers()

    change_access_status(
        region=regions["AF08"], status=AccessStatus.INACCESSIBLE, reason="Fighting in the valley", source=source,
        confidence=Confidence.CONFIRMED, actor=actor,
    )  # fmt: skip
    corridor = create_corridor(
        actor=actor, name="Kabul – Bazarak", regions=[regions["AF03"], regions["AF0801"]],
        status=CorridorStatus.OPEN, source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    change_corridor_status(
        corridor=corridor, status=CorridorStatus.CLOSED, reason="Bridge down", source=source,
        confidence=Confidence.REPORTED, actor=actor,
    )  # fmt: skip
    record_outage(
        actor=actor, region=regions["AF08"], utility=Utility.INTERNET, started_at=timezone.now() - timedelta(hours=2),
        source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    restore_outages(
        outages=UtilityOutage.objects.all(), actor=actor, restored_at=timezone.now(), reason="Tower repaired",
        source=source,
    )  # fmt: skip
    record_need_figure(
        actor=actor, region=regions["AF0801"], sector="FSC", period_start=date(2021, 1, 1),
        period_end=date(2021, 12, 31), source=source, confidence=Confidence.REPORTED, people_in_need=12000,
    )  # fmt: skip

    beat_until(lambda: all_delivered() and WebhookDelivery.objects.count() == 9, "every delivery delivered")
    by_path = defaultdict(list)
    for payload_id, payload in receiver.processed.items():
        path = WebhookDelivery.objects.select_related("endpoint").get(message_id=payload_id).endpoint.url
        by_path[path.rsplit("/", 1)[1]].append(payload["type"])
    assert sorted(by_path["all"]) == sorted(
        ["region.status_changed", "corridor.status_changed", "outage.created", "outage.restored", "need_figure.created"]
    )
    assert sorted(by_path["access"]) == ["corridor.status_changed", "region.status_changed"]
    assert sorted(by_path["flaky"]) == ["outage.created", "outage.restored"]
    assert set(WebhookDelivery.objects.filter(endpoint=flaky).values_list("attempts", flat=True)) == {2}
    assert_each_event_processed_once_per_endpoint(receiver)
    assert receiver.repeats == {}


def test_a_worker_killed_mid_delivery_leaves_every_event_delivered_duplicates_only_under_the_same_id(workers, receiver):
    regions = make_tree()
    source = SourceFactory()
    actor = Actor(organisation=OrganisationFactory(name="OCHA"))
    for path in ("/a", "/b"):
        make_endpoint(receiver, path, event_types=["outage.created"])
    stalled, release = threading.Event(), threading.Event()

    def answer(received):
        if not stalled.is_set():
            stalled.set()
            release.wait(60)  # the first request hangs until the test lets it go
        return 200

    receiver.answer = answer
    worker = workers("killed")
    with transaction.atomic():  # one commit: the worker's first run has all 20 deliveries in hand
        for hours in range(10):
            record_outage(
                actor=actor, region=regions["AF08"], utility=Utility.ELECTRICITY,
                started_at=timezone.now() - timedelta(hours=hours + 1), source=source, confidence=Confidence.REPORTED,
            )  # fmt: skip

    beat_until(lambda: stalled.is_set() and len(receiver.received) >= 20, "the worker stuck on the first POST")
    worker.kill()
    assert WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.SENDING).exists()  # the batch it died in
    release.set()  # the receiver answers the dead worker's POST: processed, never recorded delivered

    workers("next")
    beat_until(all_delivered, "every delivery delivered by the next worker")
    assert WebhookDelivery.objects.count() == 20
    assert_each_event_processed_once_per_endpoint(receiver)
    # The POST the dead worker never saw answered came again from the next one, under the same webhook-id.
    assert receiver.repeats
    assert set(receiver.repeats) <= set(receiver.processed)
