"""The alert pipeline's rules, step by step in one process: outbox, recipients, flood control, the hourly
cap, failures, pausing, digests, staleness. The SMTP server is a real aiosmtpd on loopback where a
failure matters; tests/integration/test_alerts_pipeline.py runs the same pipeline through Celery workers.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from access.alerts import notices, sending
from access.alerts.choices import AlertMode, AlertTrigger, BatchKind, DeliveryStatus
from access.alerts.enqueue import enqueue_event
from access.alerts.fan_out import fan_out, next_digest_at
from access.alerts.recipients import subscriptions_for_status_change
from access.alerts.subscriptions import create_subscription, unsubscribe
from access.alerts.sweep import find_unfinished, retry_failed_deliveries
from access.choices import AccessStatus, Confidence, CorridorStatus
from access.models import AlertDelivery, AlertEvent, CoordinatorNotice, Subscription
from access.services import change_access_status, change_corridor_status, create_corridor
from humtrack.actor import SYSTEM
from humtrack.ops import metrics
from tests.factories import SourceFactory, make_coordinator
from tests.infrastructure import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def panjshir(tree):
    change(tree["AF08"], AccessStatus.CONSTRAINED, silent=True)
    return tree


def change(region, status, **kwargs):
    return change_access_status(
        region=region,
        status=status,
        reason=kwargs.pop("reason", "Road closed at the valley entrance"),
        source=SourceFactory(),
        confidence=kwargs.pop("confidence", Confidence.CONFIRMED),
        actor=SYSTEM,
        **kwargs,
    )


def subscribe(email, *regions, **fields):
    return create_subscription(actor=SYSTEM, regions=list(regions), email=email, **fields)


def deliver(region, status, **kwargs):
    """A change, fanned out and its immediate emails sent, as the worker would."""
    recorded = change(region, status, **kwargs)
    result = fan_out(recorded.alert_event.pk)
    sending.send_deliveries(result.send_now)
    return recorded


def later(seconds):
    """The pipeline's clock, moved forward."""
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=seconds))


def subjects(outbox):
    return [message.subject for message in outbox]


# --- The outbox ---------------------------------------------------------------------------------------


def test_a_change_writes_one_alert_event_with_it(panjshir):
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    assert AlertEvent.objects.get().status_change == recorded


