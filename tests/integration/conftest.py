"""Fixtures of the integration tests: the machine's Redis as broker, an SMTP server, worker processes, the tree."""

import pytest

from humtrack.celery import app as celery_app
from tests.infrastructure import redis_url, require_postgresql

from .test_alerts_harness import SmtpServer, Worker, empty_queues, point_celery_at
from .test_alerts_pipeline import make_panjshir


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
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def workers(broker, smtp, tmp_path):
    started = []

    def start(name="w", **alert_settings):
        worker = Worker(name=name, broker_url=broker, smtp_url=smtp.url, log_dir=tmp_path, **alert_settings)
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def panjshir(db):
    return make_panjshir()
