"""Webhook value sets. Machine values are a contract (the API, the payloads, the database): never rename one."""

from django.db import models


class WebhookEventType(models.TextChoices):
    REGION_STATUS_CHANGED = "region.status_changed", "A region's access status changed"
    CORRIDOR_STATUS_CHANGED = "corridor.status_changed", "An aid corridor's status changed"
    RESTRICTION_CREATED = "restriction.created", "An access restriction was recorded"
    RESTRICTION_UPDATED = "restriction.updated", "An access restriction was updated or ended"
    OUTAGE_CREATED = "outage.created", "A utility outage was recorded"
    OUTAGE_RESTORED = "outage.restored", "A utility outage ended (service restored)"
    NEED_FIGURE_CREATED = "need_figure.created", "A need figure was recorded"
    NEED_FIGURE_UPDATED = "need_figure.updated", "A need figure was updated"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent (or retried)"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered (the endpoint answered 2xx)"
    FAILED = "failed", "Given up after the retry window"
    HELD = "held", "Held: the endpoint is disabled; sent when it is enabled again"
