"""Step 3 of the alert pipeline, sending: claims, one SMTP connection per batch, failures, retries, pausing.

Marking each delivery sent is in marks.py; the claim's heartbeat in leases.py; the emails' content in
emails.py. Nothing here enqueues a retry: what is due again waits in the database (status and
send_after), and the sweep (sweep.py, every ALERTS_SWEEP_EVERY_SECONDS) hands it to a worker. A broker
restart that loses every queued message therefore loses no alert.

A worker claims deliveries with one conditional UPDATE (pending → sending, a fresh token, claimed_at)
and reads back the rows carrying its token: two workers never hold one delivery. It marks each one
sent right after the SMTP server accepted it (its 250), for every kind of email: own alerts, follow-ups
and digests alike, never after QUIT.

What a failure costs (issue 15):
- An attempt is charged to a delivery when its message is offered to the server, and only then. A
  connection lost mid-batch (a relay that closes connections after n messages, a timeout) charges the
  one message in flight; the worker reconnects and goes on with the rest, the lost message first.
- A relay that cannot be reached (refused, timed out, dropping every new connection) charges nothing:
  the messages not offered wait half their age (capped at ALERTS_RETRY_BACKOFF_MAX_SECONDS) and are
  tried again until the alert is ALERTS_RETRY_FOR_SECONDS old (a day by default); /readyz and the admin
  say that alerts are waiting on the relay (health.py).
- Only a permanent answer (5xx) for an address counts towards pausing it; temporary ones never do.

Where a crash can still cost something: between the SMTP server's "250 accepted" and our UPDATE to
`sent` (a few milliseconds per message). The delivery stays `sending`; once its lease runs out (no
heartbeat: its worker is dead) the sweep sends it again. We err on that side (at least once, with a
resend window of at most one message per killed worker) because a missed "the road is closed" costs
more than a duplicate, and the resend carries the same Message-ID, which mail clients and archives use
to show it once. The other side (mark sent before sending) would lose that message for good.
"""

import logging
import re
import smtplib
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from access.models import AlertDelivery, AlertEvent, Subscription
from humtrack.actor import SYSTEM
from humtrack.history import stamp
from humtrack.ops import metrics

from . import emails, marks, mime, notices
from .choices import BatchKind, DeliveryStatus
from .giving_way import GIVE_WAY_EVERY
from .leases import Heartbeat

logger = logging.getLogger(__name__)

# Connections lost one after another with no message accepted between them: the relay is not taking
# mail now; what is left waits for a later try.
LOSSES_IN_A_ROW_BEFORE_WAITING = 2


@dataclass
class SendOutcome:
    sent: int = 0
    # Messages offered and answered or lost, beyond those sent (each charged an attempt).
    failed: int = 0
    # Messages never offered because the relay could not be reached (not charged).
    waiting_on_relay: int = 0
    # Deliveries handed back unsent, pending again, when the batch gave way to other work (giving_way.py).
    left: list[int] = field(default_factory=list)


class _ConnectionLost(Exception):
    """The SMTP connection broke while a message was offered: that message is charged, the rest are not."""


class _RelayUnreachable(Exception):
    """No connection to the relay could be opened: nothing was offered."""


def backoff_seconds(attempts: int) -> int:
    delay = settings.ALERTS_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return min(delay, settings.ALERTS_RETRY_BACKOFF_MAX_SECONDS)


def waiting_backoff_seconds(age: timedelta) -> int:
    """How long a message never offered waits before the next try: half its age, within the backoff's
    bounds, so a relay down for a day is asked a few dozen times, not every few seconds."""
    half_age = int(age.total_seconds() / 2)
    return min(max(settings.ALERTS_RETRY_BACKOFF_SECONDS, half_age), settings.ALERTS_RETRY_BACKOFF_MAX_SECONDS)


def out_of_time(delivery: AlertDelivery, now: datetime) -> bool:
    """The alert is older than ALERTS_RETRY_FOR_SECONDS: no more retries."""
    return now - delivery.created_at >= timedelta(seconds=settings.ALERTS_RETRY_FOR_SECONDS)


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


# An address as smtplib's quoteaddr would send it, unchanged between angle brackets: a dot-atom local part
# and domain (what EmailValidator accepts, bar quoted local parts and address literals; an IDN domain has
# been through sanitize_address's punycode by then).
_DOT_ATOM_ADDRESS = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*@[-0-9A-Za-z]+(?:\.[-0-9A-Za-z]+)*\Z"
)


