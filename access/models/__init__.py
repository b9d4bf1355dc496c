from .alerts import AlertDelivery, AlertEvent, CoordinatorNotice, Subscription
from .corridors import AidCorridor, CorridorStatusChange, CorridorWaypoint
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
    "CorridorWaypoint",
    "Region",
    "Source",
    "Subscription",
    "SourcedFact",
    "StatusChange",
    "UtilityOutage",
]
