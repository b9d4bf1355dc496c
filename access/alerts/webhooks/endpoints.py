"""Webhook endpoints: their writes (register, change, rotate the secret, disable, enable, delete) and the
partner's levers on deliveries (redeliver one, backfill everything since a time).

Partners call these through the API (api.py), superusers through the admin (admin.py); each is one
transaction, validated, and recorded in the endpoint's audit history with who and why. The secret is
never in that history (the model excludes it): it is returned once, to the caller, and then only used
to sign.

The delivery pipeline (delivery.py) sends a delivery when it is PENDING and its `next_attempt_at` has
come; a HELD one waits for its endpoint to be enabled; `message_id` (the Standard Webhooks
`webhook-id`) never changes, so a receiver dedupes redeliveries and backfills.
"""

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from access.alerts import enqueue
from access.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from humtrack.actor import Actor
from humtrack.history import stamp
from humtrack.models import Organisation
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .addresses import UnsafeWebhookUrl, check_webhook_url
from .choices import WebhookDeliveryStatus, WebhookEventType
from .models import new_message_id

SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)
SECRET_BYTES = 24  # 192 bits; Standard Webhooks asks for 24 to 64
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)


def new_secret() -> str:
    """A Standard Webhooks symmetric secret: "whsec_" + base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def checked_url(url: str) -> str:
    """`url` if humtrack may POST to it now (access.alerts.webhooks.addresses), else a ValidationError naming `url`."""
    try:
        check_webhook_url(url)
    except UnsafeWebhookUrl as exc:
        raise ValidationError({"url": exc.messages}) from exc
    return url


def checked_event_types(event_types: Iterable[str]) -> list[str]:
    """A non-empty list of known event types, each once (in the order given); else a ValidationError."""
    chosen = list(event_types)
    if not chosen:
        raise ValidationError({"event_types": [_("Choose at least one event type.")]})
    unknown = sorted({value for value in chosen if value not in WebhookEventType.values})
    if unknown:
        raise ValidationError({"event_types": [_("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}]})
    if len(set(chosen)) != len(chosen):
        raise ValidationError({"event_types": [_("Each event type at most once.")]})
    return chosen


def register_endpoint(
    *, organisation: Organisation, url: str, event_types: list[str], actor: Actor, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint of `organisation`. Returns (endpoint, secret): the secret is shown once."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organisation=organisation,
        url=checked_url(url),
        event_types=checked_event_types(event_types),
        description=description,
        secret=secret,
        created_by=actor.person,
    )
    with transaction.atomic():
        save_validated(endpoint, actor=actor, reason="Webhook endpoint registered")
    return endpoint, secret


def update_endpoint(
    *,
    endpoint: WebhookEndpoint,
    actor: Actor,
    url: str | NotGiven = NOT_GIVEN,
    event_types: list[str] | NotGiven = NOT_GIVEN,
    description: str | NotGiven = NOT_GIVEN,
    active: bool | NotGiven = NOT_GIVEN,
    reason: str = "Webhook endpoint changed",
) -> WebhookEndpoint:
    """Change an endpoint (as stored; the arguments given are the changes). A new URL is checked again;
    `active` true enables it (enable_endpoint), false disables it (disable_endpoint)."""
    if not isinstance(url, NotGiven) and url != endpoint.url:
        url = checked_url(url)
    if not isinstance(event_types, NotGiven):
        event_types = checked_event_types(event_types)
    with transaction.atomic():
        data = {"url": url, "event_types": event_types, "description": description}
        model_update(instance=endpoint, data=data, actor=actor, reason=reason)
        if active is True and not endpoint.active:
            enable_endpoint(endpoint=endpoint, actor=actor)
        elif active is False and endpoint.active:
            disable_endpoint(endpoint=endpoint, actor=actor, reason=_("Disabled by its owner."))
    return endpoint


def rotate_secret(*, endpoint: WebhookEndpoint, actor: Actor, overlap: timedelta = DEFAULT_OVERLAP) -> str:
    """Give the endpoint a new secret and return it. Until `overlap` has passed, messages are signed with
    both (Standard Webhooks' `webhook-signature` lists one signature per secret), so a receiver can switch
    at its own pace. A secret older than the current one is dropped now; `overlap` 0 drops the current
    one too (a leaked secret)."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise ValidationError({"overlap_seconds": [_("From 0 to 7 days.")]})
    secret = new_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if overlap:
            locked.previous_secret = locked.secret
            locked.previous_secret_expires_at = timezone.now() + overlap
        else:
            locked.previous_secret, locked.previous_secret_expires_at = "", None
        locked.secret = secret
        save_validated(locked, actor=actor, reason="Signing secret rotated")
    _copy_state(locked, endpoint)
    return secret


def disable_endpoint(*, endpoint: WebhookEndpoint, actor: Actor, reason: str) -> WebhookEndpoint:
    """Stop sending to the endpoint: its waiting deliveries are held until it is enabled again."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.active:
            locked.active = False
            locked.disabled_at = timezone.now()
            locked.disabled_reason = reason[:200]
            save_validated(locked, actor=actor, reason=f"Webhook endpoint disabled: {reason}")
            locked.deliveries.filter(status=WebhookDeliveryStatus.PENDING).update(
                status=WebhookDeliveryStatus.HELD, updated_at=timezone.now()
            )
    _copy_state(locked, endpoint)
    return endpoint


def enable_endpoint(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookEndpoint:
    """Send to the endpoint again, starting with what it missed: its held deliveries are due now."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.active = True
        locked.disabled_at = None
        locked.disabled_reason = ""
        locked.failing_since = None
        save_validated(locked, actor=actor, reason="Webhook endpoint enabled")
        held = locked.deliveries.filter(status=WebhookDeliveryStatus.HELD)
        if _make_due(held, active=True):
            transaction.on_commit(enqueue.wake_webhook_delivery)
    _copy_state(locked, endpoint)
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint, actor: Actor, reason: str = "Webhook endpoint deleted") -> None:
    """Delete the endpoint and its delivery log; the deletion is in its audit history."""
    with transaction.atomic():
        stamp(endpoint, actor, reason)
        endpoint.delete()


