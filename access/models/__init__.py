"""The access app's models, one module per concept; the alert pipeline's live in access.alerts.models."""

from access.alerts.models import AlertDelivery, AlertEvent, CoordinatorNotice, Subscription
from access.alerts.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

from .corridors import AidCorridor, CorridorStatusChange, CorridorWaypoint
from .incidents import Incident, SeverityOverride
from .outages import UtilityOutage
from .regions import CoordinatorAssignment, Region
from .restrictions import AccessRestriction, AffectedGroup
from .sources import Source, SourcedFact
from .status import StatusChange

__all__ = [
    "AccessRestriction",
    "AffectedGroup",
    "AlertDelivery",
    "AlertEvent",
    "CoordinatorNotice",
    "AidCorridor",
    "CoordinatorAssignment",
    "CorridorStatusChange",
    "Incident",
    "CorridorWaypoint",
    "Region",
    "SeverityOverride",
    "Source",
    "Subscription",
    "SourcedFact",
    "StatusChange",
    "UtilityOutage",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
