"""access/alerts/notices.py: the coordinators' "subscription paused" notice goes through the outbox.

Against real parts: a Redis of the test's own as the broker (killed when the pause commits), an SMTP
server that refuses the dead address and receives the notices.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.test import override_settings
from django.utils import timezone

from access.alerts import enqueue, notices, sending, tasks
from access.alerts.fan_out import fan_out
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence, ConstraintCategory, Severity
from access.models import AccessRestriction, CoordinatorNotice, Subscription
from access.services import change_access_status
from humtrack.actor import SYSTEM
from humtrack.celery import app as celery_app
from tests.factories import SourceFactory, make_coordinator
from tests.infrastructure import RedisServer
from tests.integration.test_alerts_harness import point_celery_at, queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(tmp_path):
    server = RedisServer(tmp_path).start()
    before = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    point_celery_at(server.url)
    try:
        yield server
    finally:
        server.stop()
        enqueue._broker_down_until = 0.0
        point_celery_at(*before)


@pytest.fixture
def coordinators(tree):
    return [
        make_coordinator(tree["AF08"], username="panjshir-coordinator"),
        make_coordinator(tree["AF"], username="country-coordinator"),  # AF08 is under AF: told as well
    ]


def paused_after_a_bounce(tree, smtp, django_capture_on_commit_callbacks) -> Subscription:
    """A subscription whose address the mail server refuses, paused by its first failure, as the worker
    sending it would (the pause's commit runs its on-commit callbacks: the publish)."""
    make_coordinator(tree["AF03"], username="parwan-coordinator")  # not this subscription's regions
    dead = create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email="dead@example.org")
    smtp.handler.refuse = {"dead@example.org"}
    recorded = change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Road closed at the valley entrance",
        source=SourceFactory(),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
    )
    with override_settings(ALERTS_PAUSE_AFTER_FAILURES=1), django_capture_on_commit_callbacks(execute=True):
        sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)
    dead.refresh_from_db()
    assert dead.paused_at is not None
    return dead


def told(smtp) -> list[str]:
    paused = [rcpts for rcpts, message in smtp.handler.received() if "paused" in message["Subject"]]
    return sorted(rcpt for rcpts in paused for rcpt in rcpts)


def run_queued_pause_notices(broker) -> None:
    """What a worker would do with the queued notify_coordinators_of_pause messages."""
    for args in queued_tasks(broker.url, enqueue.NOTIFY_COORDINATORS_OF_PAUSE):
        tasks.notify_coordinators_of_pause(*args)


def test_a_pause_while_the_broker_is_down_leaves_its_notices_pending_and_the_sweep_sends_each_once(
    tree, coordinators, smtp, broker, django_capture_on_commit_callbacks, settings
):
    broker.kill()
    dead = paused_after_a_bounce(tree, smtp, django_capture_on_commit_callbacks)

    key = notices.pause_notice_key(dead)
    pending = CoordinatorNotice.objects.filter(key=key, sent_at__isnull=True)
    assert sorted(pending.values_list("user__username", flat=True)) == ["country-coordinator", "panjshir-coordinator"]
    assert told(smtp) == []

    broker.start()  # back, empty: the publish at the pause's commit is lost
    settings.ALERTS_SWEEP_AFTER_SECONDS = 0
    tasks.sweep_unfinished()
    tasks.sweep_unfinished()  # twice: two messages, still one email each
    assert queued_tasks(broker.url, enqueue.NOTIFY_COORDINATORS_OF_PAUSE) == [[dead.pk], [dead.pk]]
    run_queued_pause_notices(broker)

    assert told(smtp) == sorted(user.email for user in coordinators)
    assert not pending.exists()
    assert notices.pending_pause_notices(before=timezone.now()) == []


