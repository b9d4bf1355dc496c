"""The alert pipeline end to end: a real Redis broker, real Celery worker processes, a real SMTP server.

Each test commits a change in the test database (PostgreSQL, transaction=True so the worker sees it)
and watches what the SMTP server receives.
"""

import pytest
from django.db import transaction
from django.utils import timezone

from access.alerts.choices import AlertMode, AlertTrigger, DeliveryStatus
from access.alerts.subscriptions import create_subscription
from access.alerts.tasks import send_delivery_batch, sweep_unfinished
from access.choices import AccessStatus, Confidence
from access.models import AlertDelivery, AlertEvent, Subscription
from access.services import change_access_status
from humtrack.actor import SYSTEM, Actor
from humtrack.celery import app as celery_app
from tests.factories import SourceFactory, UserFactory, make_tree
from tests.infrastructure import free_port, redis_url, require_postgresql, slow_writes

from .test_alerts_harness import SmtpServer, Worker, empty_queues, point_celery_at, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


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
    """The tree, with Panjshir already constrained (silently: no alert for the set-up)."""
    regions = make_tree()
    change_status(regions["AF08"], AccessStatus.CONSTRAINED, silent=True)
    return regions


def change_status(region, status, reason="Checkpoint at the valley entrance closed to all traffic", **kwargs):
    source = SourceFactory(publisher="OCHA", title="Flash update 3")
    actor = kwargs.pop("actor", SYSTEM)
    return change_access_status(
        region=region,
        status=status,
        reason=reason,
        source=source,
        confidence=kwargs.pop("confidence", Confidence.CONFIRMED),
        actor=actor,
        **kwargs,
    )


def subscribe(email, *regions, **fields):
    return create_subscription(actor=SYSTEM, regions=list(regions), email=email, name=fields.pop("name", ""), **fields)


def followers(count, region, prefix="staff"):
    return [subscribe(f"{prefix}{n}@example.org", region) for n in range(count)]


def all_sent(event_count=1):
    deliveries = AlertDelivery.objects.filter(batch_kind="")  # digests wait for the morning
    return (
        AlertEvent.objects.filter(state=AlertEvent.State.FANNED_OUT).count() == event_count
        and deliveries.exists()
        and not deliveries.exclude(status=DeliveryStatus.SENT).exists()
    )


def test_a_change_reaches_exactly_the_followers_of_the_region_and_its_ancestors_with_the_content(
    panjshir, smtp, workers
):
    af, af08, af03 = panjshir["AF"], panjshir["AF08"], panjshir["AF03"]
    expected = {
        subscribe("country@example.org", af, name="Country desk").email,
        subscribe("panjshir@example.org", af08, name="Jabal Saraj <field> office").email,
        subscribe("worse@example.org", af08, trigger=AlertTrigger.WORSENING).email,
        subscribe(
            "severe@example.org", af08, trigger=AlertTrigger.CROSSING, threshold_status="severely_constrained"
        ).email,
    }
    # Under the region that changed, with a record of its own: its status does not change, not told.
    change_status(panjshir["AF0801"], AccessStatus.CONSTRAINED, silent=True)
    subscribe("district@example.org", panjshir["AF0801"])
    subscribe("country-only@example.org", af, include_descendants=False)
    subscribe("parwan@example.org", af03)
    subscribe("already@example.org", af08, trigger=AlertTrigger.CROSSING, threshold_status="constrained")
    subscribe("gone@example.org", af08, active=False)
    # Paused by the pipeline after failed deliveries (no service creates a paused subscription).
    paused = subscribe("paused@example.org", af08)
    Subscription.objects.filter(pk=paused.pk).update(paused_at=timezone.now())
    subscribe("digest@example.org", af08, mode=AlertMode.DIGEST)  # told in the daily digest, not now
    workers()
    coordinator = UserFactory(username="coordinator")

    change_status(
        af08,
        AccessStatus.INACCESSIBLE,
        reason="Fighting <b>around</b> Bazarak & the road is closed",
        actor=Actor(user=coordinator),
    )

    wait_for(lambda: all_sent(), message="every delivery sent")
    received = smtp.handler.received()
    assert sorted(r for rcpts, _ in received for r in rcpts) == sorted(expected)
    assert AlertDelivery.objects.get(subscription__email="digest@example.org").status == DeliveryStatus.BATCHED

    message = next(m for rcpts, m in received if rcpts == ["panjshir@example.org"])
    # Django folds a non-ASCII subject onto a continuation line; mail clients unfold it.
    assert message["Subject"].strip() == "[humtrack] Panjsher (AF08): constrained → inaccessible"
    assert message["In-Reply-To"] == "<region.AF08@humtrack.localhost>"
    assert message["References"] == "<region.AF08@humtrack.localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe_url.startswith("https://humtrack.example.org/alerts/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for expected_text in (
        "Fighting <b>around</b> Bazarak & the road is closed",
        "OCHA",
        "Flash update 3",
        "confirmed",
        "coordinator",
        "https://humtrack.example.org/situation/regions/AF08/",
        unsubscribe_url,
        "Jabal Saraj <field> office",
    ):
        assert expected_text in text
    assert "Fighting &lt;b&gt;around&lt;/b&gt; Bazarak &amp; the road is closed" in html
    assert "Jabal Saraj &lt;field&gt; office" in html
    assert "<b>around</b>" not in html