def test_a_no_op_a_silent_change_and_a_rolled_back_change_write_no_event(panjshir):
    assert change(panjshir["AF08"], AccessStatus.CONSTRAINED) is None
    silent = change(panjshir["AF08"], AccessStatus.INACCESSIBLE, silent=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        change(panjshir["AF08"], AccessStatus.ACCESSIBLE)
        raise RuntimeError("rolled back")
    assert silent.silent
    assert AlertEvent.objects.count() == 0


def test_the_event_is_enqueued_only_when_the_transaction_commits(panjshir, django_capture_on_commit_callbacks):
    with (
        mock.patch("access.alerts.enqueue.enqueue_event") as enqueue,
        mock.patch("access.alerts.enqueue.wake_webhook_delivery") as wake_webhooks,
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
                assert enqueue.call_count == wake_webhooks.call_count == 0
    assert len(callbacks) == 2  # the alert's enqueue, and the webhook worker's wake (its own outbox)
    enqueue.assert_called_once_with(AlertEvent.objects.get().pk)
    wake_webhooks.assert_called_once_with()


def test_an_unreachable_broker_at_commit_leaves_the_event_for_the_sweep(panjshir):
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    with mock.patch("access.alerts.enqueue.celery_app.send_task", side_effect=OSError("Connection refused")):
        assert enqueue_event(recorded.alert_event.pk) is False
    with later(3600):
        assert find_unfinished(timezone.now() + timedelta(hours=1)).events == [recorded.alert_event.pk]


def test_a_corridor_change_alerts_followers_of_the_regions_it_passes_through(tree):
    source = SourceFactory()
    corridor = create_corridor(
        actor=SYSTEM,
        regions=[tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.OPEN,
        source=source,
        confidence=Confidence.CONFIRMED,
        name="Jabal Saraj – Bazarak",
    )
    subscribe("bazarak@example.org", tree["AF0801"])
    subscribe("no-corridors@example.org", tree["AF0801"], include_corridors=False)
    subscribe("parwan@example.org", tree["AF03"])
    subscribe("shutul@example.org", tree["AF0806"])
    recorded = change_corridor_status(
        corridor=corridor,
        status=CorridorStatus.CLOSED,
        reason="Closed by the de facto authorities",
        source=source,
        confidence=Confidence.REPORTED,
        actor=SYSTEM,
    )
    sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)
    assert sorted(m.to[0] for m in mail.outbox) == ["bazarak@example.org", "parwan@example.org"]
    assert mail.outbox[0].subject == "[humtrack] Corridor Jabal Saraj – Bazarak: open → closed"
    assert mail.outbox[0].extra_headers["References"] == f"<corridor.{corridor.pk}@humtrack.localhost>"


# --- Who is told --------------------------------------------------------------------------------------


def test_recipients_are_the_followers_of_the_region_and_of_its_ancestors_with_descendants(panjshir):
    subscribe("country@example.org", panjshir["AF"])
    subscribe("province@example.org", panjshir["AF08"])
    subscribe("district@example.org", panjshir["AF0806"])
    subscribe("country-only@example.org", panjshir["AF"], include_descendants=False)
    subscribe("parwan@example.org", panjshir["AF03"])
    recorded = change(panjshir["AF0806"], AccessStatus.INACCESSIBLE)
    emails = sorted(subscriptions_for_status_change(recorded).values_list("email", flat=True))
    assert emails == ["country@example.org", "district@example.org", "province@example.org"]


@pytest.mark.parametrize(
    "from_status,to_status,told",
    [
        ("constrained", "inaccessible", {"any", "worsening", "crossing-severe"}),
        ("inaccessible", "constrained", {"any"}),
        ("unknown", "severely_constrained", {"any", "crossing-severe"}),
        ("accessible", "constrained", {"any", "worsening"}),
    ],
)
def test_the_trigger_decides_which_changes_alert(tree, from_status, to_status, told):
    if from_status != "unknown":
        change(tree["AF08"], from_status, silent=True)
    subscribe("any@example.org", tree["AF08"])
    subscribe("worsening@example.org", tree["AF08"], trigger=AlertTrigger.WORSENING)
    subscribe(
        "crossing-severe@example.org",
        tree["AF08"],
        trigger=AlertTrigger.CROSSING,
        threshold_status="severely_constrained",
    )
    recorded = change(tree["AF08"], to_status)
    emails = subscriptions_for_status_change(recorded).values_list("email", flat=True)
    assert {email.split("@")[0] for email in emails} == told


# --- Flood control and the hourly cap ----------------------------------------------------------------


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=600)
def test_a_flood_is_the_first_alert_then_one_follow_up_listing_the_rest(panjshir):
    # Improvements and back-and-forth wait; a worsening would not (tests/access/alerts/test_worsening.py).
    subscription = subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED, reason="Second change")
    deliver(panjshir["AF0801"], AccessStatus.SEVERELY_CONSTRAINED, reason="Third change")
    assert subjects(mail.outbox) == ["[humtrack] Panjsher (AF08): constrained → inaccessible"]

    assert sending.send_batch(subscription.pk, BatchKind.FOLLOW_UP) is False  # not yet due
    assert len(mail.outbox) == 1
    with later(601):
        due = find_unfinished(timezone.now()).batches
        assert due == [(subscription.pk, BatchKind.FOLLOW_UP)]
        assert sending.send_batch(subscription.pk, BatchKind.FOLLOW_UP) is True
        assert sending.send_batch(subscription.pk, BatchKind.FOLLOW_UP) is False  # twice: still one email

    assert len(mail.outbox) == 2
    follow_up = mail.outbox[1]
    # Bazarak had no record of its own: it showed Panjsher's severely constrained, and now records the same.
    assert follow_up.subject == (
        "[humtrack] 2 more changes: Bazarak (AF0801): severely constrained, now its own record"
        " (before: inherited from Panjsher (AF08))"
    )
    assert "Second change" in follow_up.body and "Third change" in follow_up.body
    assert (
        follow_up.extra_headers["References"] == "<region.AF08@humtrack.localhost> <region.AF0801@humtrack.localhost>"
    )
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=0, ALERTS_HOURLY_CAP=2)
def test_past_the_hourly_cap_changes_wait_for_one_email_when_the_hour_is_over(panjshir):
    subscription = subscribe("panjshir@example.org", panjshir["AF08"])
    for status in ["severely_constrained", "inaccessible", "constrained", "accessible"]:
        deliver(panjshir["AF08"], status)
    assert len(mail.outbox) == 2
    waiting = AlertDelivery.objects.filter(status=DeliveryStatus.BATCHED)
    assert waiting.count() == 2
    first = AlertDelivery.objects.filter(batch_kind=BatchKind.NONE).order_by("created_at").first()
    assert set(waiting.values_list("send_after", flat=True)) == {first.created_at + timedelta(hours=1)}
    with later(3601):
        sending.send_batch(subscription.pk, BatchKind.FOLLOW_UP)
    assert len(mail.outbox) == 3
    assert mail.outbox[2].subject.startswith("[humtrack] 2 more changes")


