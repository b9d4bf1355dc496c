"""Marking deliveries sent (access/alerts/marks.py): each mark committed on its own, on PostgreSQL
without the worker waiting for the answer, and an error never lost."""

import os
import socket
import uuid

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from access.alerts.choices import DeliveryStatus
from access.alerts.fan_out import fan_out
from access.alerts.marks import MARK_SENT_SQL, SentMarks
from access.choices import AccessStatus
from access.models import AlertDelivery
from humtrack.ops import metrics
from tests.access.test_alerts_pipeline import change, subscribe
from tests.infrastructure import require_postgresql
from tests.integration.test_alerts_harness import wait_for
from tests.threads import at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def claimed(tree):
    """Three deliveries a worker has claimed with one token, as send_deliveries would."""
    for n in range(3):
        subscribe(f"staff{n}@example.org", tree["AF08"])
    recorded = change(tree["AF08"], AccessStatus.INACCESSIBLE)
    fan_out(recorded.alert_event.pk)
    token = uuid.uuid4()
    AlertDelivery.objects.update(status=DeliveryStatus.SENDING, claim_token=token, claimed_at=timezone.now())
    return token, list(AlertDelivery.objects.order_by("pk").values_list("pk", flat=True))


def test_each_delivery_is_marked_sent_with_its_message_id(claimed):
    token, delivery_ids = claimed
    sent_before = metrics.alerts_sent._value.get()
    with SentMarks(token) as marks:
        for delivery_id in delivery_ids:
            marks.mark(delivery_id, f"<alert.{delivery_id}@example.org>")
    rows = AlertDelivery.objects.order_by("pk").values_list("pk", "status", "message_id")
    assert list(rows) == [(pk, DeliveryStatus.SENT, f"<alert.{pk}@example.org>") for pk in delivery_ids]
    assert AlertDelivery.objects.filter(sent_at__isnull=True).count() == 0
    assert metrics.alerts_sent._value.get() == sent_before + 3


def test_a_mark_only_touches_a_delivery_this_worker_holds(claimed):
    _, delivery_ids = claimed
    with SentMarks(uuid.uuid4()) as marks:  # another worker's token: its claim has been taken over
        marks.mark(delivery_ids[0], "<alert@example.org>")
    assert AlertDelivery.objects.get(pk=delivery_ids[0]).status == DeliveryStatus.SENDING


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0


@pytest.mark.integration
def test_a_mark_commits_even_when_the_worker_dies_before_reading_the_answer(claimed):
    """What a SIGKILL right after a mark leaves: the statement sent, the socket closed behind it."""
    require_postgresql()
    token, delivery_ids = claimed

    def worker(together):
        marks = SentMarks(token).__enter__()
        marks.mark(delivery_ids[0], "<alert@example.org>")
        backend_pid = connection.connection.info.backend_pid
        # The process dies here: the kernel closes its socket after the bytes already written.
        dying = socket.socket(fileno=os.dup(connection.connection.pgconn.socket))
        dying.shutdown(socket.SHUT_RDWR)
        dying.close()
        return [marks.awaiting_answer, backend_pid]

    [[awaiting_answer, backend_pid]] = at_once(worker)
    assert awaiting_answer  # the answer was never read
    # Once the dead worker's database session has ended, whatever it was going to commit is committed.
    wait_for(lambda: not backend_alive(backend_pid), timeout=10, message="the dead worker's session to end")
    assert AlertDelivery.objects.get(pk=delivery_ids[0]).status == DeliveryStatus.SENT


@pytest.mark.integration
def test_a_mark_the_database_refuses_is_raised_before_anything_else_runs(claimed):
    require_postgresql()
    token, delivery_ids = claimed
    marks = SentMarks(token)
    with pytest.raises(DatabaseError, match="Marking a delivery sent failed"):
        with marks:
            marks.mark(delivery_ids[0], "<" + "x" * 300 + ">")  # longer than message_id's 255
            marks.mark(delivery_ids[1], "<alert@example.org>")  # reads the refusal first, and stops
    statuses = AlertDelivery.objects.order_by("pk").values_list("status", flat=True)
    assert list(statuses) == [DeliveryStatus.SENDING] * 3


@pytest.mark.integration
def test_a_mark_commits_without_waiting_for_the_disk_and_leaves_the_session_as_it_was(claimed):
    """synchronous_commit is off for each mark's own transaction, never for the connection: through PgBouncer
    in transaction pooling a session's SET would stay on a PostgreSQL connection other clients get next."""
    require_postgresql()
    token, delivery_ids = claimed

    def synchronous_commit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    before = synchronous_commit()
    assert before != "off"
    with SentMarks(token) as marks:
        marks.mark(delivery_ids[0], "<alert.0@example.org>")
        marks.collect()
        assert synchronous_commit() == before  # between two marks, as any other query of the worker sees it
        marks.mark(delivery_ids[1], "<alert.1@example.org>")
    assert synchronous_commit() == before

    # The statement itself: off within its transaction (the value set_config answers), gone after it.
    params = [DeliveryStatus.SENT.value, timezone.now().isoformat(), "<alert.2@example.org>", str(delivery_ids[2])]
    result = connection.connection.pgconn.exec_params(MARK_SENT_SQL, [v.encode() for v in [*params, str(token)]])
    assert result.get_value(0, 0) == b"off"
    assert synchronous_commit() == before
    assert AlertDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 3
