"""Faults the alert pipeline rides out (issue 15), each against the real parts: a Redis of the test's own
killed and started again, an SMTP server that drops connections, stalls QUIT or goes down, workers SIGKILLed.

Each test commits changes in the test database (PostgreSQL) and counts what the SMTP server received.
"""

import pytest

from access.alerts.choices import DeliveryStatus
from access.choices import AccessStatus
from access.models import AlertDelivery
from tests.infrastructure import RedisServer, require_postgresql

from .test_alerts_harness import SmtpServer, Worker, point_celery_at, use_broker, wait_for
from .test_alerts_pipeline import change_status, followers, make_panjshir, sweep_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(tmp_path):
    require_postgresql()
    from humtrack.celery import app as celery_app

    before = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    with RedisServer(tmp_path) as server:
        point_celery_at(server.url)
        yield server
    use_broker(*before)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def received_per_address(smtp) -> dict[str, int]:
    return dict(smtp.handler.recipients())


def everything_sent() -> bool:
    return not AlertDelivery.objects.exclude(status=DeliveryStatus.SENT).exists()


def test_a_worker_rides_out_a_redis_restart_holding_a_follow_up_and_a_running_batch(own_redis, smtp, tmp_path):
    regions = make_panjshir()
    emails = [s.email for s in followers(12, regions["AF"])]
    smtp.handler.rcpt_delay = 0.25  # a batch of 5 takes over a second: one is running when Redis goes
    worker = Worker(
        name="restart", broker_url=own_redis.url, smtp_url=smtp.url, log_dir=tmp_path, concurrency=2,
        ALERTS_FLOOD_WINDOW_SECONDS=12,
    ).start()  # fmt: skip
    try:
        change_status(regions["AF08"], AccessStatus.INACCESSIBLE, reason="First")
        wait_for(lambda: smtp.handler.rcpt_count >= 2, message="the first batch under way")
        # An improvement inside the flood window: each follower's follow-up waits as a task due later.
        change_status(regions["AF08"], AccessStatus.SEVERELY_CONSTRAINED, reason="Second")
        wait_for(
            lambda: AlertDelivery.objects.filter(batch_kind="follow_up").count() == 12,
            message="the follow-ups waiting",
        )
        # The worker holds them (unacknowledged, until they are due) while it still sends the first alert.
        wait_for(lambda: "send_batch_email[" in worker.log(), message="the worker holding a follow-up")
        assert not everything_sent()

        own_redis.restart(down_for=3)

        # The worker survives by itself; the database, not the broker, remembers what is still due.
        sweep_until(lambda: everything_sent(), "every alert and follow-up sent after the restart", timeout=90)
        assert worker.alive(), worker.log()[-3000:]
        assert "Unrecoverable error" not in worker.log()
        wait_for(lambda: sum(received_per_address(smtp).values()) >= 24, message="24 emails")
        assert received_per_address(smtp) == {email: 2 for email in emails}
    finally:
        worker.stop()
