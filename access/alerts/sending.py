"""Step 3 of the alert pipeline, sending: claims, one SMTP connection per batch, failures, retries, pausing.

Marking each delivery sent is in marks.py; the emails' content in emails.py. What is left to retry is
returned to the task (tasks.py), which enqueues it (enqueue.py).

A worker claims deliveries with one conditional UPDATE (pending → sending, a fresh token, claimed_at)
and reads back the rows carrying its token: two workers never hold one delivery. It marks each one
sent right after the SMTP server accepted it.

Where a crash can still cost something: between the SMTP server's "250 accepted" and our UPDATE to
`sent` (a few milliseconds per message). The delivery stays `sending`; once its lease expires the sweep
sends it again. We err on that side (at least once, with a resend window of at most one message per
killed worker) because a missed "the road is closed" costs more than a duplicate, and the resend
carries the same Message-ID, which mail clients and archives use to show it once. The other side
(mark sent before sending) would lose that message for good. The lease (ALERTS_LEASE_SECONDS) is longer
than the task time limit, so a live task is always stopped before another may take its deliveries.
"""

import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from access.models import AlertDelivery, AlertEvent, Subscription
from humtrack.actor import SYSTEM
from humtrack.history import stamp
from humtrack.ops import metrics

from . import emails, enqueue, marks, mime
from .choices import BatchKind, DeliveryStatus

logger = logging.getLogger(__name__)

# A retry scheduled with a countdown may fire a moment before its send_after.
CLOCK_TOLERANCE = timedelta(seconds=2)


@dataclass
class SendOutcome:
    sent: int = 0
    # Deliveries to try again, by how many seconds from now.
    retry: dict[int, list[int]] = field(default_factory=dict)


class _ConnectionLost(Exception):
    """The SMTP connection is gone: everything not yet sent in this batch goes back for a retry."""


def backoff_seconds(attempts: int) -> int:
    delay = settings.ALERTS_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return min(delay, settings.ALERTS_RETRY_BACKOFF_MAX_SECONDS)


