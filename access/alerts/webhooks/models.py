"""Webhook endpoints, the outbox of events to send them, and one delivery row per (event, endpoint).

The models belong to the `access` app and are re-exported by access.models, where Django looks for them.
"""

import secrets
import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from humtrack.history import audit_history

from .choices import WebhookDeliveryStatus, WebhookEventType


def new_message_id() -> str:
    """A Standard Webhooks message id: "msg_", milliseconds (so ids sort by creation), then randomness."""
    return f"msg_{int(time.time() * 1000):012x}{secrets.token_hex(10)}"


class WebhookEndpoint(models.Model):
    """A partner organisation's URL that receives signed POSTs for the event types it chose."""

    organisation = models.ForeignKey(
        "humtrack.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000, help_text=_("HTTPS in production; checked again at each delivery."))
    description = models.CharField(max_length=200, blank=True)
    # A list of WebhookEventType values; at least one (the services check it).
    event_types = models.JSONField(default=list)
    # Standard Webhooks symmetric secret ("whsec_" + base64 of 24 random bytes). HMAC needs it in clear:
    # it is shown once, never logged, never copied into the audit history.
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation both secrets sign every message until this time (a receiver accepts either).
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True, help_text=_("Off: deliveries are held until it is enabled again."))
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The oldest delivery failure not followed by a success: past WEBHOOKS_DISABLE_AFTER it is disabled.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = audit_history(excluded_fields=["secret", "previous_secret", "failing_since"])

    class Meta:
        ordering = ["organisation", "id"]
        indexes = [models.Index(fields=["active", "organisation"])]

    def __str__(self):
        return f"{self.organisation}: {self.url}"

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


class WebhookEvent(models.Model):
    """The outbox: one change partners are told about, written in the change's transaction.

    `payload` is the whole body sent ({"type", "timestamp", "data"}), `data` being the record as the API
    shows it at the time of the change: later changes send their own events.
    """

    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    occurred_at = models.DateTimeField(db_index=True)
    payload = models.JSONField()
    # Set once every endpoint that wanted it has its delivery row (the fan-out ran).
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(
                fields=["occurred_at"], name="webhook_event_not_fanned_out", condition=models.Q(fanned_out_at=None)
            )
        ]

    def __str__(self):
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: retried with the same `webhook-id` until delivered or given up."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The Standard Webhooks `webhook-id`: the same on every attempt and redelivery, so receivers dedupe.
    message_id = models.CharField(max_length=40, unique=True, editable=False)
    status = models.CharField(
        max_length=12, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # A worker claims due deliveries (pending → sending) with a conditional UPDATE setting a fresh token,
    # as for emails; past the lease another worker may claim it again (its worker died).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "created_at"]),
            models.Index(fields=["claim_token"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="unique_webhook_delivery_per_event_endpoint"),
        ]

    def __str__(self):
        return f"{self.message_id}: {self.status}"
