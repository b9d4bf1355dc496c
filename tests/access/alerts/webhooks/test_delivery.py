"""Webhook delivery against a real receiver on loopback that verifies every signature with the
standardwebhooks package: fan-out, at least once with the same webhook-id, retries, timeouts, a receiver
down a while, the backoff schedule, SSRF refused at delivery time."""

import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from access.alerts.webhooks import delivery
from access.alerts.webhooks.choices import WebhookDeliveryStatus
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.models import WebhookDelivery, WebhookEvent
from access.choices import AccessStatus, Confidence
from access.services import change_access_status
from humtrack.actor import Actor
from tests.infrastructure import require_postgresql
from tests.webhooks import Receiver, make_endpoint

pytestmark = pytest.mark.django_db

Status = WebhookDeliveryStatus


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def outage_event(outage_id=7):
    with transaction.atomic():
        return record_webhook_event(event_type="outage.created", data={"id": outage_id, "region": "AF08"})


def run():
    return delivery.deliver_due_webhooks(budget_seconds=30)


def make_due(queryset=None):
    """Move time: every retry scheduled is due now."""
    (queryset or WebhookDelivery.objects.all()).filter(status=Status.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_each_event_reaches_each_endpoint_wanting_it_signed_once_and_is_recorded_delivered(receiver):
    wants_all = make_endpoint(receiver, "/all")
    wants_outages = make_endpoint(receiver, "/outages", event_types=["outage.created"])
    make_endpoint(receiver, "/corridors", event_types=["corridor.status_changed"])
    disabled = make_endpoint(receiver, "/off", active=False)
    outage_event(1)
    with transaction.atomic():
        record_webhook_event(event_type="restriction.created", data={"id": 2})

    assert run() == 3
    assert all(received.verified for received in receiver.received), [r.error for r in receiver.received]
    assert sorted((r.path, r.payload["type"]) for r in receiver.received) == [
        ("/all", "outage.created"), ("/all", "restriction.created"), ("/outages", "outage.created"),
    ]  # fmt: skip
    assert receiver.repeats == {}
    sent = WebhookDelivery.objects.filter(endpoint__in=[wants_all, wants_outages])
    assert set(sent.values_list("status", "attempts", "last_response_code")) == {(Status.DELIVERED, 1, 200)}
    assert set(sent.values_list("message_id", flat=True)) == set(receiver.processed)
    assert all(d.delivered_at and d.last_duration_ms is not None for d in sent)
    # A disabled endpoint's deliveries wait (enabling it sends them); fanned out once, whatever runs again.
    assert list(WebhookDelivery.objects.filter(endpoint=disabled).values_list("status", flat=True)) == [Status.HELD] * 2
    assert run() == 0
    assert WebhookDelivery.objects.count() == 5
    assert not WebhookEvent.objects.filter(fanned_out_at=None).exists()


def test_a_run_with_nothing_to_post_builds_no_http_client(receiver, monkeypatch):
    built = []
    real_client = delivery.client
    monkeypatch.setattr(delivery, "client", lambda: built.append(1) or real_client())
    outage_event(1)  # no endpoint wants it: fanned out to no one

    assert run() == 0
    assert built == []  # loading the CA certificates costs a worker 20 ms; this run had nothing to send

    make_endpoint(receiver)
    outage_event(2)
    assert run() == 1
    assert built == [1] and len(receiver.received) == 1


def test_the_body_is_the_event_as_recorded_by_the_service(receiver, tree, source):
    make_endpoint(receiver)
    change_access_status(
        region=tree["AF08"], status=AccessStatus.CONSTRAINED, reason="Checkpoint closed", source=source,
        confidence=Confidence.CONFIRMED, actor=Actor(),
    )  # fmt: skip
    run()
    [received] = receiver.received
    assert received.verified
    assert received.payload == WebhookEvent.objects.get().payload
    assert received.payload["type"] == "region.status_changed"
    assert received.payload["data"]["status"] == "constrained"


def test_a_500_is_retried_after_its_backoff_with_the_same_webhook_id_then_delivered(receiver):
    answers = iter([500, 200])
    receiver.answer = lambda received: next(answers)
    make_endpoint(receiver)
    outage_event()

    before = timezone.now()
    assert run() == 0
    failed = WebhookDelivery.objects.get()
    assert (failed.status, failed.attempts, failed.last_response_code, failed.last_error) == (
        Status.PENDING, 1, 500, "HTTP 500",
    )  # fmt: skip
    assert before + timedelta(seconds=8) < failed.next_attempt_at < timezone.now() + timedelta(seconds=12)
    assert run() == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1

    make_due()
    assert run() == 1
    assert [r.message_id for r in receiver.received] == [failed.message_id] * 2
    assert list(receiver.processed) == [failed.message_id]
    done = WebhookDelivery.objects.get()
    assert (done.status, done.attempts, done.last_response_code, done.last_error) == (Status.DELIVERED, 2, 200, "")


@override_settings(WEBHOOKS_TIMEOUT_SECONDS=0.3)
def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(receiver):
    receiver.answer = lambda received: time.sleep(1.5) or 200
    make_endpoint(receiver)
    outage_event()

    started = time.monotonic()
    run()
    assert time.monotonic() - started < 1.2
    timed_out = WebhookDelivery.objects.get()
    assert (timed_out.status, timed_out.last_response_code) == (Status.PENDING, None)
    assert timed_out.last_error.startswith("Timed out after 0.3 s")


def test_a_receiver_down_a_while_gets_every_event_once_it_is_back(receiver):
    make_endpoint(receiver)
    receiver.stop()
    for outage_id in range(3):
        outage_event(outage_id)
    run()
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(Status.PENDING, 1)}
    assert "ConnectError" in WebhookDelivery.objects.first().last_error

    make_due()
    run()  # still down: a second failed attempt, a longer wait
    waits = [d.next_attempt_at - d.last_attempt_at for d in WebhookDelivery.objects.all()]
    assert all(timedelta(seconds=17) < wait < timedelta(seconds=23) for wait in waits)

    receiver.start()  # back, on the same port
    make_due()
    assert run() == 3
    assert sorted(payload["data"]["id"] for payload in receiver.processed.values()) == [0, 1, 2]
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(Status.DELIVERED, 3)}


