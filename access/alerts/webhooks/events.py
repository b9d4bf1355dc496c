"""The webhook outbox: a WebhookEvent written in the transaction of the change it announces.

Like the email outbox (access/alerts/outbox.py): the event commits or rolls back with the change, and
on commit a worker is woken (enqueue.wake_webhook_delivery); if the broker is down the event waits for
beat's periodic run of the same task. The payload is built now, inside the change's transaction, so it
is the record as the API showed it right after the change (payloads.py), whatever follows.

Every event is written, whether or not an endpoint wants its type today: a backfill ("every event
since T", for an endpoint registered or re-enabled later) reads this table, so an event skipped because
no one listened would be lost to it. One small INSERT per change (or one per bulk upload) is the price.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from access.alerts import enqueue

from .choices import WebhookEventType
from .models import WebhookEvent

BULK_BATCH_SIZE = 5000


@dataclass(frozen=True)
class Announcement:
    """One event to write: its type, the record as the API shows it, and when it happened."""

    event_type: str
    data: Mapping[str, Any]
    occurred_at: datetime


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as the API writes date-times (DRF's DateTimeField)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _event(announcement: Announcement) -> WebhookEvent:
    if announcement.event_type not in WebhookEventType.values:
        raise ValueError(f"Unknown webhook event type {announcement.event_type!r}")
    return WebhookEvent(
        event_type=announcement.event_type,
        occurred_at=announcement.occurred_at,
        payload={
            "type": announcement.event_type,
            "timestamp": iso_utc(announcement.occurred_at),
            "data": dict(announcement.data),
        },
    )


def record_webhook_event(
    *, event_type: str, data: Mapping[str, Any], occurred_at: datetime | None = None
) -> WebhookEvent:
    """Call inside the change's transaction, after the record is saved as the API will show it."""
    event = _event(Announcement(event_type, data, occurred_at or timezone.now()))
    event.save()
    transaction.on_commit(enqueue.wake_webhook_delivery)
    return event


def record_webhook_events(announcements: Iterable[Announcement]) -> int:
    """Many events at once (a bulk upload's created and updated figures); how many were written."""
    events = [_event(announcement) for announcement in announcements]
    if not events:
        return 0
    if connection.vendor == "postgresql" and len(events) > 1:
        _copy(events)
    else:
        WebhookEvent.objects.bulk_create(events, batch_size=BULK_BATCH_SIZE)
    transaction.on_commit(enqueue.wake_webhook_delivery)
    return len(events)


def _copy(events: list[WebhookEvent]) -> None:
    """PostgreSQL's COPY: Django's bulk INSERT sends each column as an array, and escaping 10,000 JSON
    payloads into an array literal took longer than the bulk upload that announced them."""
    columns = ", ".join(connection.ops.quote_name(name) for name in ("event_type", "occurred_at", "payload"))
    statement = f"COPY {connection.ops.quote_name(WebhookEvent._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for event in events:
            copy.write_row((event.event_type, event.occurred_at, orjson.dumps(event.payload).decode()))