def send_envelope(smtp: smtplib.SMTP, envelope_from: str, envelope_to: list[str], raw: bytes) -> None:
    """smtplib's sendmail: the same commands, answers and errors, without parsing plain addresses again.

    sendmail runs each address through email.utils.parseaddr (pure Python) for its MAIL and RCPT
    commands, to send it back unchanged: 17 µs an email, against 1 µs for the check below, of the
    115-150 µs of CPU offering an email takes. Any address that is not a plain dot-atom one goes
    through sendmail itself."""
    if not (_DOT_ATOM_ADDRESS.match(envelope_from) and all(map(_DOT_ATOM_ADDRESS.match, envelope_to))):
        smtp.sendmail(envelope_from, envelope_to, raw)
        return
    smtp.ehlo_or_helo_if_needed()
    size = f" size={len(raw)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    code, reply = smtp.docmd("mail", f"FROM:<{envelope_from}>{size}")
    if code != 250:
        _end_transaction(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
    refused = {}
    for address in envelope_to:
        code, reply = smtp.docmd("rcpt", f"TO:<{address}>")
        if code not in (250, 251):
            refused[address] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(envelope_to):
        _end_transaction(smtp, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = smtp.data(raw)
    if code != 250:
        _end_transaction(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


def _end_transaction(smtp: smtplib.SMTP, code: int) -> None:
    # As sendmail does: a 421 closes the connection, anything else resets the transaction.
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


class _Relay:
    """One SMTP connection for a batch, opened on first use and again after it was lost."""

    def __init__(self):
        self.connection = get_connection(fail_silently=False)
        self._open = False

    def _smtp(self) -> smtplib.SMTP | None:
        smtp = getattr(self.connection, "connection", None)
        return smtp if isinstance(smtp, smtplib.SMTP) else None

    def _ensure_open(self) -> None:
        smtp = self._smtp()
        # A server that answered 421 closes the connection; smtplib has then dropped its socket.
        if self._open and (smtp is None or getattr(smtp, "sock", None) is not None):
            return
        self.close()
        try:
            self.connection.open()
        except (smtplib.SMTPException, OSError) as error:
            raise _RelayUnreachable(repr(error)) from error
        self._open = True

    def send(self, message) -> None:
        """Offer one message; raise _RelayUnreachable (not offered), _ConnectionLost (offered, no answer)
        or the SMTP server's answer as smtplib's error."""
        self._ensure_open()
        try:
            smtp = self._smtp()
            if isinstance(message, mime.AssembledEmail) and smtp is not None:
                # Django's SMTP backend would parse both addresses again for every copy (pure Python, as
                # costly as sending); the assembled email carries them ready for the envelope.
                with self.connection._lock:
                    send_envelope(smtp, message.envelope_from, message.envelope_to, message.raw)
            else:
                self.connection.send_messages([message])
        except smtplib.SMTPServerDisconnected as error:
            self._open = False
            raise _ConnectionLost(repr(error)) from error
        except smtplib.SMTPException:
            raise
        except OSError as error:
            self._open = False
            raise _ConnectionLost(repr(error)) from error

    def close(self) -> None:
        """QUIT, after every message's mark has left: a worker killed while waiting for QUIT's answer
        has nothing left to send again."""
        self._open = False
        try:
            self.connection.close()
        except Exception:  # closing a dead connection fails too; nothing is left to do with it
            logger.debug("SMTP close failed", exc_info=True)


def _claimable(now: datetime) -> Q:
    lease = timedelta(seconds=settings.ALERTS_LEASE_SECONDS)
    return (
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.FAILED_TEMPORARY, send_after__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease)
    )


def _claim(queryset, now: datetime, claimable: Q) -> uuid.UUID | None:
    """Take the deliveries no one else holds. One conditional UPDATE: atomic on PostgreSQL and SQLite.
    No attempt is charged here: a claimed message may never be offered."""
    token = uuid.uuid4()
    claimed = queryset.filter(claimable).update(status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now)
    return token if claimed else None


def _status_to_wait_in(delivery: AlertDelivery) -> str:
    # A follow-up or digest waits as `batched`, so that the whole email is sent again together.
    return DeliveryStatus.BATCHED if delivery.batch_kind else DeliveryStatus.FAILED_TEMPORARY


def _charge_temporary_failure(deliveries: list[AlertDelivery], token, error: str, now) -> None:
    """Offered and not accepted for now (4xx, connection lost): one attempt charged, back for a retry with
    exponential backoff; once the alert is ALERTS_RETRY_FOR_SECONDS old, given up."""
    for delivery in deliveries:
        delivery.attempts += 1
        if out_of_time(delivery, now):
            _give_up([delivery], token, f"Gave up after {delivery.attempts} attempts: {error}", attempts=1)
            continue
        AlertDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
            status=_status_to_wait_in(delivery),
            send_after=now + timedelta(seconds=backoff_seconds(delivery.attempts)),
            attempts=F("attempts") + 1,
            last_error=error[:2000],
        )
        metrics.alerts_failed.inc()


def _wait_for_relay(deliveries: list[AlertDelivery], token, error: str, now) -> int:
    """Never offered, because the relay could not be reached: no attempt charged; tried again later."""
    waiting = 0
    for delivery in deliveries:
        if out_of_time(delivery, now):
            _give_up([delivery], token, f"Gave up: the mail relay was unreachable for a day: {error}")
            continue
        AlertDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
            status=_status_to_wait_in(delivery),
            send_after=now + timedelta(seconds=waiting_backoff_seconds(now - delivery.created_at)),
            last_error=f"Relay unreachable: {error}"[:2000],
        )
        waiting += 1
    return waiting