def test_a_redirect_is_not_followed():
    with Receiver(answer=307) as receiver:
        make_endpoint(receiver)
        outage_event()
        run()
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().last_error.startswith("HTTP 307")


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_a_loopback_url_is_refused_at_delivery_time_and_nothing_is_posted(receiver):
    make_endpoint(receiver)  # registered under the laptop's rules; production's refuse it when sending
    outage_event()
    run()
    assert receiver.received == []
    refused = WebhookDelivery.objects.get()
    assert refused.status == Status.PENDING
    assert "https://" in refused.last_error


def test_the_backoff_doubles_to_its_cap_and_gives_up_after_about_a_day():
    delays = [delivery.backoff_seconds(n) for n in range(1, 12)]
    assert delays[:4] == [10, 20, 40, 80]
    assert max(delays) == 3600
    last = next(n for n in range(1, 100) if delivery.gives_up_after(n))
    scheduled = sum(delivery.backoff_seconds(n) for n in range(1, last))
    assert 0.9 * 86400 < scheduled <= 86400
    nominal = delivery.backoff_seconds(5)
    assert all(0.9 * nominal <= delivery.retry_delay(5).total_seconds() <= 1.1 * nominal for _ in range(50))


def test_a_delivery_failing_past_its_retry_window_has_failed(receiver):
    receiver.answer = 503
    make_endpoint(receiver)
    outage_event()
    last = next(n for n in range(1, 100) if delivery.gives_up_after(n))
    delivery.fan_out_events(timezone.now())
    WebhookDelivery.objects.update(attempts=last - 1)
    run()
    failed = WebhookDelivery.objects.get()
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (Status.FAILED, last, None)
    assert failed.last_error == f"Gave up after {last} attempts: HTTP 503"
    make_due()
    run()
    assert len(receiver.received) == 1