def test_a_no_op_or_a_rolled_back_change_sends_nothing(panjshir, smtp, workers):
    af08 = panjshir["AF08"]
    subscribe("panjshir@example.org", af08)
    workers()

    assert change_status(af08, AccessStatus.CONSTRAINED) is None  # already constrained
    with pytest.raises(RuntimeError), transaction.atomic():
        change_status(af08, AccessStatus.INACCESSIBLE)
        raise RuntimeError("the request failed after the change")
    # The one real change afterwards: when its email is in, anything sent before it would be too.
    change_status(af08, AccessStatus.SEVERELY_CONSTRAINED)

    wait_for(lambda: all_sent(), message="the real change sent")
    subjects = [m["Subject"].strip() for _, m in smtp.handler.received()]
    assert subjects == ["[humtrack] Panjsher (AF08): constrained → severely constrained"]
    assert AlertEvent.objects.count() == 1


def sweep_until(condition, message, timeout=60):
    """What beat does every minute, once a second until `condition` holds."""

    def swept():
        if condition():
            return True
        sweep_unfinished.delay()
        return False

    wait_for(swept, timeout=timeout, interval=1.0, message=message)


def assert_each_exactly_once(smtp, emails):
    received = smtp.handler.recipients()
    assert set(received) == set(emails)
    assert [email for email, count in received.items() if count != 1] == []


def test_a_worker_killed_in_the_middle_of_a_fan_out_leaves_every_recipient_exactly_one_email(panjshir, smtp, workers):
    emails = [s.email for s in followers(30, panjshir["AF"])]
    smtp.handler.rcpt_delay = 0.3  # the worker spends its time waiting for RCPT answers, as on a slow relay
    worker = workers("killed")
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)

    wait_for(lambda: smtp.handler.rcpt_count >= 12, message="the third batch under way")
    worker.kill()
    sent_before_kill = len(smtp.handler.received())
    assert 0 < sent_before_kill < 30
    assert AlertDelivery.objects.filter(status=DeliveryStatus.SENDING).exists()  # the batch it died in

    smtp.handler.rcpt_delay = 0
    worker.start()
    sweep_until(lambda: all_sent(), "every delivery sent after the restart")
    sweep_unfinished.delay()
    sweep_unfinished.delay()
    wait_for(lambda: smtp.handler.recipients().total() >= 30)
    assert_each_exactly_once(smtp, emails)


@pytest.fixture
def slow_delivery_writes():
    """Each chunk of deliveries the fan-out writes takes 0.3 s, so that a kill can land between two commits."""
    with slow_writes(AlertDelivery, 0.3, each="STATEMENT"):
        yield