def test_digest_subscribers_get_one_email_a_day_listing_the_changes(panjshir):
    subscription = subscribe("digest@example.org", panjshir["AF"], mode=AlertMode.DIGEST)
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    deliver(panjshir["AF0305"], AccessStatus.CONSTRAINED)
    assert mail.outbox == []
    due_at = AlertDelivery.objects.values_list("send_after", flat=True).first()
    assert due_at == next_digest_at(AlertDelivery.objects.first().created_at)
    with later((due_at - timezone.now()).total_seconds() + 1):
        assert find_unfinished(timezone.now()).batches == [(subscription.pk, BatchKind.DIGEST)]
        sending.send_batch(subscription.pk, BatchKind.DIGEST)
    assert subjects(mail.outbox) == ["[humtrack] Daily digest: 2 changes"]
    assert "Panjsher (AF08)" in mail.outbox[0].body and "Jabal Saraj (AF0305)" in mail.outbox[0].body


def test_an_unsubscribed_person_gets_nothing_already_queued(panjshir):
    subscription = subscribe("gone@example.org", panjshir["AF08"])
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    unsubscribe(subscription_id=subscription.pk)
    sending.send_deliveries(result.send_now)
    assert mail.outbox == []
    assert AlertDelivery.objects.get().status == DeliveryStatus.SUPPRESSED


# --- Sending, failures, pausing ----------------------------------------------------------------------


def test_a_delivery_is_sent_once_however_often_it_is_offered(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    assert fan_out(recorded.alert_event.pk).send_now == []  # a second fan-out does nothing
    for _ in range(3):
        sending.send_deliveries(result.send_now)
    assert len(mail.outbox) == 1


def test_a_claimed_delivery_is_not_sent_again_until_its_lease_expires(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    # A worker claimed it and died before marking it sent.
    AlertDelivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=timezone.now())
    sending.send_deliveries(result.send_now)
    assert mail.outbox == []
    with later(601):
        assert find_unfinished(timezone.now()).deliveries == result.send_now
        sending.send_deliveries(result.send_now)
    assert len(mail.outbox) == 1


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=0, ALERTS_RETRY_BACKOFF_SECONDS=30)
def test_an_smtp_451_is_retried_with_backoff_and_sent_once(panjshir, smtp):
    failed_before, sent_before = metrics.alerts_failed._value.get(), metrics.alerts_sent._value.get()
    subscribe("panjshir@example.org", panjshir["AF08"])
    smtp.handler.defer_first = lambda message_id: True
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    outcome = sending.send_deliveries(result.send_now)
    assert (outcome.sent, outcome.failed) == (0, 1)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED_TEMPORARY, 1)
    assert delivery.send_after == delivery.claimed_at + timedelta(seconds=30)
    assert "451" in delivery.last_error
    sending.send_deliveries(result.send_now)  # too early: not claimable yet
    assert find_unfinished(timezone.now()).deliveries == []
    assert smtp.handler.received() == []
    with later(31):
        assert find_unfinished(timezone.now()).deliveries == result.send_now  # the sweep sends it when due
        sending.send_deliveries(result.send_now)
    assert smtp.handler.recipients() == {"panjshir@example.org": 1}
    assert (AlertDelivery.objects.get().status, AlertDelivery.objects.get().attempts) == (DeliveryStatus.SENT, 2)
    # What /metrics reports as humtrack_alerts_failed_total and humtrack_alerts_sent_total.
    assert metrics.alerts_failed._value.get() == failed_before + 1
    assert metrics.alerts_sent._value.get() == sent_before + 1