def smtp_error_code(error: Exception) -> int | None:
    """The SMTP reply code of a failure, None when there was no answer (refused, timed out, dropped)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return min(codes) if codes else None
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    return None


def _is_permanent(error: Exception) -> bool:
    code = smtp_error_code(error)
    return code is not None and code >= 500


def _send_one(mail_connection, message) -> None:
    """Send; raise _ConnectionLost when the connection is unusable, the SMTP error otherwise."""
    try:
        smtp = getattr(mail_connection, "connection", None)
        if isinstance(message, mime.AssembledEmail) and isinstance(smtp, smtplib.SMTP):
            # Django's SMTP backend would parse both addresses again for every copy (pure Python, as
            # costly as sending); the assembled email carries them ready for the envelope.
            with mail_connection._lock:
                smtp.sendmail(message.envelope_from, message.envelope_to, message.raw)
        else:
            mail_connection.send_messages([message])
    except smtplib.SMTPServerDisconnected as error:
        raise _ConnectionLost(str(error)) from error
    except smtplib.SMTPException:
        raise
    except OSError as error:
        raise _ConnectionLost(str(error)) from error


def _claimable(now: datetime) -> Q:
    lease = timedelta(seconds=settings.ALERTS_LEASE_SECONDS)
    return (
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.FAILED_TEMPORARY, send_after__lte=now + CLOCK_TOLERANCE)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease)
    )


def _claim(queryset, now: datetime, claimable: Q) -> uuid.UUID | None:
    """Take the deliveries no one else holds. One conditional UPDATE: atomic on PostgreSQL and SQLite."""
    token = uuid.uuid4()
    claimed = queryset.filter(claimable).update(
        status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )
    return token if claimed else None


def _mark_temporary_failure(deliveries: list[AlertDelivery], token, error: str, outcome: SendOutcome, now) -> None:
    """Back for a retry with exponential backoff; past ALERTS_MAX_ATTEMPTS, a permanent failure."""
    for delivery in deliveries:
        if delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS:
            _mark_permanent_failure([delivery], token, f"Gave up after {delivery.attempts} attempts: {error}")
            continue
        delay = backoff_seconds(delivery.attempts)
        batched = bool(delivery.batch_kind)
        AlertDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
            status=DeliveryStatus.BATCHED if batched else DeliveryStatus.FAILED_TEMPORARY,
            send_after=now + timedelta(seconds=delay),
            last_error=error[:2000],
        )
        metrics.alerts_failed.inc()
        if not batched:
            outcome.retry.setdefault(delay, []).append(delivery.pk)


def _mark_permanent_failure(deliveries: list[AlertDelivery], token, error: str) -> None:
    """Recorded, never retried; the subscription is paused after ALERTS_PAUSE_AFTER_FAILURES in a row."""
    metrics.alerts_failed.inc(len(deliveries))
    subscription_id = deliveries[0].subscription_id
    with transaction.atomic():
        AlertDelivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).update(
            status=DeliveryStatus.FAILED_PERMANENT, last_error=error[:2000]
        )
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        subscription.consecutive_failures += 1
        fields = ["consecutive_failures"]
        if subscription.consecutive_failures >= settings.ALERTS_PAUSE_AFTER_FAILURES and subscription.paused_at is None:
            subscription.paused_at = timezone.now()
            fields += ["paused_at", "updated_at"]
            stamp(subscription, SYSTEM, f"Paused after {subscription.consecutive_failures} failed deliveries")
            transaction.on_commit(partial(enqueue.enqueue_pause_notice, subscription.pk))
        subscription.save(update_fields=fields)


def _suppress(deliveries: list[AlertDelivery], token) -> None:
    AlertDelivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).update(
        status=DeliveryStatus.SUPPRESSED
    )


def _reset_failures(subscription_ids: set[int]) -> None:
    if subscription_ids:
        Subscription.objects.filter(pk__in=subscription_ids, consecutive_failures__gt=0).update(consecutive_failures=0)


def deliveries_with_content(queryset: QuerySet[AlertDelivery]) -> list[AlertDelivery]:
    """Deliveries with everything an email shows, in two queries: the deliveries with their subscriptions,
    then their events with the changes they announce, each event loaded once and shared by its copies.

    (One query joining everything repeated an event's columns on every row: a batch of 200 copies of
    one alert parsed the same change, region, source and people 200 times, a quarter of sending's time.)
    """
    # The regions' parents: an email names a district's province.
    deliveries = list(
        queryset.select_related("subscription", "via_region__parent").order_by("event__created_at", "event_id")
    )
    events = AlertEvent.objects.select_related(
        "status_before_from",
        "status_change__region__parent",
        "status_change__source",
        "status_change__recorded_by",
        "status_change__organisation",
        "corridor_change__corridor__origin",
        "corridor_change__source",
        "corridor_change__recorded_by",
        "corridor_change__organisation",
    ).in_bulk({delivery.event_id for delivery in deliveries})
    for delivery in deliveries:
        delivery.event = events[delivery.event_id]
    return deliveries


def send_deliveries(delivery_ids: list[int]) -> SendOutcome:
    """Send these deliveries' own emails over one SMTP connection; each at most once while it is claimed."""
    now = timezone.now()
    outcome = SendOutcome()
    queryset = AlertDelivery.objects.filter(pk__in=delivery_ids, batch_kind=BatchKind.NONE)
    token = _claim(queryset, now, _claimable(now))
    if token is None:
        return outcome
    claimed = deliveries_with_content(AlertDelivery.objects.filter(claim_token=token))
    _suppress([d for d in claimed if not d.subscription.is_receiving], token)
    to_send = [d for d in claimed if d.subscription.is_receiving]
    if not to_send:
        return outcome
    mail_connection = get_connection(fail_silently=False)
    succeeded = set()
    rendered: emails.Rendered = {}  # what every copy of an event shares, rendered once per batch
    try:
        with marks.SentMarks(token) as sent_marks:
            try:
                mail_connection.open()
                for delivery in to_send:
                    if _send_delivery(delivery, mail_connection, rendered, sent_marks, outcome, now):
                        outcome.sent += 1
                        succeeded.add(delivery.subscription_id)
            except (_ConnectionLost, smtplib.SMTPException, OSError) as error:
                sent_marks.collect()
                _mark_temporary_failure(_unsent(to_send, token), token, repr(error), outcome, now)
    finally:
        try:
            mail_connection.close()
        except Exception:  # closing a dead connection fails too; nothing is left to do with it
            logger.debug("SMTP close failed", exc_info=True)
    _reset_failures(succeeded)
    return outcome


def _send_delivery(delivery, mail_connection, rendered, sent_marks, outcome, now) -> bool:
    """Build and send one delivery's email, and mark it; False when it failed (and was marked so)."""
    token = sent_marks.token
    try:
        message = emails.alert_message(delivery, mail_connection, rendered)
    except Exception as error:  # a bug in one email must not hold up the others; retried, then given up
        logger.exception("Could not build the email of delivery %s", delivery.pk)
        sent_marks.collect()
        _mark_temporary_failure([delivery], token, repr(error), outcome, now)
        return False
    try:
        _send_one(mail_connection, message)
    except _ConnectionLost:
        raise
    except smtplib.SMTPException as error:
        sent_marks.collect()
        if _is_permanent(error):
            _mark_permanent_failure([delivery], token, repr(error))
        else:
            _mark_temporary_failure([delivery], token, repr(error), outcome, now)
        return False
    # Right after the server's 250: the only window for a resend is this one message.
    sent_marks.mark(delivery.pk, message.extra_headers["Message-ID"])
    return True


def _unsent(deliveries: list[AlertDelivery], token) -> list[AlertDelivery]:
    still_sending = set(
        AlertDelivery.objects.filter(
            pk__in=[d.pk for d in deliveries], claim_token=token, status=DeliveryStatus.SENDING
        ).values_list("pk", flat=True)
    )
    return [d for d in deliveries if d.pk in still_sending]


def send_batch(subscription_id: int, batch_kind: str) -> int | None:
    """Send one person's waiting follow-up or digest as one email; seconds until a retry, if one is due."""
    now = timezone.now()
    lease = timedelta(seconds=settings.ALERTS_LEASE_SECONDS)
    claimable = Q(status=DeliveryStatus.BATCHED, send_after__lte=now + CLOCK_TOLERANCE) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - lease
    )
    queryset = AlertDelivery.objects.filter(subscription_id=subscription_id, batch_kind=batch_kind)
    token = _claim(queryset, now, claimable)
    if token is None:
        return None
    deliveries = deliveries_with_content(AlertDelivery.objects.filter(claim_token=token))
    subscription = deliveries[0].subscription
    if not subscription.is_receiving:
        _suppress(deliveries, token)
        return None
    outcome = SendOutcome()
    mail_connection = get_connection(fail_silently=False)
    message = emails.batch_message(subscription, deliveries, batch_kind, mail_connection)
    try:
        mail_connection.open()
        _send_one(mail_connection, message)
    except (_ConnectionLost, smtplib.SMTPException, OSError) as error:
        if _is_permanent(error):
            _mark_permanent_failure(deliveries, token, repr(error))
            return None
        _mark_temporary_failure(deliveries, token, repr(error), outcome, now)
        attempts = max(d.attempts for d in deliveries)
        return backoff_seconds(attempts) if attempts < settings.ALERTS_MAX_ATTEMPTS else None
    finally:
        try:
            mail_connection.close()
        except Exception:
            logger.debug("SMTP close failed", exc_info=True)
    marks.mark_sent([d.pk for d in deliveries], token, message.extra_headers["Message-ID"])
    _reset_failures({subscription_id})
    return None
