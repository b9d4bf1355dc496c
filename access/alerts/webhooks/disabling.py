"""An endpoint's health: failing since when, disabled after a day of failures, and who is told.

An endpoint is failing from its first failed attempt not followed by a success (`failing_since`). Once
it has failed for WEBHOOKS_DISABLE_AFTER_SECONDS it is disabled (one conditional write: a second worker
finds it disabled already), its pending deliveries are held (sent when it is enabled again), and its
organisation's contact and the coordinators are told by email, once per disabling (CoordinatorNotice
keys it for each coordinator; the contact's email goes from the one run that disabled it).
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import CoordinatorNotice
from humtrack.actor import SYSTEM
from humtrack.history import stamp

from .choices import WebhookDeliveryStatus
from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def note_outcomes(*, succeeded: set[int], failed: set[int], now: datetime) -> None:
    """A success clears an endpoint's failing_since; a failure starts it unless it is running already.
    The API shows failing_since, and an endpoint's ETag is made from updated_at: both change together,
    or a partner's If-None-Match would get a 304 with the old value."""
    if succeeded:
        WebhookEndpoint.objects.filter(pk__in=succeeded, failing_since__isnull=False).update(
            failing_since=None, updated_at=now
        )
    if failed - succeeded:
        WebhookEndpoint.objects.filter(pk__in=failed - succeeded, failing_since__isnull=True).update(
            failing_since=now, updated_at=now
        )


def disable_failing_endpoints(now: datetime | None = None) -> list[int]:
    """Disable the active endpoints failing for longer than WEBHOOKS_DISABLE_AFTER_SECONDS; their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WEBHOOKS_DISABLE_AFTER_SECONDS)
    failing = Q(active=True, failing_since__lte=cutoff)
    disabled = []
    for pk in WebhookEndpoint.objects.filter(failing).values_list("pk", flat=True):
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update().filter(failing, pk=pk).first()
            if endpoint is None:  # another worker disabled it, or it succeeded meanwhile
                continue
            hours = round((now - endpoint.failing_since).total_seconds() / 3600) if endpoint.failing_since else 0
            reason = _("Disabled automatically: every delivery failed for %(hours)s hours.") % {"hours": hours}
            endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason[:200]
            stamp(endpoint, SYSTEM, reason)
            endpoint.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
            # Held, not dropped: enabling the endpoint again sends them (docs/alerts.md, "Webhooks").
            WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDeliveryStatus.PENDING).update(
                status=WebhookDeliveryStatus.HELD, next_attempt_at=None
            )
            transaction.on_commit(partial(notify_endpoint_disabled, endpoint.pk))
        disabled.append(pk)
    return disabled


def coordinators():
    """Who hears about the pipeline: active superusers and staff with a coordinator assignment."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(is_staff=True, coordinator_regions__isnull=False))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _message(endpoint: WebhookEndpoint, to: str) -> EmailMultiAlternatives:
    context = {
        "endpoint": endpoint,
        "organisation": endpoint.organisation.name,
        "last_error": endpoint.deliveries.exclude(last_error="")
        .order_by("-last_attempt_at")
        .values_list("last_error", flat=True)
        .first()
        or "",
        "held": endpoint.deliveries.filter(status=WebhookDeliveryStatus.HELD).count(),
        "site_url": settings.SITE_URL,
        "admin_path": f"/admin/access/webhookendpoint/{endpoint.pk}/change/",
    }
    subject = _("[humtrack] Webhook endpoint of %(organisation)s disabled after a day of failures") % context
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("alerts/email/webhook_disabled.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("alerts/email/webhook_disabled.html", context), "text/html")
    return message


def notify_endpoint_disabled(endpoint_id: int) -> int:
    """Email the organisation's contact and each coordinator that the endpoint was disabled; how many."""
    endpoint = WebhookEndpoint.objects.select_related("organisation").filter(pk=endpoint_id, active=False).first()
    if endpoint is None or endpoint.disabled_at is None:
        return 0
    sent = 0
    key = f"webhook-disabled:{endpoint.pk}:{endpoint.disabled_at:%Y%m%dT%H%M%S}"
    contact = endpoint.organisation.contact_email
    try:
        if contact:
            _message(endpoint, contact).send()
            sent += 1
        for user in coordinators():
            if user.email == contact:
                continue  # told already, as the contact
            notice, _created = CoordinatorNotice.objects.get_or_create(user=user, key=key)
            if notice.sent_at is not None:
                continue
            _message(endpoint, user.email).send()
            CoordinatorNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
            sent += 1
    except Exception:  # the endpoint is disabled all the same; the admin shows it
        logger.exception("Could not tell everyone that webhook endpoint %s was disabled", endpoint.pk)
    return sent
