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


# Read once: the enum's `values` builds a new list at every access (10,000 times in a bulk upload).
EVENT_TYPES = frozenset(WebhookEventType.values)


def _payload(announcement: Announcement, timestamp: str | None = None) -> dict[str, Any]:
    if announcement.event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {announcement.event_type!r}")
    return {
        "type": announcement.event_type,
        "timestamp": timestamp or iso_utc(announcement.occurred_at),
        "data": dict(announcement.data),
    }


def _event(announcement: Announcement) -> WebhookEvent:
    return WebhookEvent(
        event_type=announcement.event_type, occurred_at=announcement.occurred_at, payload=_payload(announcement)
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
    announcements = list(announcements)
    if not announcements:
        return 0
    if connection.vendor == "postgresql" and len(announcements) > 1:
        _copy(announcements)
    else:
        events = [_event(announcement) for announcement in announcements]
        WebhookEvent.objects.bulk_create(events, batch_size=BULK_BATCH_SIZE)
    transaction.on_commit(enqueue.wake_webhook_delivery)
    return len(announcements)


def _copy(announcements: list[Announcement]) -> None:
    """PostgreSQL's COPY: Django's bulk INSERT sends each column as an array, and escaping 10,000 JSON
    payloads into an array literal took longer than the bulk upload that announced them. The rows go
    from the announcements straight to COPY, without a WebhookEvent object each."""
    columns = ", ".join(connection.ops.quote_name(name) for name in ("event_type", "occurred_at", "payload"))
    statement = f"COPY {connection.ops.quote_name(WebhookEvent._meta.db_table)} ({columns}) FROM STDIN"
    timestamps: dict[datetime, str] = {}  # an upload's events share one or a few moments
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for announcement in announcements:
            moment = announcement.occurred_at
            if moment not in timestamps:
                timestamps[moment] = iso_utc(moment)
            payload = orjson.dumps(_payload(announcement, timestamps[moment])).decode()
            copy.write_row((announcement.event_type, moment, payload))
