"""Sending webhook events: the fan-out to endpoints, claims, concurrent signed POSTs, retries.

deliver_due_webhooks() is the task's body (access.alerts.deliver_due_webhooks, woken on commit after a
change and run by beat every WEBHOOKS_POLL_SECONDS). Each round it
1. fans out events not fanned out yet: one WebhookDelivery per endpoint wanting the type (held for a
   disabled endpoint), its `webhook-id` fixed now for every attempt; the (event, endpoint) unique
   constraint makes a second fan-out of the same event write nothing. The rows are written in chunks,
   already claimed by the run (as in step 2), so the first chunk's POSTs start while the next is written;
2. claims due deliveries with one conditional UPDATE setting a fresh token (pending and due, or
   sending past WEBHOOKS_LEASE_SECONDS: its worker died), as the email pipeline does (sending.py); while
   it sends, a heartbeat renews the claim every third of the lease (leases.py), so a slow receiver never
   lets a second live worker take it, and a killed worker's claim runs out within the lease;
3. POSTs them concurrently (WEBHOOKS_CONCURRENCY threads sharing one keep-alive httpx client; the
   threads do no database work), checking the URL against the SSRF rules (addresses.py) before each
   POST, following no redirect;
4. records each outcome, a few dozen rows per UPDATE (marks.py): 2xx is delivered; anything else is retried after
   an exponential backoff with jitter until the scheduled delays add up to WEBHOOKS_RETRY_FOR_SECONDS,
   then failed; endpoints failing for a day are disabled (disabling.py).
It goes round until nothing is due, or the time left before the task's soft limit could not cover a
batch whose every POST timed out.

At least once: a worker killed between a receiver's 2xx and the UPDATE recording it (at most one
batch of marks, MARK_EVERY results or MARK_INTERVAL seconds) leaves those deliveries `sending`; past
the lease another run sends them again with the same `webhook-id`, which receivers dedupe on.
"""

import logging
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..leases import Heartbeat
from .addresses import check_webhook_url
from .choices import WebhookDeliveryStatus
from .disabling import disable_failing_endpoints, note_outcomes
from .marks import write_outcomes
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent, new_message_id
from .signing import signed_headers, signing_secrets

logger = logging.getLogger(__name__)

FAN_OUT_CHUNK = 50  # events per fan-out round: times the endpoints, the delivery objects held in memory
FAN_OUT_INSERT = 100  # deliveries per INSERT: the first chunk's POSTs start while the next is written
CLAIM_MAX = 1000  # deliveries per claim
MARK_EVERY = 50  # outcomes per UPDATE …
MARK_INTERVAL = 0.05  # … or seconds since the last one, whichever comes first
RESPONSE_READ_LIMIT = 64 * 1024  # of a receiver's answer (read so the connection can be reused; not kept)
USER_AGENT = "humtrack-webhooks/1"
# The task stops taking batches this long before its soft time limit.
SOFT_LIMIT_MARGIN_SECONDS = 20


def backoff_seconds(attempts: int) -> float:
    """The nominal delay after the `attempts`-th failed attempt: doubling, capped."""
    delay = settings.WEBHOOKS_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return float(min(delay, settings.WEBHOOKS_RETRY_BACKOFF_MAX_SECONDS))


def gives_up_after(attempts: int) -> bool:
    """True when the delays scheduled so far, with the next one, would pass WEBHOOKS_RETRY_FOR_SECONDS.

    Counted in attempts rather than from the delivery's creation, so a redelivery or an endpoint
    enabled again days later still gets its attempt."""
    return sum(backoff_seconds(n) for n in range(1, attempts + 1)) > settings.WEBHOOKS_RETRY_FOR_SECONDS


def retry_delay(attempts: int) -> timedelta:
    """The backoff with ±10% jitter, so that endpoints failing together do not retry in step."""
    return timedelta(seconds=backoff_seconds(attempts) * random.uniform(0.9, 1.1))  # noqa: S311  (jitter, not a secret)  # nosec B311


# Step 1: the fan-out ------------------------------------------------------------------------------


