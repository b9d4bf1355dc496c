"""/metrics: Prometheus text with Django's request metrics, humtrack's alert counters and the queue depth."""

import os
import re
import subprocess
import sys

import pytest
from django.test import override_settings
from django.utils import timezone
from kombu import Connection, Exchange, Producer, Queue

from access.alerts.choices import DeliveryStatus
from access.choices import AccessStatus, Confidence
from access.models import AlertDelivery, AlertEvent, StatusChange, Subscription
from humtrack.ops import metrics
from tests.deploy.example_env import REPO
from tests.infrastructure import redis_url

TOKEN = "a-metrics-token-of-at-least-32-characters"


def sample(exposition: str, name: str, **labels) -> float | None:
    """The value of one sample in the Prometheus text format, or None when it is absent."""
    rendered = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(rendered) + r"\}" if labels else "") + r" (\S+)$"
    match = re.search(pattern, exposition, re.MULTILINE)
    return float(match.group(1)) if match else None


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_HOST="10.42.0.17:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


@pytest.fixture(autouse=True)
def metrics_token():
    with override_settings(METRICS_TOKEN=TOKEN, ALLOWED_HOSTS=["humtrack.example.org"]):
        yield


def test_a_scrape_without_the_bearer_token_is_refused(client):
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


@pytest.mark.django_db
def test_requests_and_latencies_are_counted_per_view(client):
    client.get("/situation/", HTTP_HOST="humtrack.example.org")
    exposition = scrape(client)
    assert sample(exposition, "django_http_requests_total_by_method_total", method="GET") >= 1
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in exposition


def test_alert_counters_count_what_the_alert_workers_report(client):
    before = scrape(client)
    sent_before = sample(before, "humtrack_alerts_sent_total", channel="email")
    failed_before = sample(before, "humtrack_alerts_failed_total", channel="email")

    metrics.alerts_sent.inc()
    metrics.alerts_sent.inc()
    metrics.alerts_failed.inc()

    after = scrape(client)
    assert sample(after, "humtrack_alerts_sent_total", channel="email") == sent_before + 2
    assert sample(after, "humtrack_alerts_failed_total", channel="email") == failed_before + 1


@pytest.mark.django_db
def test_alert_deliveries_are_counted_by_status_from_the_database(client, tree, source):
    change = StatusChange.objects.create(
        region=tree["AF0801"],
        from_status=AccessStatus.UNKNOWN,
        to_status=AccessStatus.INACCESSIBLE,
        reason="Fighting on the road",
        source=source,
        confidence=Confidence.REPORTED,
        effective_at=timezone.now(),
    )
    event = AlertEvent.objects.create(kind=AlertEvent.Kind.STATUS_CHANGE, status_change=change)
    for number, status in enumerate([DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.FAILED_PERMANENT]):
        subscription = Subscription.objects.create(email=f"watcher{number}@example.org")
        AlertDelivery.objects.create(event=event, subscription=subscription, status=status)

    exposition = scrape(client)
    assert sample(exposition, "humtrack_alert_deliveries", status="sent") == 2
    assert sample(exposition, "humtrack_alert_deliveries", status="failed_permanent") == 1
    assert sample(exposition, "humtrack_alert_deliveries", status="pending") == 0


def test_counters_of_several_processes_are_summed_in_multiprocess_mode(tmp_path):
    """As under gunicorn with several workers: each process writes its own file, a scrape adds them."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": ""}
    count = "from humtrack.ops import metrics; [metrics.alerts_sent.inc() for _ in range({})]"
    for sends in (3, 4):
        subprocess.run([sys.executable, "-c", count.format(sends)], cwd=REPO, env=environment, check=True)
    scraped = subprocess.run(
        [sys.executable, "-c", "from humtrack.ops import metrics; print(metrics.exposition().decode())"],
        cwd=REPO,
        env={**environment, "CELERY_BROKER_URL": "memory://"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert sample(scraped, "humtrack_alerts_sent_total", channel="email") == 7


def test_the_queue_depth_gauge_covers_every_queue_the_settings_declare(settings):
    assert set(metrics.QUEUE_NAMES) == {queue.name for queue in settings.CELERY_TASK_QUEUES}


@pytest.mark.integration
def test_queue_depth_is_read_from_the_broker_at_scrape_time(client, monkeypatch):
    """Tasks waiting in Redis, per queue, as every web process sees them. The test uses queues of its
    own: the shared Redis may hold other tests' real queues."""
    from humtrack.celery import app

    url = redis_url()
    monkeypatch.setattr(metrics, "QUEUE_NAMES", ("h-deploy-busy", "h-deploy-idle"))
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it). The
    # configuration first: monkeypatch keeps the value it reads now, and restores it afterwards.
    monkeypatch.setattr(app.conf, "broker_url", url)
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    exchange = Exchange("h-deploy-busy", type="direct")
    busy = Queue("h-deploy-busy", exchange, routing_key="h-deploy-busy")
    with Connection(url) as connection:
        busy(connection.channel()).purge()
        producer = Producer(connection.channel(), exchange=exchange, routing_key="h-deploy-busy")
        for number in range(5):
            producer.publish({"waiting": number}, declare=[busy])
        exposition = scrape(client)
        busy(connection.channel()).purge()
        emptied = scrape(client)
    assert sample(exposition, "humtrack_queue_depth", queue="h-deploy-busy") == 5
    assert sample(exposition, "humtrack_queue_depth", queue="h-deploy-idle") == 0
    assert sample(emptied, "humtrack_queue_depth", queue="h-deploy-busy") == 0
