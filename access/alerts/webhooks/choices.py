"""Webhook value sets. Machine values are a contract (the API, the payloads, the database): never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEventType(models.TextChoices):
    REGION_STATUS_CHANGED = "region.status_changed", _("A region's access status changed")
    CORRIDOR_STATUS_CHANGED = "corridor.status_changed", _("An aid corridor's status changed")
    RESTRICTION_CREATED = "restriction.created", _("An access restriction was recorded")
    RESTRICTION_UPDATED = "restriction.updated", _("An access restriction was updated or ended")
    OUTAGE_CREATED = "outage.created", _("A utility outage was recorded")
    OUTAGE_RESTORED = "outage.restored", _("A utility outage ended (service restored)")
    NEED_FIGURE_CREATED = "need_figure.created", _("A need figure was recorded")
    NEED_FIGURE_UPDATED = "need_figure.updated", _("A need figure was updated")
    # Every organisation's endpoints receive these: a non-public incident's description and point are
    # left out (access.alerts.webhooks.payloads.incident_payload).
    INCIDENT_CREATED = "incident.created", _("An access incident was recorded")
    INCIDENT_UPDATED = "incident.updated", _("An access incident was updated")


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent (or retried)")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered (the endpoint answered 2xx)")
    FAILED = "failed", _("Given up after the retry window")
    HELD = "held", _("Held: the endpoint is disabled; sent when it is enabled again")
