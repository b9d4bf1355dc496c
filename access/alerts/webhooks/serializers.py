"""What the webhooks API shows (endpoints without their secret, deliveries) and what it takes (shape only:
the rules — safe URLs, known event types, each once, how far back a backfill goes — are endpoints.py's)."""

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.api.serializers import LABEL
from access.models import WebhookDelivery, WebhookEndpoint
from humtrack.api import fields
from humtrack.api.serializers import WriteSerializer

from .choices import WebhookEventType
from .endpoints import DEFAULT_OVERLAP, MAX_OVERLAP

SHOWN_ONCE_HELP = (
    "The signing secret (Standard Webhooks, `whsec_…`). Shown in this response only: store it now. "
    "Lost? Rotate it (`rotate-secret/`)."
)


# A webhook URL as the schema states it and the server takes it (a subset of the model's URLValidator):
# a host name with a dot, `localhost` or an IPv4 address, an optional port, a path and query of RFC 3986's
# characters (anything else percent-encoded), no fragment.
# https only where private URLs are refused (production); whether the host is public is checked when
# it is registered and before each delivery (addresses.py): a schema cannot say what a name resolves to.
# ECMA 262 patterns: no `\s`, no trailing-newline `$` (as access.api.serializers' source links).
IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
HOST = rf"(?:{LABEL}(?:\.{LABEL}){{0,8}}\.[A-Za-z]{{2,63}}|localhost|{IPV4_OCTET}(?:\.{IPV4_OCTET}){{3}})"
SCHEME = "https?" if settings.WEBHOOKS_ALLOW_PRIVATE_URLS else "https"
PATH = r"(?:/(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?"
WEBHOOK_URL_PATTERN = rf"^{SCHEME}://{HOST}(?::{PORT})?{PATH}$"
WEBHOOK_URL = re.compile(WEBHOOK_URL_PATTERN.removesuffix("$") + r"\Z")
WEBHOOK_URL_MAX_LENGTH = 2000  # the model's


@extend_schema_field({"type": "string", "pattern": WEBHOOK_URL_PATTERN, "maxLength": WEBHOOK_URL_MAX_LENGTH})
class WebhookUrlField(fields.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validators", [RegexValidator(WEBHOOK_URL, _("An https:// link: https://host.example/path."))]
        )
        super().__init__(max_length=WEBHOOK_URL_MAX_LENGTH, trim_whitespace=False, **kwargs)


@extend_schema_field(
    {
        "type": "array",
        "items": {"enum": WebhookEventType.values, "type": "string"},
        "minItems": 1,
        "maxItems": len(WebhookEventType.values),
        "uniqueItems": True,
    }
)
class EventTypesField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.ChoiceField(choices=WebhookEventType.choices),
            min_length=1,
            max_length=len(WebhookEventType.choices),
            help_text="The event types to receive: at least one, each once.",
            **kwargs,
        )


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as every read shows it: never its secret."""

    # As registered; a plain string (not `format: uri`): the admin's form takes what Django's URLValidator
    # takes, which is more than RFC 3986.
    url = serializers.CharField(read_only=True)
    event_types = EventTypesField(read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "event_types", "active", "disabled_at", "disabled_reason",
            "failing_since", "previous_secret_expires_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "active": {"help_text": "False: disabled (by you, or after failing for a day); deliveries are held."},
            "failing_since": {"help_text": "The oldest delivery failure not followed by a success, if any."},
            "previous_secret_expires_at": {
                "help_text": "After a rotation: until then, messages are signed with the old secret too."
            },
        }


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """201 to a registration: the endpoint and, this once, its secret."""

    secret = serializers.SerializerMethodField(help_text=SHOWN_ONCE_HELP)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, endpoint) -> str:
        return self.context["secret"]


class WebhookEndpointCreateSerializer(WriteSerializer):
    """`{"url": "https://…", "event_types": ["region.status_changed"]}` is a complete request."""

    url = WebhookUrlField(help_text="https:// to a public address (checked again before every delivery).")
    event_types = EventTypesField()

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "event_types", "description"]


class WebhookEndpointWriteSerializer(WebhookEndpointCreateSerializer):
    """PUT and PATCH: `{"active": true}` enables a disabled endpoint, and what it missed is sent."""

    class Meta(WebhookEndpointCreateSerializer.Meta):
        fields = [*WebhookEndpointCreateSerializer.Meta.fields, "active"]
        extra_kwargs = {
            "active": {"help_text": "true enables it (its held deliveries are sent); false disables it."},
        }


class RotateSecretSerializer(serializers.Serializer):
    overlap_seconds = fields.IntegerField(
        required=False,
        min_value=0,
        max_value=int(MAX_OVERLAP.total_seconds()),
        default=int(DEFAULT_OVERLAP.total_seconds()),
        help_text="How long the old secret keeps signing too (default a day); 0 drops it now (it leaked).",
    )


class RotatedSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text=SHOWN_ONCE_HELP)
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then messages carry a signature with the old secret too; null: not at all."
    )


class BackfillSerializer(serializers.Serializer):
    since = fields.DateTimeField(help_text="Every event at or after this moment (at most 30 days back by default).")


class BackfillResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Deliveries created or made due again.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event for the endpoint: what was tried and what the endpoint answered."""

    webhook_id = serializers.CharField(
        source="message_id", read_only=True, help_text="The `webhook-id` header: the same on every attempt."
    )
    event_type = serializers.ChoiceField(source="event.event_type", choices=WebhookEventType.choices, read_only=True)
    occurred_at = serializers.DateTimeField(source="event.occurred_at", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "webhook_id", "event_type", "occurred_at", "status", "attempts", "last_response_code",
            "last_duration_ms", "last_error", "next_attempt_at", "delivered_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
