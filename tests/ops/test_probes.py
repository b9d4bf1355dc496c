"""/healthz and /readyz: what an orchestrator's probes get, whatever Host they send."""

import json

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from humtrack.ops import checks
from tests.infrastructure import free_port

# A pod's own address: not in ALLOWED_HOSTS, as in a cluster.
POD_ADDRESS = "10.42.0.17:8000"


@pytest.fixture(autouse=True)
def production_hosts():
    with override_settings(ALLOWED_HOSTS=["humtrack.example.org"]):
        yield


@pytest.fixture(autouse=True)
def fresh_migration_memory():
    # MigrationsApplied remembers success per process; each test starts from what the database says.
    checks._migrated_aliases.clear()
    yield
    checks._migrated_aliases.clear()


def test_healthz_answers_a_probe_sent_to_the_pod_address(client):
    response = client.get("/healthz", HTTP_HOST=POD_ADDRESS)
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_probes_over_plain_http_are_not_redirected_to_https(client):
    # Production redirects HTTP to HTTPS; a kubelet probes the pod over plain HTTP and must get an answer.
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz", HTTP_HOST=POD_ADDRESS).status_code == 200
        assert client.get("/situation/", HTTP_HOST="humtrack.example.org").status_code == 301


def test_other_pages_still_refuse_an_unknown_host(client):
    response = client.get("/situation/", HTTP_HOST=POD_ADDRESS)
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_readyz_reports_database_cache_broker_and_migrations_ready(client):
    response = client.get("/readyz?format=json", HTTP_HOST=POD_ADDRESS)
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "Database(alias='default')": "OK",
        "Cache(alias='default')": "OK",
        "Broker()": "OK",
        "MigrationsApplied(alias='default')": "OK",
        "AlertRelay()": "OK",
    }
    assert "Health-Status" not in response


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_while_the_broker_is_unreachable(client, monkeypatch):
    from humtrack.celery import app

    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it). The
    # configuration first: monkeypatch keeps the value it reads now, and restores it afterwards.
    monkeypatch.setattr(app.conf, "broker_url", nobody_listens)
    monkeypatch.setenv("CELERY_BROKER_URL", nobody_listens)
    response = client.get("/readyz?format=json", HTTP_HOST=POD_ADDRESS)
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["Broker()"].startswith("Unavailable: Broker unreachable")
    assert report["Database(alias='default')"] == "OK"


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_until_every_migration_is_applied(client):
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="humtrack").order_by("-id").first()
    latest.delete()  # as if the migrate Job of this release had not run yet
    try:
        response = client.get("/readyz?format=json", HTTP_HOST=POD_ADDRESS)
    finally:
        recorder.record_applied(latest.app, latest.name)
    assert response.status_code == 503
    message = json.loads(response.content)["MigrationsApplied(alias='default')"]
    assert message == f"Unavailable: 1 migration(s) not applied, e.g. humtrack.{latest.name}"


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_plain_text_to_a_probe_that_asks_for_it(client):
    response = client.get("/readyz", HTTP_HOST=POD_ADDRESS, HTTP_ACCEPT="text/plain")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"Broker(): OK" in response.content


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_a_probe_that_accepts_anything_with_the_html_page(client):
    # A kubelet's httpGet probe sends "Accept: */*": the library answers with its HTML page.
    response = client.get("/readyz", HTTP_HOST=POD_ADDRESS, HTTP_ACCEPT="*/*")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Broker()" in response.content
