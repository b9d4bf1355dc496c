"""Access incidents: recorded with the groups they affect, and changed (access.models.incidents)."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from access.models import AccessRestriction, AffectedGroup, AidCorridor, Incident, Region, Source, UtilityOutage
from humtrack.actor import Actor
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .restrictions import affected_group_rows


def _coordinate(value: float | Decimal | None) -> Decimal | None:
    """A coordinate as stored: five decimal places (about a metre), so that a float's binary tail
    (35.3 is 35.29999…) is not refused as more precise than the field holds."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.00001"))


def _groups(codes: Iterable[str]) -> list[AffectedGroup]:
    """An incident may name no affected group (the source does not say); a restriction must name one."""
    codes = list(codes)
    return affected_group_rows(codes) if codes else []


def record_incident(
    *,
    actor: Actor,
    region: Region,
    occurred_at: datetime,
    category: str,
    incident_type: str,
    source: Source,
    confidence: str,
    perpetrator_type: str = "unknown",
    occurred_until: datetime | None = None,
    reported_at: datetime | None = None,
    latitude: float | Decimal | None = None,
    longitude: float | Decimal | None = None,
    activities_suspended: bool | None = None,
    people_unable_to_receive_aid: int | None = None,
    aid_workers_affected: int | None = None,
    affected_groups: Iterable[str] = (),
    description: str = "",
    sensitivity: str = "partners",
    restriction: AccessRestriction | None = None,
    corridor: AidCorridor | None = None,
    outage: UtilityOutage | None = None,
    reason: str = "",
) -> Incident:
    """An incident in a region, on a source's word. Validated (a point inside the region's outline, not in
    the future, a type of its category) before it is saved."""
    groups = _groups(affected_groups)
    with transaction.atomic():
        incident = Incident(
            organisation=actor.organisation,
            region=region,
            occurred_at=occurred_at,
            occurred_until=occurred_until,
            reported_at=reported_at,
            latitude=_coordinate(latitude),
            longitude=_coordinate(longitude),
            category=category,
            incident_type=incident_type,
            perpetrator_type=perpetrator_type,
            activities_suspended=activities_suspended,
            people_unable_to_receive_aid=people_unable_to_receive_aid,
            aid_workers_affected=aid_workers_affected,
            description=description,
            sensitivity=sensitivity,
            restriction=restriction,
            corridor=corridor,
            outage=outage,
            source=source,
            confidence=confidence,
        )
        save_validated(incident, actor=actor, reason=reason.strip() or "Incident recorded")
        incident.affected_groups.set(groups)
    return incident


def update_incident(
    *,
    incident: Incident,
    actor: Actor,
    reason: str = "",
    region: Region | NotGiven = NOT_GIVEN,
    occurred_at: datetime | NotGiven = NOT_GIVEN,
    occurred_until: datetime | None | NotGiven = NOT_GIVEN,
    reported_at: datetime | None | NotGiven = NOT_GIVEN,
    latitude: float | Decimal | None | NotGiven = NOT_GIVEN,
    longitude: float | Decimal | None | NotGiven = NOT_GIVEN,
    category: str | NotGiven = NOT_GIVEN,
    incident_type: str | NotGiven = NOT_GIVEN,
    perpetrator_type: str | NotGiven = NOT_GIVEN,
    activities_suspended: bool | None | NotGiven = NOT_GIVEN,
    people_unable_to_receive_aid: int | None | NotGiven = NOT_GIVEN,
    aid_workers_affected: int | None | NotGiven = NOT_GIVEN,
    affected_groups: Iterable[str] | NotGiven = NOT_GIVEN,
    description: str | NotGiven = NOT_GIVEN,
    sensitivity: str | NotGiven = NOT_GIVEN,
    restriction: AccessRestriction | None | NotGiven = NOT_GIVEN,
    corridor: AidCorridor | None | NotGiven = NOT_GIVEN,
    outage: UtilityOutage | None | NotGiven = NOT_GIVEN,
    source: Source | NotGiven = NOT_GIVEN,
    confidence: str | NotGiven = NOT_GIVEN,
) -> Incident:
    """Change an incident (`incident` as stored; the arguments given are the changes)."""
    groups = NOT_GIVEN if isinstance(affected_groups, NotGiven) else _groups(affected_groups)
    with transaction.atomic():
        data = {
            "region": region,
            "occurred_at": occurred_at,
            "occurred_until": occurred_until,
            "reported_at": reported_at,
            "latitude": latitude if isinstance(latitude, NotGiven) else _coordinate(latitude),
            "longitude": longitude if isinstance(longitude, NotGiven) else _coordinate(longitude),
            "category": category,
            "incident_type": incident_type,
            "perpetrator_type": perpetrator_type,
            "activities_suspended": activities_suspended,
            "people_unable_to_receive_aid": people_unable_to_receive_aid,
            "aid_workers_affected": aid_workers_affected,
            "affected_groups": groups,
            "description": description,
            "sensitivity": sensitivity,
            "restriction": restriction,
            "corridor": corridor,
            "outage": outage,
            "source": source,
            "confidence": confidence,
        }
        model_update(instance=incident, data=data, actor=actor, reason=reason.strip() or "Incident updated")
    return incident