def redeliver(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery again, whatever its status: due now, retried for a day again, the same `webhook-id`.
    Held instead while its endpoint is disabled (it goes when the endpoint is enabled)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        _make_due(WebhookDelivery.objects.filter(pk=delivery.pk), active=endpoint.active)
        _record(endpoint, actor, f"Redelivery of {delivery.message_id} asked for")
        if endpoint.active:
            transaction.on_commit(enqueue.wake_webhook_delivery)
    delivery.refresh_from_db()
    return delivery


def backfill(*, endpoint: WebhookEndpoint, since: datetime, actor: Actor) -> int:
    """Send the endpoint again every event since `since` of a type it wants: a delivery for each event it
    has none for, and every existing one due again (same `webhook-id`: receivers dedupe). Returns how many.

    At most WEBHOOKS_BACKFILL_MAX_DAYS back. Events not yet fanned out are left to the fan-out, which
    gives this endpoint its delivery anyway.
    """
    oldest = timezone.now() - timedelta(days=settings.WEBHOOKS_BACKFILL_MAX_DAYS)
    if since < oldest:
        raise ValidationError(
            {"since": [_("At most %(days)d days back.") % {"days": settings.WEBHOOKS_BACKFILL_MAX_DAYS}]}
        )
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        events = WebhookEvent.objects.filter(
            occurred_at__gte=since, event_type__in=locked.event_types, fanned_out_at__isnull=False
        )
        existing = locked.deliveries.filter(event__in=events)
        reset = _make_due(existing, active=locked.active)
        missing = events.exclude(pk__in=existing.values("event_id")).values_list("pk", flat=True)
        status = WebhookDeliveryStatus.PENDING if locked.active else WebhookDeliveryStatus.HELD
        now = timezone.now()
        created = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    event_id=event_id, endpoint=locked, message_id=new_message_id(), status=status, next_attempt_at=now
                )
                for event_id in missing.iterator()
            ],
            batch_size=500,
        )
        count = reset + len(created)
        _record(locked, actor, f"Backfill since {since.isoformat()}: {count} deliveries")
        if count and locked.active:
            transaction.on_commit(enqueue.wake_webhook_delivery)
    return count


def _make_due(deliveries: QuerySet[WebhookDelivery], *, active: bool) -> int:
    """Deliveries due now (held instead, for a disabled endpoint), any claim forgotten, with a fresh retry
    window: the pipeline gives up after a day's worth of attempts (delivery.gives_up_after), and a
    delivery sent again by hand, or held while its endpoint was off, must not fail at its first refusal."""
    now = timezone.now()
    status = WebhookDeliveryStatus.PENDING if active else WebhookDeliveryStatus.HELD
    return deliveries.update(
        status=status, next_attempt_at=now, attempts=0, claim_token=None, claimed_at=None, updated_at=now
    )


def _record(endpoint: WebhookEndpoint, actor: Actor, reason: str) -> None:
    """An entry in the endpoint's audit history for an action on its deliveries (they keep no history)."""
    stamp(endpoint, actor, reason)
    endpoint.save(update_fields=["updated_at"])


def _copy_state(source: WebhookEndpoint, target: WebhookEndpoint) -> None:
    """The caller's instance as stored after a write made on a locked copy."""
    if source is not target:
        target.refresh_from_db()