@dataclass
class FanOut:
    """The deliveries the next events need, written chunk by chunk by write(); those of active endpoints,
    up to the claim, are written already claimed by the run (sending, its token), to be sent at once."""

    now: datetime
    event_ids: list[int]
    deliveries: list[WebhookDelivery]
    endpoints: dict[int, WebhookEndpoint]
    token: uuid.UUID | None

    def write(self) -> Iterator[list[WebhookDelivery]]:
        """Insert each chunk in its own commit and yield the claimed deliveries it wrote, so the POSTs of
        one chunk go out while the next is written; mark the events fanned out once all are."""
        for start in range(0, len(self.deliveries), FAN_OUT_INSERT):
            chunk = self.deliveries[start : start + FAN_OUT_INSERT]
            WebhookDelivery.objects.bulk_create(chunk, ignore_conflicts=True)
            claimed = {d.message_id: d for d in chunk if d.claim_token is not None}
            if not claimed:
                continue
            # A row another worker wrote first was not inserted (the constraint): that one is its to send.
            written = WebhookDelivery.objects.filter(claim_token=self.token, message_id__in=list(claimed))
            ready = []
            for pk, message_id in written.values_list("pk", "message_id"):
                delivery = claimed[message_id]
                delivery.pk, delivery.endpoint = pk, self.endpoints[delivery.endpoint_id]
                ready.append(delivery)
            yield ready
        WebhookEvent.objects.filter(pk__in=self.event_ids, fanned_out_at=None).update(fanned_out_at=self.now)


def plan_fan_out(now: datetime, *, token: uuid.UUID | None = None, claim: int = 0) -> FanOut:
    """The deliveries of the next events not fanned out (up to FAN_OUT_CHUNK events); nothing written yet."""
    events = list(
        WebhookEvent.objects.filter(fanned_out_at=None)
        .order_by("occurred_at", "id")
        .values_list("pk", "event_type", "occurred_at")[:FAN_OUT_CHUNK]
    )
    endpoints = {endpoint.pk: endpoint for endpoint in WebhookEndpoint.objects.all()} if events else {}
    deliveries = []
    for event_id, event_type, occurred_at in events:
        for endpoint in endpoints.values():
            # An endpoint registered after the event gets it only from a backfill, which it asks for.
            if not (endpoint.wants(event_type) and endpoint.created_at <= occurred_at):
                continue
            delivery = WebhookDelivery(
                event_id=event_id,
                endpoint_id=endpoint.pk,
                message_id=new_message_id(),
                status=WebhookDeliveryStatus.PENDING if endpoint.active else WebhookDeliveryStatus.HELD,
                next_attempt_at=now if endpoint.active else None,
            )
            if endpoint.active and claim > 0 and token is not None:
                delivery.status, delivery.claim_token, delivery.claimed_at = WebhookDeliveryStatus.SENDING, token, now
                delivery.attempts, claim = 1, claim - 1
            deliveries.append(delivery)
    return FanOut(now, [pk for pk, _, _ in events], deliveries, endpoints, token)


def fan_out_events(now: datetime) -> int:
    """Write the deliveries of the next events, none claimed; how many events were fanned out."""
    fan_out = plan_fan_out(now)
    for _ in fan_out.write():
        pass
    return len(fan_out.event_ids)


# Step 2: claims -------------------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    lease = timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS)
    return Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDeliveryStatus.SENDING, claimed_at__lt=now - lease
    )


def renew_claim(token: uuid.UUID) -> int:
    """The heartbeat's renewal (leases.Heartbeat) of the deliveries `token` still holds."""
    return WebhookDelivery.objects.filter(claim_token=token, status=WebhookDeliveryStatus.SENDING).update(
        claimed_at=timezone.now()
    )


def _heartbeat(token: uuid.UUID) -> Heartbeat:
    """Keeps a run's claim while its POSTs take longer than the lease; a killed worker's runs out."""
    return Heartbeat(token, interval=settings.WEBHOOKS_LEASE_SECONDS / 3, renew=renew_claim)