def test_a_refused_connection_leaves_the_whole_batch_waiting_on_the_relay_uncharged(panjshir):
    subscribe("one@example.org", panjshir["AF08"])
    subscribe("two@example.org", panjshir["AF08"])
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()
    ):
        outcome = sending.send_deliveries(result.send_now)
    assert (outcome.sent, outcome.failed, outcome.waiting_on_relay) == (0, 0, 2)
    waiting = AlertDelivery.objects.all()
    assert {(d.status, d.attempts) for d in waiting} == {(DeliveryStatus.FAILED_TEMPORARY, 0)}  # never offered
    assert all(d.last_error.startswith("Relay unreachable") for d in waiting)
    assert Subscription.objects.filter(consecutive_failures__gt=0).count() == 0


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=0, ALERTS_PAUSE_AFTER_FAILURES=2)
def test_permanent_failures_are_not_retried_and_pause_the_subscription_and_tell_its_coordinators(
    panjshir, smtp, django_capture_on_commit_callbacks
):
    coordinator = make_coordinator(panjshir["AF08"], username="panjshir-coordinator")
    make_coordinator(panjshir["AF03"], username="parwan-coordinator")  # not this subscription's regions
    dead = subscribe("dead@example.org", panjshir["AF08"])
    subscribe("alive@example.org", panjshir["AF08"])
    smtp.handler.refuse = {"dead@example.org"}

    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    failed = AlertDelivery.objects.get(subscription=dead)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED_PERMANENT, 1)
    assert "550" in failed.last_error
    with later(3600):
        assert failed.pk not in find_unfinished(timezone.now()).deliveries  # never retried
    dead.refresh_from_db()
    assert dead.paused_at is None and dead.consecutive_failures == 1

    with django_capture_on_commit_callbacks() as callbacks:
        deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    dead.refresh_from_db()
    assert dead.paused_at is not None and dead.consecutive_failures == 2
    # The event's enqueue, the webhook worker's wake (the change's webhook event) and the pause notice.
    assert len(callbacks) == 3

    notices.notify_coordinators_of_pause(dead.pk)
    notices.notify_coordinators_of_pause(dead.pk)  # a task run twice still tells them once
    told = [(rcpts, m) for rcpts, m in smtp.handler.received() if "paused" in m["Subject"]]
    assert [rcpts for rcpts, _ in told] == [[coordinator.email]]
    assert "dead@example.org" in told[0][1].get_body(("plain",)).get_content()

    deliver(panjshir["AF08"], AccessStatus.CONSTRAINED)  # paused: no longer a recipient
    assert AlertDelivery.objects.filter(subscription=dead).count() == 2
    assert smtp.handler.recipients()["alive@example.org"] == 3


def test_a_success_resets_the_count_of_consecutive_failures(panjshir):
    subscription = subscribe("flaky@example.org", panjshir["AF08"])
    Subscription.objects.filter(pk=subscription.pk).update(consecutive_failures=2)
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_retry_failed_requeues_failed_deliveries_and_never_a_sent_one(panjshir):
    subscribe("sent@example.org", panjshir["AF08"])
    subscribe("failed@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    AlertDelivery.objects.filter(subscription__email="failed@example.org").update(
        status=DeliveryStatus.FAILED_PERMANENT, attempts=1, last_error="550"
    )
    with mock.patch("access.alerts.enqueue.enqueue_sends") as enqueue, transaction.atomic():
        count = retry_failed_deliveries(AlertDelivery.objects.all())
    assert count == 1
    statuses = dict(AlertDelivery.objects.values_list("subscription__email", "status"))
    assert statuses == {"sent@example.org": DeliveryStatus.SENT, "failed@example.org": DeliveryStatus.PENDING}
    del enqueue


