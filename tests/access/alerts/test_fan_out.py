"""The fan-out in chunks (access/alerts/fan_out.py): each chunk is sendable once it commits, and
a fan-out cut short between chunks, run again, leaves every recipient exactly one delivery."""

import pytest
from django.db import connection
from django.test import override_settings

from access.alerts.fan_out import fan_out
from access.choices import AccessStatus
from access.models import AlertDelivery, AlertEvent
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

    result = fan_out(five_followers.pk, on_committed=on_committed)
    assert [(len(ids), written, in_transaction) for ids, written, in_transaction in seen] == [
        (2, 2, False),
        (2, 4, False),
        (1, 5, False),
    ]
    assert sum((ids for ids, _, _ in seen), []) == result.send_now
    five_followers.refresh_from_db()
    assert (five_followers.state, five_followers.recipient_count) == (AlertEvent.State.FANNED_OUT, 5)


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


def test_the_fan_out_lock_is_released_when_a_fan_out_fails(five_followers):
    def fail(chunk):
        raise ChunkFailed

    with pytest.raises(ChunkFailed):
        fan_out(five_followers.pk, on_committed=fail)
    with connection.cursor() as cursor:
        # This session's own advisory locks: another test run on the same server may hold its own.
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone() == (0,)