def _give_up(deliveries: list[AlertDelivery], token, error: str, attempts: int = 0) -> None:
    """Out of time on temporary failures: recorded as failed, never counted against the address."""
    metrics.alerts_failed.inc(len(deliveries))
    AlertDelivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).update(
        status=DeliveryStatus.FAILED_PERMANENT, attempts=F("attempts") + attempts, last_error=error[:2000]
    )


def _refused(deliveries: list[AlertDelivery], token, error: str) -> None:
    """The address's server refused it (5xx): recorded, never retried; the subscription is paused after
    ALERTS_PAUSE_AFTER_FAILURES refusals in a row."""
    metrics.alerts_failed.inc(len(deliveries))
    subscription_id = deliveries[0].subscription_id
    with transaction.atomic():
        AlertDelivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).update(
            status=DeliveryStatus.FAILED_PERMANENT, attempts=F("attempts") + 1, last_error=error[:2000]
        )
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        subscription.consecutive_failures += 1
        fields = ["consecutive_failures"]
        pausing = (
            subscription.consecutive_failures >= settings.ALERTS_PAUSE_AFTER_FAILURES and subscription.paused_at is None
        )
        if pausing:
            subscription.paused_at = timezone.now()
            fields += ["paused_at", "updated_at"]
            stamp(subscription, SYSTEM, f"Paused after {subscription.consecutive_failures} failed deliveries")
        subscription.save(update_fields=fields)
        if pausing:
            # The coordinators' notice is written with the pause (an outbox row), so a broker outage now
            # leaves it for the sweep instead of losing it.
            notices.record_pause_notices(subscription)


def _suppress(deliveries: list[AlertDelivery], token) -> None:
    AlertDelivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).update(
        status=DeliveryStatus.SUPPRESSED
    )


def _reset_failures(subscription_ids: set[int]) -> None:
    if subscription_ids:
        Subscription.objects.filter(pk__in=subscription_ids, consecutive_failures__gt=0).update(consecutive_failures=0)


def _hand_back(deliveries, token) -> list[int]:
    """Claimed and never offered: pending again, for the next claim (the batch gave way)."""
    ids = [delivery.pk for delivery in deliveries]
    AlertDelivery.objects.filter(pk__in=ids, claim_token=token, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING
    )
    return ids


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