# --- Staleness --------------------------------------------------------------------------------------


def test_coordinators_hear_once_a_day_which_of_their_regions_are_stale(panjshir):
    coordinator = make_coordinator(panjshir["AF08"], username="panjshir-coordinator")
    change(panjshir["AF0801"], AccessStatus.CONSTRAINED, confidence=Confidence.CONFIRMED)  # fresh
    # Shutul's own record is only reported: stale, though Panjsher's above it is confirmed.
    change(panjshir["AF0806"], AccessStatus.CONSTRAINED, confidence=Confidence.REPORTED)
    assert notices.send_staleness_notices() == 1
    assert notices.send_staleness_notices() == 0  # the same day: nothing more
    (notice,) = mail.outbox
    assert notice.to == [coordinator.email]
    # Panjsher's status was confirmed when the tree was set up, Bazarak's just now; Shutul's is its own.
    assert "Shutul (AF0806)" in notice.body
    assert "Panjsher" not in notice.body and "Bazarak" not in notice.body
    assert notice.subject == "[humtrack] 1 region without a confirmed update"
    assert CoordinatorNotice.objects.get().sent_at is not None


# --- Relay faults (issue 15) ---------------------------------------------------------------------------


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=0, ALERTS_PAUSE_AFTER_FAILURES=2)
def test_temporary_failures_however_many_never_pause_an_address(panjshir, smtp):
    subscription = subscribe("busy@example.org", panjshir["AF08"])
    smtp.handler.defer_first = None
    smtp.handler.refuse = set()
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    deferring = mock.patch.object(type(smtp.handler), "handle_DATA", autospec=True, return_value="451 4.7.1 Busy")
    with deferring:
        for seconds in (0, 31, 92, 213, 454, 935):  # each retry when due
            with later(seconds):
                sending.send_deliveries(result.send_now)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED_TEMPORARY, 6)
    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.paused_at) == (0, None)


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=0, ALERTS_RETRY_FOR_SECONDS=86400)
def test_a_relay_down_for_most_of_a_day_is_still_retried_then_given_up_without_pausing_anyone(panjshir):
    subscription = subscribe("far@example.org", panjshir["AF08"])
    recorded = change(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    result = fan_out(recorded.alert_event.pk)
    relay_down = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()
    )
    with relay_down, later(23 * 3600):
        assert sending.send_deliveries(result.send_now).waiting_on_relay == 1
        delivery = AlertDelivery.objects.get()
        assert delivery.status == DeliveryStatus.FAILED_TEMPORARY
        assert delivery.send_after - timezone.now() == timedelta(seconds=1800)  # capped backoff
    with relay_down, later(24 * 3600 + 1):
        sending.send_deliveries(result.send_now)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED_PERMANENT, 0)
    assert "unreachable" in delivery.last_error
    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.paused_at) == (0, None)


def test_a_batch_of_several_events_reads_each_marks_answer_before_rendering_the_next_event(panjshir, smtp):
    """On PostgreSQL a mark is sent without waiting for its answer; rendering a new event's first copy
    queries the same connection, which must read that answer first ("another command is already in
    progress" otherwise: the email failed to build and waited for a retry)."""
    subscribe("one@example.org", panjshir["AF"])
    subscribe("two@example.org", panjshir["AF"])
    change(panjshir["AF03"], AccessStatus.CONSTRAINED, silent=True)  # each email then reads "since when"
    first = fan_out(change(panjshir["AF08"], AccessStatus.INACCESSIBLE).alert_event.pk).send_now
    second = fan_out(change(panjshir["AF03"], AccessStatus.INACCESSIBLE).alert_event.pk).send_now
    outcome = sending.send_deliveries(first + second)
    assert (outcome.sent, outcome.failed) == (4, 0)
    assert set(AlertDelivery.objects.values_list("status", "attempts", "last_error")) == {(DeliveryStatus.SENT, 1, "")}
