"""Marking each delivery sent, right after the SMTP server accepted it, at the lowest cost per email.

The mark is one UPDATE per email, committed at once: a worker killed later must not send it again.
Waiting for the database's answer to each one took about a third of a worker's time per email, so on
PostgreSQL the mark is sent without waiting: the UPDATE (with its Sync, so it commits on its own) is
written to the database socket and flushed, the worker goes on with the next message's envelope while
the database commits it, and the answer is read before the next mark or any other query on the
connection (collect()).

Why this keeps "a killed worker resends at most the one message in flight": the UPDATE has left the
worker before the next message starts. Killed after that, the worker's socket is closed behind the
bytes already sent; the database reads the whole statement, commits it, and only then finds no one to
answer. What can cost a second copy is a database error on the mark itself (say, its connection
dropped): it is raised at the next collect(), once the next message has gone too, and both stay
`sending` until the sweep sends them again, on the side we already err on (see sending.py).

On SQLite (`make run`'s default) the mark is an ordinary UPDATE, answered before the next email.
"""

import select
import uuid

from django.db import connection as db_connection
from django.db import utils as db_utils
from django.db.models import F
from django.utils import timezone

from access.models import AlertDelivery
from humtrack.ops import metrics

from .choices import DeliveryStatus

# Written out once rather than compiled by the ORM for every email. $n: libpq's own placeholders.
# The commit of the row it wrote need not wait for the disk (see SentMarks): set_config(..., true) is
# SET LOCAL, for the statement's own transaction only. Never a session's SET: through PgBouncer in
# transaction pooling the next transaction runs on another PostgreSQL connection, and the setting
# would stay behind on this one for whichever client gets it next.
MARK_SENT_SQL = (
    f"UPDATE {AlertDelivery._meta.db_table} SET status = $1, sent_at = $2, message_id = $3, last_error = ''"  # noqa: S608  (our own table name; values are parameters)
    ", attempts = attempts + 1 WHERE id = $4 AND claim_token = $5"
    " RETURNING set_config('synchronous_commit', 'off', true)"
).encode()


def mark_sent(delivery_ids: list[int], token: uuid.UUID, message_id: str) -> None:
    """Mark deliveries sent, waiting for the answer: the ones a follow-up or digest email carried together."""
    AlertDelivery.objects.filter(pk__in=delivery_ids, claim_token=token).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        message_id=message_id,
        last_error="",
        attempts=F("attempts") + 1,  # attempts count offers: this one was accepted
    )
    metrics.alerts_sent.inc(len(delivery_ids))


class SentMarks:
    """Marks one batch's deliveries sent, each in its own commit; use as a context manager around the batch.

    On PostgreSQL a mark's commit does not wait for the write-ahead log to reach the disk
    (synchronous_commit off, for that one transaction: MARK_SENT_SQL): a commit that waits takes several
    milliseconds, longer than sending the email. A crash of the database server itself within that
    moment would lose the mark, and the delivery would be sent again: the same side we err on.
    """

    def __init__(self, token: uuid.UUID):
        self.token = token
        self.deferred = db_connection.vendor == "postgresql"
        self.awaiting_answer = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.collect()

    def mark(self, delivery_id: int, message_id: str) -> None:
        """Mark one delivery sent. On PostgreSQL, returns once the UPDATE has left for the database."""
        self.collect()
        if not self.deferred:
            mark_sent([delivery_id], self.token, message_id)
            return
        db_connection.ensure_connection()
        params = [DeliveryStatus.SENT.value, timezone.now().isoformat(), message_id, str(delivery_id), str(self.token)]
        with db_connection.wrap_database_errors:
            pgconn = db_connection.connection.pgconn
            pgconn.send_query_params(MARK_SENT_SQL, [value.encode() for value in params])
            self.awaiting_answer = True
            # The connection is non-blocking: flush() answers 1 while some of the statement is still unsent.
            while pgconn.flush():
                select.select([pgconn.socket], [pgconn.socket], [])

    def collect(self) -> None:
        """Read the answer to the last mark; raise if the database refused it. Call before any other query."""
        if not self.awaiting_answer:
            return
        self.awaiting_answer = False
        errors = []
        with db_connection.wrap_database_errors:
            pgconn = db_connection.connection.pgconn
            pgconn.consume_input()
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            while (result := pgconn.get_result()) is not None:
                if result.error_message:
                    errors.append(result.error_message.decode(errors="replace"))
        if errors:
            raise db_utils.DatabaseError(f"Marking a delivery sent failed: {'; '.join(errors)}")
        metrics.alerts_sent.inc()