def test_a_claimed_delivery_is_sent_by_no_one_else_until_its_lease_expires(receiver):
    make_endpoint(receiver)
    outage_event()
    delivery.fan_out_events(timezone.now())
    token, claimed = delivery.claim_due(timezone.now(), 10)
    assert len(claimed) == 1
    assert delivery.claim_due(timezone.now(), 10) == (None, [])
    assert run() == 0  # the worker holding it is (as far as anyone knows) still sending it

    # Its worker died: past the lease another run sends it, with the same webhook-id.
    WebhookDelivery.objects.update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert run() == 1
    assert list(receiver.processed) == [claimed[0].message_id]
    # The dead worker's late outcome changes nothing: the row is no longer its own.
    delivery.record_outcomes([delivery.Outcome(claimed[0], timezone.now(), 500)], token)
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_a_pending_delivery_of_an_endpoint_disabled_meanwhile_is_not_sent(receiver):
    endpoint = make_endpoint(receiver)
    outage_event()
    delivery.fan_out_events(timezone.now())
    # Disabled while a worker held its delivery: that worker's outcome left it pending, not held.
    endpoint.active = False
    endpoint.save()
    assert run() == 0
    assert receiver.received == []
    assert WebhookDelivery.objects.get().status == Status.PENDING


def test_a_late_outcome_of_a_worker_whose_lease_ran_out_does_not_touch_the_next_workers_claim(receiver):
    make_endpoint(receiver)
    outage_event()
    delivery.fan_out_events(timezone.now())
    first_token, [first] = delivery.claim_due(timezone.now(), 10)
    WebhookDelivery.objects.update(claimed_at=timezone.now() - timedelta(minutes=11))
    second_token, [second] = delivery.claim_due(timezone.now(), 10)
    assert second_token != first_token
    delivery.record_outcomes([delivery.Outcome(first, timezone.now(), 200)], first_token)
    held = WebhookDelivery.objects.get()
    assert (held.status, held.claim_token, held.attempts) == (Status.SENDING, second_token, 2)
    delivery.record_outcomes([delivery.Outcome(second, timezone.now(), 200)], second_token)
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_two_runs_fanning_out_the_same_event_at_once_write_and_send_it_once(receiver):
    make_endpoint(receiver)
    outage_event()
    first = delivery.plan_fan_out(timezone.now(), token=uuid.uuid4(), claim=10)
    second = delivery.plan_fan_out(timezone.now(), token=uuid.uuid4(), claim=10)
    assert [d.message_id for chunk in first.write() for d in chunk] == [WebhookDelivery.objects.get().message_id]
    assert [d for chunk in second.write() for d in chunk] == []  # its row lost to the constraint: not its to send
    assert WebhookDelivery.objects.get().status == Status.SENDING


def test_one_run_fans_out_and_sends_more_events_than_one_round_holds(receiver):
    make_endpoint(receiver)
    with transaction.atomic():
        for outage_id in range(delivery.FAN_OUT_CHUNK + 7):
            record_webhook_event(event_type="outage.created", data={"id": outage_id})
    assert run() == delivery.FAN_OUT_CHUNK + 7
    assert sorted(p["data"]["id"] for p in receiver.processed.values()) == list(range(delivery.FAN_OUT_CHUNK + 7))


@pytest.mark.django_db(transaction=True)  # the heartbeat renews the claim from a thread of its own
@override_settings(WEBHOOKS_LEASE_SECONDS=1)
def test_a_post_slower_than_the_lease_keeps_its_claim_while_its_worker_lives(receiver):
    require_postgresql()
    taken_meanwhile = []

    def slow_answer(received):
        time.sleep(2.5)  # two and a half leases
        taken_meanwhile.append(delivery.claim_due(timezone.now(), 10))  # another worker, meanwhile
        db_connection.close()  # this thread's own connection (the receiver's)
        return 200

    receiver.answer = slow_answer
    make_endpoint(receiver)
    outage_event()
    assert run() == 1
    assert taken_meanwhile == [(None, [])]  # the heartbeat kept the claim
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == Status.DELIVERED