def claim_due(now: datetime, limit: int) -> tuple[uuid.UUID | None, list[WebhookDelivery]]:
    """Claim up to `limit` due deliveries of active endpoints; the token and the claimed rows."""
    candidates = list(
        WebhookDelivery.objects.filter(_claimable(now), endpoint__active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return None, []
    token = uuid.uuid4()
    # No join in the UPDATE: its conditions stay on the row itself, so PostgreSQL checks them again once
    # it holds the row's lock, and a second worker racing for the same rows claims none of them.
    claimed = WebhookDelivery.objects.filter(_claimable(now), pk__in=candidates).update(
        status=WebhookDeliveryStatus.SENDING,
        claim_token=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:  # another worker took them first
        return None, []
    rows = list(
        WebhookDelivery.objects.filter(claim_token=token).select_related("endpoint").only(
            "event_id", "endpoint_id", "message_id", "attempts", "endpoint__url", "endpoint__secret",
            "endpoint__previous_secret", "endpoint__previous_secret_expires_at", "endpoint__failing_since",
        )
    )  # fmt: skip
    return token, rows


# Step 3: the POSTs ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    delivery: WebhookDelivery
    attempted_at: datetime
    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(client: httpx.Client, delivery: WebhookDelivery, body: str) -> Outcome:
    """One signed POST; never raises (every failure is an outcome, retried)."""
    endpoint = delivery.endpoint
    now = timezone.now()
    outcome = Outcome(delivery, now)
    started = time.monotonic()
    try:
        check_webhook_url(endpoint.url)  # again now: a name can be re-pointed after registration
        headers = signed_headers(
            secrets=signing_secrets(endpoint, now), message_id=delivery.message_id, body=body, now=now
        )
        with client.stream("POST", endpoint.url, content=body.encode(), headers=headers) as response:
            outcome.status_code = response.status_code
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > RESPONSE_READ_LIMIT or time.monotonic() - started > settings.WEBHOOKS_TIMEOUT_SECONDS:
                    break
        if not outcome.delivered:
            outcome.error = f"HTTP {outcome.status_code}"
            if response.is_redirect:
                outcome.error += " (a redirect: webhooks follow none)"
    except Exception as error:  # noqa: BLE001  (timeouts, refused connections, SSRF refusals: all retried)
        outcome.error = _describe(error)
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"Timed out after {settings.WEBHOOKS_TIMEOUT_SECONDS:g} s ({type(error).__name__})"
    message = getattr(error, "messages", None)
    text = " ".join(map(str, message)) if message else str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"


# Step 4: recording outcomes -------------------------------------------------------------------------


def record_outcomes(
    outcomes: list[Outcome], token: uuid.UUID, now: datetime | None = None, failing: dict[int, bool] | None = None
) -> int:
    """Write each outcome on its delivery (while this worker still holds it); how many were delivered.

    `failing` (endpoint id → failing now, as far as this run knows) spares the endpoints' UPDATE when no
    outcome changes one: the common case, every endpoint healthy. It is kept up to date here."""
    if not outcomes:
        return 0
    now = now or timezone.now()
    rows = []
    for outcome in outcomes:
        delivery = outcome.delivery
        delivery.last_attempt_at = outcome.attempted_at
        delivery.last_response_code = outcome.status_code
        delivery.last_duration_ms = outcome.duration_ms
        delivery.last_error = outcome.error[:300]
        if outcome.delivered:
            delivery.status, delivery.delivered_at = WebhookDeliveryStatus.DELIVERED, now
            delivery.next_attempt_at = None
        elif gives_up_after(delivery.attempts):
            delivery.status, delivery.next_attempt_at = WebhookDeliveryStatus.FAILED, None
            delivery.last_error = f"Gave up after {delivery.attempts} attempts: {outcome.error}"[:300]
        else:
            delivery.status = WebhookDeliveryStatus.PENDING
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        rows.append(delivery)
    known = failing if failing is not None else {}
    succeeded = {o.delivery.endpoint_id for o in outcomes if o.delivered and known.get(o.delivery.endpoint_id, True)}
    failed = {o.delivery.endpoint_id for o in outcomes if not o.delivered and not known.get(o.delivery.endpoint_id)}
    with transaction.atomic():
        write_outcomes(rows, token)
        note_outcomes(succeeded=succeeded, failed=failed, now=now)
    known.update(dict.fromkeys(failed - succeeded, True) | dict.fromkeys(succeeded, False))
    return sum(1 for outcome in outcomes if outcome.delivered)


def _bodies(event_ids: Iterable[int]) -> dict[int, str]:
    """Each event's body, serialised once for all its endpoints (the exact text signed and sent)."""
    payloads = WebhookEvent.objects.filter(pk__in=set(event_ids)).values_list("pk", "payload")
    return {pk: orjson.dumps(payload).decode() for pk, payload in payloads}


class Senders:
    """The HTTP client and the threads that POST, made when the first delivery is sent: a run that finds
    nothing to send (most beat runs, and the one each status change starts when no partner has an
    endpoint) does not pay for them. Building the client loads the CA certificates: 23 ms of a worker's
    time, measured on the bench machine."""

    def __init__(self, stack: ExitStack):
        self.stack = stack
        self.tools: tuple[httpx.Client, ThreadPoolExecutor] | None = None

    def __call__(self) -> tuple[httpx.Client, ThreadPoolExecutor]:
        if self.tools is None:
            http = self.stack.enter_context(client())
            pool = self.stack.enter_context(
                ThreadPoolExecutor(settings.WEBHOOKS_CONCURRENCY, thread_name_prefix="webhook")
            )
            self.tools = (http, pool)
        return self.tools


def send_claimed(senders: Senders, token: uuid.UUID, chunks: Iterable[list[WebhookDelivery]]) -> int:
    """POST the claimed deliveries, chunk after chunk as they come, and record the outcomes as they arrive."""
    bodies: dict[int, str] = {}
    failing: dict[int, bool] = {}
    futures = []
    for deliveries in chunks:
        if not deliveries:
            continue
        bodies.update(_bodies(d.event_id for d in deliveries if d.event_id not in bodies))
        http, pool = senders()
        for delivery in deliveries:
            failing.setdefault(delivery.endpoint_id, delivery.endpoint.failing_since is not None)
            futures.append(pool.submit(_post, http, delivery, bodies[delivery.event_id]))
    delivered = 0
    waiting: list[Outcome] = []
    last_mark = time.monotonic()
    for future in as_completed(futures):
        waiting.append(future.result())
        if len(waiting) >= MARK_EVERY or time.monotonic() - last_mark >= MARK_INTERVAL:
            delivered += record_outcomes(waiting, token, failing=failing)
            waiting, last_mark = [], time.monotonic()
    return delivered + record_outcomes(waiting, token, failing=failing)


# The run --------------------------------------------------------------------------------------------


def _batch_size(seconds_left: float) -> int:
    """As many deliveries as the time left could send even if every POST ran into its timeout (twice:
    connect and answer are timed apart), so a live task always records its outcomes before its limit."""
    worst_post = 2 * settings.WEBHOOKS_TIMEOUT_SECONDS + 1
    rounds = int(seconds_left // worst_post)
    return min(CLAIM_MAX, rounds * settings.WEBHOOKS_CONCURRENCY)


def client() -> httpx.Client:
    concurrency = settings.WEBHOOKS_CONCURRENCY
    return httpx.Client(
        timeout=httpx.Timeout(settings.WEBHOOKS_TIMEOUT_SECONDS),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        headers={"content-type": "application/json", "user-agent": USER_AGENT},
        trust_env=False,  # no proxy from the environment: the SSRF check is about the address POSTed to
    )


def deliver_due_webhooks(*, budget_seconds: float | None = None) -> int:
    """Fan out new events and send every delivery due, round after round; how many were delivered."""
    if budget_seconds is None:
        budget_seconds = settings.CELERY_TASK_SOFT_TIME_LIMIT - SOFT_LIMIT_MARGIN_SECONDS
    deadline = time.monotonic() + budget_seconds
    delivered = 0
    with ExitStack() as stack:
        senders = Senders(stack)
        while True:
            size = _batch_size(deadline - time.monotonic())
            if size <= 0:
                break
            token = uuid.uuid4()
            fan_out = plan_fan_out(timezone.now(), token=token, claim=size)
            if fan_out.event_ids:
                with _heartbeat(token):
                    delivered += send_claimed(senders, token, fan_out.write())
                disable_failing_endpoints()
                continue
            claim_token, claimed = claim_due(timezone.now(), size)
            if claim_token is None:
                break
            with _heartbeat(claim_token):
                delivered += send_claimed(senders, claim_token, [claimed])
            disable_failing_endpoints()
    return delivered
