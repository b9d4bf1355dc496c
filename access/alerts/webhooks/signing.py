"""The Standard Webhooks 1.0 headers of one attempt, signed with the `standardwebhooks` package.

`webhook-id` is the delivery's message id (the same on every attempt, so receivers dedupe on it),
`webhook-timestamp` the attempt's time in whole seconds (receivers refuse one more than a few minutes
off), `webhook-signature` "v1,<base64 HMAC-SHA256 of id.timestamp.body>". During a secret rotation's
overlap the message is signed with both secrets, space-separated, as the specification allows: a
receiver holding either one accepts it.
"""

from datetime import datetime

from django.utils import timezone
from standardwebhooks import Webhook

from .models import WebhookEndpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The endpoint's secret, and its previous one while the rotation's overlap lasts."""
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        secrets.append(endpoint.previous_secret)
    return secrets


def signed_headers(*, secrets: list[str], message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` (the exact text sent)."""
    now = now or timezone.now()
    signatures = [Webhook(secret).sign(message_id, now, body) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