def send_deliveries(delivery_ids: list[int], *, give_way: Callable[[], bool] | None = None) -> SendOutcome:
    """Send these deliveries' own emails over one SMTP connection (reconnecting when it is lost); each at
    most once while it is claimed.

    `give_way`: asked every GIVE_WAY_EVERY emails sent; when it answers True, the deliveries not yet
    offered are handed back (pending) and listed in the outcome's `left`, for the caller to enqueue."""
    now = timezone.now()
    outcome = SendOutcome()
    queryset = AlertDelivery.objects.filter(pk__in=delivery_ids, batch_kind=BatchKind.NONE)
    token = _claim(queryset, now, _claimable(now))
    if token is None:
        return outcome
    claimed = deliveries_with_content(AlertDelivery.objects.filter(claim_token=token))
    _suppress([d for d in claimed if not d.subscription.is_receiving], token)
    to_send = deque(d for d in claimed if d.subscription.is_receiving)
    if not to_send:
        return outcome
    relay = _Relay()
    succeeded = set()
    rendered: emails.Rendered = {}  # what every copy of an event shares, rendered once per batch
    losses_in_a_row = 0
    try:
        with Heartbeat(token), marks.SentMarks(token) as sent_marks:
            while to_send:
                delivery = to_send[0]
                try:
                    # A first copy's rendering queries the database: the last mark's answer is read first.
                    message = emails.alert_message(delivery, relay.connection, rendered, sent_marks.collect)
                except Exception as error:  # a bug in one email must not hold up the others; retried, then given up
                    logger.exception("Could not build the email of delivery %s", delivery.pk)
                    sent_marks.collect()
                    _charge_temporary_failure([to_send.popleft()], token, repr(error), now)
                    outcome.failed += 1
                    continue
                try:
                    relay.send(message)
                except _RelayUnreachable as error:
                    sent_marks.collect()
                    outcome.waiting_on_relay += _wait_for_relay(list(to_send), token, str(error), now)
                    break
                except _ConnectionLost as error:
                    # The message in flight is charged one attempt; it goes first on the next connection.
                    sent_marks.collect()
                    losses_in_a_row += 1
                    AlertDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
                        attempts=F("attempts") + 1, last_error=f"Connection lost: {error}"[:2000]
                    )
                    delivery.attempts += 1
                    metrics.alerts_connections_lost.inc()
                    if losses_in_a_row >= LOSSES_IN_A_ROW_BEFORE_WAITING:
                        outcome.waiting_on_relay += _wait_for_relay(list(to_send), token, str(error), now)
                        break
                    continue
                except smtplib.SMTPException as error:
                    sent_marks.collect()
                    to_send.popleft()
                    outcome.failed += 1
                    if _is_permanent(error):
                        _refused([delivery], token, repr(error))
                    else:
                        _charge_temporary_failure([delivery], token, repr(error), now)
                    continue
                # Right after the server's 250: the only window for a resend is this one message.
                sent_marks.mark(delivery.pk, message.extra_headers["Message-ID"])
                to_send.popleft()
                losses_in_a_row = 0
                outcome.sent += 1
                succeeded.add(delivery.subscription_id)
                if give_way is not None and to_send and outcome.sent % GIVE_WAY_EVERY == 0 and give_way():
                    sent_marks.collect()
                    outcome.left = _hand_back(to_send, token)
                    break
    finally:
        relay.close()
    _reset_failures(succeeded)
    return outcome


def send_batch(subscription_id: int, batch_kind: str) -> bool:
    """Send one person's waiting follow-up or digest as one email, marked sent at the server's 250;
    False when nothing was sent (nothing due, or it waits for a retry)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.ALERTS_LEASE_SECONDS)
    claimable = Q(status=DeliveryStatus.BATCHED, send_after__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - lease
    )
    queryset = AlertDelivery.objects.filter(subscription_id=subscription_id, batch_kind=batch_kind)
    token = _claim(queryset, now, claimable)
    if token is None:
        return False
    deliveries = deliveries_with_content(AlertDelivery.objects.filter(claim_token=token))
    subscription = deliveries[0].subscription
    if not subscription.is_receiving:
        _suppress(deliveries, token)
        return False
    relay = _Relay()
    try:
        with Heartbeat(token):
            message = emails.batch_message(subscription, deliveries, batch_kind, relay.connection)
            for attempt in range(LOSSES_IN_A_ROW_BEFORE_WAITING):
                try:
                    relay.send(message)
                    break
                except _RelayUnreachable as error:
                    _wait_for_relay(deliveries, token, str(error), now)
                    return False
                except _ConnectionLost as error:
                    metrics.alerts_connections_lost.inc()
                    if attempt + 1 == LOSSES_IN_A_ROW_BEFORE_WAITING:
                        _charge_temporary_failure(deliveries, token, repr(error), now)
                        return False
                    AlertDelivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).update(
                        attempts=F("attempts") + 1
                    )
                    for delivery in deliveries:
                        delivery.attempts += 1
                except smtplib.SMTPException as error:
                    if _is_permanent(error):
                        _refused(deliveries, token, repr(error))
                    else:
                        _charge_temporary_failure(deliveries, token, repr(error), now)
                    return False
            # At the server's 250, before QUIT, as every other email.
            marks.mark_sent([d.pk for d in deliveries], token, message.extra_headers["Message-ID"])
    finally:
        relay.close()
    _reset_failures({subscription_id})
    return True
