"""The fan-out in chunks (access/alerts/fan_out.py): each chunk is sendable once it commits, and
a fan-out cut short between chunks, run again, leaves every recipient exactly one delivery."""

import threading
import time

import pytest
from django.db import connection
from django.test import override_settings

from access.alerts.choices import BatchKind
from access.alerts.fan_out import FAN_OUT_LOCK_KEY, _FanOutTurns, fan_out
from access.alerts.subscriptions import unsubscribe
from access.choices import AccessStatus
from access.models import AlertDelivery, AlertEvent, Subscription
from tests.access.test_alerts_pipeline import change, subscribe
from tests.infrastructure import require_postgresql

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


class ChunkFailed(Exception):
    pass


@pytest.fixture
def five_followers(tree):
    require_postgresql()  # SQLite has no lock that spans commits: there a fan-out is one transaction
    for n in range(5):
        subscribe(f"staff{n}@example.org", tree["AF08"])
    return change(tree["AF08"], AccessStatus.INACCESSIBLE).alert_event


@override_settings(ALERTS_BATCH_SIZE=2)
def test_each_chunk_can_be_sent_as_soon_as_it_commits(five_followers):
    seen = []

    def on_committed(chunk):
        # Committed and out of any transaction: a worker can claim it while the rest is written.
        seen.append((chunk.send_now, AlertDelivery.objects.count(), connection.in_atomic_block))

    def on_committed_and_behind(chunk):
        on_committed(chunk)
        behind.append(chunk.later_chunk)

    behind = []
    result = fan_out(five_followers.pk, on_committed=on_committed_and_behind)
    assert behind == [False, True, True]  # the first chunk's sends go at once, the later ones behind others'
    assert [(len(ids), written, in_transaction) for ids, written, in_transaction in seen] == [
        (2, 2, False),
        (2, 4, False),
        (1, 5, False),
    ]
    assert sum((ids for ids, _, _ in seen), []) == result.send_now
    five_followers.refresh_from_db()
    assert (five_followers.state, five_followers.recipient_count) == (AlertEvent.State.FANNED_OUT, 5)


@override_settings(ALERTS_BATCH_SIZE=2)
def test_the_people_after_the_first_chunk_are_read_once_it_has_committed(five_followers):
    # The first chunk goes out after its own people's reads, not everyone's: so whoever stops following
    # while it is written is read as no longer following, and gets nothing.
    def unsubscribe_the_last_one(chunk):
        if not chunk.later_chunk:
            unsubscribe(subscription_id=Subscription.objects.get(email="staff4@example.org").pk)

    result = fan_out(five_followers.pk, on_committed=unsubscribe_the_last_one)

    assert len(result.send_now) == 4
    per_recipient = AlertDelivery.objects.values_list("subscription__email", flat=True)
    assert sorted(per_recipient) == [f"staff{n}@example.org" for n in range(4)]


@override_settings(ALERTS_BATCH_SIZE=2)
def test_a_fan_out_cut_short_between_chunks_writes_only_what_is_missing_when_run_again(five_followers):
    def die_after_the_first_chunk(chunk):
        raise ChunkFailed

    with pytest.raises(ChunkFailed):
        fan_out(five_followers.pk, on_committed=die_after_the_first_chunk)
    five_followers.refresh_from_db()
    assert five_followers.state == AlertEvent.State.PENDING  # the sweep will enqueue it again
    first_chunk = list(AlertDelivery.objects.values_list("pk", flat=True))
    assert len(first_chunk) == 2

    result = fan_out(five_followers.pk)
    assert len(result.send_now) == 3 and not set(result.send_now) & set(first_chunk)
    per_recipient = AlertDelivery.objects.values_list("subscription__email", flat=True)
    assert sorted(per_recipient) == [f"staff{n}@example.org" for n in range(5)]
    five_followers.refresh_from_db()
    assert (five_followers.state, five_followers.recipient_count) == (AlertEvent.State.FANNED_OUT, 5)