def test_the_task_sends_each_pending_notice_once_and_marks_it_before_closing_the_connection(
    tree, coordinators, smtp, broker, django_capture_on_commit_callbacks
):
    dead = paused_after_a_bounce(tree, smtp, django_capture_on_commit_callbacks)
    key = notices.pause_notice_key(dead)
    unmarked_at_quit = []
    close = EmailBackend.close

    def close_noting_unmarked(backend):
        unmarked_at_quit.append(CoordinatorNotice.objects.filter(key=key, sent_at__isnull=True).count())
        close(backend)

    with mock.patch.object(EmailBackend, "close", close_noting_unmarked):
        assert notices.notify_coordinators_of_pause(dead.pk) == 2
        assert notices.notify_coordinators_of_pause(dead.pk) == 0  # run twice: nothing more

    assert told(smtp) == sorted(user.email for user in coordinators)
    assert unmarked_at_quit[0] == 0  # every notice marked before the connection's QUIT
    assert CoordinatorNotice.objects.filter(key=key, sent_at__isnull=False).count() == 2


def test_notices_of_a_pause_since_resumed_are_not_swept_again(
    tree, coordinators, smtp, broker, django_capture_on_commit_callbacks
):
    dead = paused_after_a_bounce(tree, smtp, django_capture_on_commit_callbacks)
    broker.kill()
    with django_capture_on_commit_callbacks(execute=True):
        notices.record_pause_notices(dead)  # the broker down: pending
    later = CoordinatorNotice.objects.latest("created_at").created_at + timedelta(seconds=1)
    assert notices.pending_pause_notices(before=later) == [dead.pk]
    Subscription.objects.filter(pk=dead.pk).update(paused_at=None)  # a coordinator resumed it
    assert notices.pending_pause_notices(before=later) == []


def test_staleness_notices_are_marked_before_the_connections_quit(tree, smtp):
    make_coordinator(tree["AF08"], username="panjshir-coordinator")
    make_coordinator(tree["AF03"], username="parwan-coordinator")
    for region in (tree["AF08"], tree["AF03"]):  # only reported: stale for their coordinators
        change_access_status(
            region=region, status=AccessStatus.CONSTRAINED, reason="Checkpoint", source=SourceFactory(),
            confidence=Confidence.REPORTED, actor=SYSTEM, silent=True,
        )  # fmt: skip
    unmarked_at_quit = []
    close = EmailBackend.close

    def close_noting_unmarked(backend):
        if backend.connection is not None:
            unmarked_at_quit.append(CoordinatorNotice.objects.filter(sent_at__isnull=True).count())
        close(backend)

    with mock.patch.object(EmailBackend, "close", close_noting_unmarked):
        assert notices.send_staleness_notices() == 2
    assert len(smtp.handler.received()) == 2
    assert unmarked_at_quit == [0]  # one connection; both notices marked before its QUIT


def body_text(message) -> str:
    """The plain-text part of a received email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def test_the_staleness_notice_lists_the_regions_flagged_for_review_this_month(tree, smtp):
    """Panjsher's status is confirmed today (not stale), but it says "accessible" while this month's
    evidence computes extreme constraints in Shutul: its coordinator hears of both regions."""
    coordinator = make_coordinator(tree["AF08"], username="panjshir-coordinator")
    source = SourceFactory()
    now = timezone.now()
    change_access_status(
        region=tree["AF08"], status=AccessStatus.ACCESSIBLE, reason="Roads open", source=source,
        confidence=Confidence.CONFIRMED, actor=SYSTEM, silent=True,
    )  # fmt: skip
    assert notices.send_staleness_notices() == 0  # nothing stale, nothing flagged: no email

    AccessRestriction.objects.create(
        region=tree["AF0806"], category=ConstraintCategory.HOSTILITIES, severity=Severity.EXTREME,
        starts_at=now.replace(day=1, hour=0, minute=0, second=0, microsecond=0), source=source,
        confidence=Confidence.REPORTED,
    )  # fmt: skip
    CoordinatorNotice.objects.all().delete()  # a new day's run
    assert notices.send_staleness_notices() == 1
    [(recipients, message)] = smtp.handler.received()
    assert recipients == [coordinator.email]
    assert message["Subject"].endswith("2 regions flagged for review")
    text = body_text(message)
    assert "Panjsher (AF08): computed Extreme constraints, status Accessible" in text
    assert "Shutul (AF0806): computed Extreme constraints, status Accessible" in text
    assert "no confirmed status update" not in text