def test_a_worker_killed_while_writing_the_fan_out_leaves_every_recipient_exactly_one_email(
    panjshir, smtp, workers, slow_delivery_writes
):
    emails = [s.email for s in followers(30, panjshir["AF"])]
    worker = workers("killed")  # chunks of ALERTS_BATCH_SIZE=5 deliveries
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)

    wait_for(lambda: AlertDelivery.objects.count() >= 10, message="two of the fan-out's chunks committed")
    worker.kill()
    assert 10 <= AlertDelivery.objects.count() < 30
    assert AlertEvent.objects.get().state == AlertEvent.State.PENDING

    worker.start()
    sweep_until(lambda: all_sent(), "every delivery written and sent after the restart")
    sweep_unfinished.delay()
    wait_for(lambda: smtp.handler.recipients().total() >= 30)
    assert_each_exactly_once(smtp, emails)
    assert AlertEvent.objects.get().recipient_count == 30


def test_the_broker_down_when_the_change_commits_the_alert_arrives_once_it_is_back(panjshir, smtp, workers, broker):
    subscribe("panjshir@example.org", panjshir["AF08"])
    workers()

    point_celery_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    change = change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    assert change is not None  # the change itself is recorded; only the enqueue failed
    assert AlertEvent.objects.get().state == AlertEvent.State.PENDING
    point_celery_at(broker)

    sweep_until(lambda: all_sent(), "the alert sent after the broker is back")
    sweep_unfinished.delay()
    sweep_unfinished.delay()
    wait_for(lambda: AlertEvent.objects.get().state == AlertEvent.State.FANNED_OUT)
    assert_each_exactly_once(smtp, ["panjshir@example.org"])


def test_an_smtp_server_answering_451_to_a_third_of_the_messages_gets_them_all_once(panjshir, smtp, workers):
    emails = [s.email for s in followers(15, panjshir["AF"])]
    # Message-IDs are <alert.{delivery id}@…>: every third delivery is deferred the first time.
    smtp.handler.defer_first = lambda message_id: int(message_id.split(".")[1].split("@")[0]) % 3 == 0
    workers()
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)

    wait_for(lambda: all_sent(), message="every delivery sent despite the deferrals")
    assert_each_exactly_once(smtp, emails)
    deferred = [mid for mid, offers in smtp.handler.offers.items() if offers > 1]
    assert len(deferred) == 5
    assert AlertDelivery.objects.filter(attempts=2).count() == 5


def test_two_workers_racing_for_the_same_deliveries_send_each_once(panjshir, smtp, workers):
    emails = [s.email for s in followers(40, panjshir["AF"])]
    smtp.handler.rcpt_delay = 0.02
    workers("one")
    workers("two")
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)

    wait_for(lambda: AlertEvent.objects.filter(state=AlertEvent.State.FANNED_OUT).exists())
    # Every batch offered three times over, as a redelivery after a lost acknowledgement would.
    ids = list(AlertDelivery.objects.order_by("pk").values_list("pk", flat=True))
    for _ in range(3):
        for start in range(0, len(ids), 5):
            send_delivery_batch.delay(ids[start : start + 5])
        sweep_unfinished.delay()

    wait_for(lambda: all_sent(), message="every delivery sent")
    wait_for(lambda: smtp.handler.recipients().total() >= 40)
    assert_each_exactly_once(smtp, emails)


def test_a_flood_through_the_worker_is_one_alert_then_one_follow_up(panjshir, smtp, workers):
    subscribe("panjshir@example.org", panjshir["AF"])
    workers(ALERTS_FLOOD_WINDOW_SECONDS=3)
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE, reason="First")
    wait_for(lambda: len(smtp.handler.received()) == 1, message="the first alert")
    # Improvements wait for the follow-up (a worsening would go at once: tests/access/alerts/test_worsening.py).
    change_status(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED, reason="Second")
    change_status(panjshir["AF08"], AccessStatus.CONSTRAINED, reason="Third")

    # The follow-up is a task due when the window closes (an ETA on the broker), not a sweep.
    wait_for(lambda: len(smtp.handler.received()) == 2, message="the follow-up")
    wait_for(lambda: not AlertDelivery.objects.exclude(status=DeliveryStatus.SENT).exists())
    first, follow_up = (message for _, message in smtp.handler.received())
    assert "First" in first.get_body(("plain",)).get_content()
    text = follow_up.get_body(("plain",)).get_content()
    assert follow_up["Subject"].strip().startswith("[humtrack] 2 more changes")
    assert "Second" in text and "Third" in text and "First" not in text