def fan_out_lock_taken() -> bool:
    """Whether any session of this test database holds the fan-out lock (another test run on the same
    server may hold its own, in its own database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [FAN_OUT_LOCK_KEY & 0xFFFFFFFF],  # a bigint key shows as classid (high half) and objid (low half)
        )
        return cursor.fetchone()[0] > 0


def test_the_fan_out_lock_is_released_when_a_fan_out_fails(five_followers):
    def fail(chunk):
        raise ChunkFailed

    with pytest.raises(ChunkFailed):
        fan_out(five_followers.pk, on_committed=fail)
    assert not fan_out_lock_taken()


def test_the_fan_out_lock_is_held_by_a_transaction_of_its_own_not_the_workers_session(five_followers):
    """Through PgBouncer in transaction pooling the worker's session is not its own between commits: the
    lock is held by a transaction kept open on another connection, and nothing stays on the worker's."""
    with _FanOutTurns() as turns, turns.turn():
        assert fan_out_lock_taken()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            assert cursor.fetchone() == (0,)
            # Taken: a second fan-out would wait (and, polling, holds no connection meanwhile).
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FAN_OUT_LOCK_KEY])
            assert cursor.fetchone() == (False,)
    assert not fan_out_lock_taken()


def test_a_second_fan_out_waits_for_the_first(five_followers):
    order = []

    def second():
        with _FanOutTurns() as turns, turns.turn():
            order.append("second")
        connection.close()

    with _FanOutTurns() as turns, turns.turn():
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.3)  # long enough for the second to have tried, and found the lock taken
        order.append("first")
    waiting.join(timeout=10)
    assert order == ["first", "second"]


@override_settings(ALERTS_BATCH_SIZE=2)
def test_a_change_to_a_few_people_takes_its_turn_between_another_fan_outs_chunks(tree, five_followers):
    """Turns are chunks, granted in the order asked: a small fan-out waits for one chunk of a large one,
    not for all of it (commit to first email while a fan-out of thousands runs, issue 17 §3)."""
    subscribe("one@example.org", tree["AF0305"])
    small = change(tree["AF0305"], AccessStatus.CONSTRAINED).alert_event
    order = []

    def small_fan_out():
        fan_out(small.pk, on_committed=lambda chunk: order.append("small"))
        connection.close()

    waiting = threading.Thread(target=small_fan_out)

    def on_committed(chunk):
        order.append("large")
        if len(order) == 1:  # in the large fan-out's first turn: the small one asks for its turn now
            waiting.start()
            time.sleep(0.3)

    fan_out(five_followers.pk, on_committed=on_committed)
    waiting.join(timeout=10)
    assert sorted(order) == ["large", "large", "large", "small"]
    assert order[-1] == "large", order  # not behind the whole of the large one


@override_settings(ALERTS_BATCH_SIZE=2)
def test_two_runs_of_one_event_at_once_leave_each_recipient_one_delivery(five_followers):
    """The sweep may run an event again while its first run is still going: each chunk leaves out who
    has a delivery of the event already, read in its turn."""
    errors = []

    def run_again():
        try:
            fan_out(five_followers.pk)
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    again = threading.Thread(target=run_again)

    def on_committed(chunk):
        if not again.is_alive() and again.ident is None:  # after the first chunk, the second run begins
            again.start()
            time.sleep(0.3)

    fan_out(five_followers.pk, on_committed=on_committed)
    again.join(timeout=10)
    assert errors == []
    per_recipient = AlertDelivery.objects.values_list("subscription__email", flat=True)
    assert sorted(per_recipient) == [f"staff{n}@example.org" for n in range(5)]


@override_settings(ALERTS_BATCH_SIZE=2, ALERTS_FLOOD_WINDOW_SECONDS=3600)
def test_two_fan_outs_to_the_same_people_at_once_alert_each_person_once_now(tree, five_followers):
    """A turn reads again what flood control decides on when another fan-out wrote to its people since
    this one's last turn: each person gets one alert now, the other change waits for their follow-up."""
    improvement = change(tree["AF08"], AccessStatus.CONSTRAINED).alert_event  # no worsening jumps the queue

    def second_fan_out():
        fan_out(improvement.pk)
        connection.close()

    second = threading.Thread(target=second_fan_out)

    def on_committed(chunk):
        if second.ident is None:  # in the first fan-out's first turn: the second asks for its turn now
            second.start()
            time.sleep(0.3)

    fan_out(five_followers.pk, on_committed=on_committed)
    second.join(timeout=10)
    alerted_now = AlertDelivery.objects.filter(batch_kind=BatchKind.NONE).values_list("subscription__email", flat=True)
    assert sorted(alerted_now) == [f"staff{n}@example.org" for n in range(5)]
    assert AlertDelivery.objects.filter(batch_kind=BatchKind.FOLLOW_UP).count() == 5
