"""Faults the alert pipeline rides out (issue 15), each against the real parts: a Redis of the test's own
killed and started again, an SMTP server that drops connections, stalls QUIT or goes down, workers SIGKILLed.

Each test commits changes in the test database (PostgreSQL) and counts what the SMTP server received.
"""

import re
import time

import pytest
from django.conf import settings

from access.alerts.choices import DeliveryStatus
from access.alerts.tasks import sweep_unfinished
from access.choices import AccessStatus
from access.models import AlertDelivery, Subscription
from tests.infrastructure import RedisServer, require_postgresql

from .test_alerts_harness import Worker, point_celery_at, wait_for
from .test_alerts_pipeline import (
    assert_each_exactly_once,
    change_status,
    followers,
    make_panjshir,
    subscribe,
    sweep_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(tmp_path):
    require_postgresql()
    from humtrack.celery import app as celery_app

    before = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    with RedisServer(tmp_path) as server:
        point_celery_at(server.url)
        yield server
    point_celery_at(*before)


def received_per_address(smtp) -> dict[str, int]:
    return dict(smtp.handler.recipients())


def everything_sent() -> bool:
    deliveries = AlertDelivery.objects.all()
    return deliveries.exists() and not deliveries.exclude(status=DeliveryStatus.SENT).exists()


def finished(worker, task: str) -> bool:
    return re.search(rf"Task {re.escape(task)}\[[^]]+\] succeeded", worker.log()) is not None


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
        # Follow-ups wait in the database; the worker holds a task due later (unacknowledged until it is
        # due) as it would a retry of Celery's own, while it still sends the first alert.
        sweep_unfinished.apply_async(countdown=60)
        wait_for(lambda: "sweep_unfinished[" in worker.log(), message="the worker holding a task due later")
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


# --- A relay that drops connections, or is down (§2) --------------------------------------------------


def test_a_relay_dropping_every_connection_at_its_20th_message_costs_one_attempt_per_drop(panjshir, smtp, workers):
    emails = [s.email for s in followers(60, panjshir["AF"])]
    smtp.handler.drop_at = 20  # relays limit messages per connection; this one drops the 20th unanswered
    workers(ALERTS_BATCH_SIZE=200)  # production's batch: one task sends all 60
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)

    wait_for(lambda: everything_sent(), timeout=60, message="every alert sent, reconnecting after each drop")
    assert_each_exactly_once(smtp, emails)
    assert smtp.handler.dropped == 3  # after the 19th, 38th and 57th accepted
    # Only the message in flight at each drop was charged; none never offered was.
    attempts = sorted(AlertDelivery.objects.values_list("attempts", flat=True))
    assert attempts == [1] * 57 + [2] * 3
    assert not Subscription.objects.filter(consecutive_failures__gt=0).exists()


def test_a_relay_down_charges_nothing_pauses_no_one_and_everything_goes_when_it_is_back(panjshir, smtp, workers):
    emails = [s.email for s in followers(12, panjshir["AF"])]
    smtp.stop()
    workers(ALERTS_BATCH_SIZE=200)
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)

    wait_for(
        lambda: AlertDelivery.objects.filter(status=DeliveryStatus.FAILED_TEMPORARY).count() == 12,
        message="the alerts waiting on the relay",
    )
    assert set(AlertDelivery.objects.values_list("attempts", flat=True)) == {0}
    smtp.start_again()
    sweep_until(lambda: everything_sent(), "every alert sent once the relay is back")
    assert_each_exactly_once(smtp, emails)
    assert set(AlertDelivery.objects.values_list("attempts", flat=True)) == {1}
    assert not Subscription.objects.filter(consecutive_failures__gt=0).exists()


# --- Every kind of email marked at the server's 250 (§3) ---------------------------------------------


def sweep_for(seconds: int) -> None:
    """What beat does, once a second for `seconds` seconds, whatever happens."""
    for _ in range(seconds):
        sweep_unfinished.delay()
        time.sleep(1)


def test_a_worker_killed_waiting_for_quit_after_a_follow_up_does_not_send_it_again(panjshir, smtp, workers):
    subscribe("panjshir@example.org", panjshir["AF"])
    first = workers("quitter", ALERTS_FLOOD_WINDOW_SECONDS=2)
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE, reason="First")
    # A change to one person is sent by its fan-out's task (tasks.fan_out_event): done, it has had its QUIT.
    wait_for(lambda: finished(first, "access.alerts.fan_out_event"), message="the first alert, and its QUIT")
    assert len(smtp.handler.received()) == 1
    change_status(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED, reason="Second")
    smtp.handler.quit_delay = 60  # the follow-up is accepted; the answer to its QUIT never comes in time

    sweep_until(lambda: smtp.handler.quits_waiting >= 1, "the follow-up accepted, its QUIT pending")
    assert len(smtp.handler.received()) == 2
    first.kill()
    smtp.handler.quit_delay = 0
    workers("after")
    sweep_for(8)  # well past the dead worker's lease (3 s)

    assert everything_sent()
    assert len(smtp.handler.received()) == 2  # the follow-up once


# --- A dead worker's batch does not wait for a long lease; a live one keeps its own (§4) ---------------


def test_a_killed_workers_batch_is_taken_over_within_about_a_minute_with_the_production_lease(panjshir, smtp, workers):
    emails = [s.email for s in followers(20, panjshir["AF"])]
    smtp.handler.rcpt_delay = 0.3
    production_lease = settings.ALERTS_LEASE_SECONDS  # deploy/'s default, not the harness's short one
    killed = workers("killed", ALERTS_BATCH_SIZE=20, ALERTS_LEASE_SECONDS=production_lease)
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    wait_for(lambda: smtp.handler.rcpt_count >= 5, message="the batch under way")
    killed.kill()
    killed_at = time.monotonic()
    workers("survivor", ALERTS_BATCH_SIZE=20, ALERTS_LEASE_SECONDS=production_lease)

    sweep_until(lambda: smtp.handler.rcpt_count > 6, "the rest of the batch taken over", timeout=90)
    # The lease and a sweep (beat runs it every ALERTS_SWEEP_EVERY_SECONDS): about a minute.
    assert time.monotonic() - killed_at < production_lease + settings.ALERTS_SWEEP_EVERY_SECONDS
    sweep_until(lambda: everything_sent(), "every alert sent")
    received = smtp.handler.recipients()
    assert set(received) == set(emails)
    assert sum(received.values()) <= 21  # at most the one message in flight at the kill, twice


def test_a_live_worker_sending_for_longer_than_the_lease_keeps_its_batch(panjshir, smtp, workers):
    emails = [s.email for s in followers(12, panjshir["AF"])]
    smtp.handler.rcpt_delay = 0.5  # 12 messages: 6 s, twice the lease
    workers("slow", ALERTS_BATCH_SIZE=12, ALERTS_LEASE_SECONDS=3)
    workers("eager", ALERTS_BATCH_SIZE=12, ALERTS_LEASE_SECONDS=3)
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    wait_for(lambda: smtp.handler.rcpt_count >= 1, message="the batch under way")
    sweep_for(8)  # the eager worker sweeps all along; the heartbeat keeps the claim alive

    sweep_until(lambda: everything_sent(), "every alert sent")
    assert_each_exactly_once(smtp, emails)
