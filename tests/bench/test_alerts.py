"""bench/alerts.py (`make bench`'s alert cases) cannot rot: the real case (a Celery worker process, an
aiosmtpd server, the floor by plain smtplib) at its smallest size, 20 subscribers and one round.

It runs as `make bench` runs it, in a process of its own: the worker must share the case's database, which
pytest's in-memory SQLite database cannot be, and the case points Celery at its own broker. On SQLite the
broker is kombu's filesystem transport, on PostgreSQL the Redis of the tests. The case itself fails when an
email is missing, repeated or misaddressed (bench.alerts.check_recipients); the figures are `make bench`'s
to judge, not this test's: here only that every row is full.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml
from django.db import connection

from bench.alerts import ROOT, WORKER_CONCURRENCY
from tests.deploy.example_env import DEPLOY
from tests.deploy.test_gunicorn import kubernetes_documents
from tests.infrastructure import redis_url

pytestmark = pytest.mark.integration

SMOKE = {
    "subscribers": 20,
    "large_subscribers": 40,
    "fan_out_rounds": 1,
    "latency_runs": 1,
    "loaded_changes": 3,
    "check_overlap": False,  # a fan-out of 20 is over before the changes meant to run during it
    "wait_seconds": 30,
}


def run_case(module: str, **sizes) -> list[dict]:
    broker = redis_url() if connection.vendor == "postgresql" else "filesystem://"
    script = f"import json, {module}; print(json.dumps({module}.run(broker={broker!r}, **{sizes!r})))"
    # A developer's own broker in the environment (here one nobody listens on) must not take the case's
    # messages: Celery reads CELERY_BROKER_URL before any configuration (bench.alerts.point_celery_at).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "humtrack.settings.test",
        "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_smallest_alert_cases_email_every_subscriber_and_give_full_rows():
    fan_out, large_fan_out, first_email, loaded_first_email = run_case("bench.alerts", **SMOKE)

    assert "fan-out to 20 subscribers" in fan_out["case"] and "median of 1 rounds" in fan_out["case"]
    assert fan_out["seconds"] > 0 and fan_out["floor_seconds"] > 0 and fan_out["ratio"] > 0, fan_out
    assert fan_out["max_ratio"] == 1.1
    assert fan_out["peak_rss_mb"] > 20, fan_out  # a worker's pool process, not a missing one's 0
    assert "fan-out to 40 subscribers" in large_fan_out["case"], large_fan_out
    assert large_fan_out["floor_seconds"] == fan_out["seconds"] and large_fan_out["max_peak_rss_mb"] == 250
    assert large_fan_out["peak_rss_mb"] > 20, large_fan_out
    assert "commit to first email (median of 1)" in first_email["case"]
    assert first_email["seconds"] > 0 and first_email["floor_seconds"] is None, first_email
    assert "p95 of 3" in loaded_first_email["case"], loaded_first_email
    assert 0 < loaded_first_email["p50_ms"] / 1000 <= loaded_first_email["seconds"], loaded_first_email


def test_the_worker_runs_as_many_processes_as_deploys_alerts_worker():
    """The fan-out is timed with the alerts worker production runs, not make run's laptop worker."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["worker-alerts"]["environment"]["CELERY_CONCURRENCY"] == WORKER_CONCURRENCY
    (alerts_worker,) = [
        document
        for document in kubernetes_documents()
        if document["kind"] == "Deployment" and document["metadata"]["name"] == "humtrack-worker-alerts"
    ]
    (container,) = alerts_worker["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e.get("value") for e in container["env"]}["CELERY_CONCURRENCY"] == WORKER_CONCURRENCY
