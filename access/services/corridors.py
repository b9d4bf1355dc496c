from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.alerts.outbox import record_corridor_change_event
from access.choices import Confidence, CorridorStatus
from access.models import AidCorridor, CorridorStatusChange, CorridorWaypoint, Region, Source
from humtrack.actor import Actor
from humtrack.history import stamp
from humtrack.services import save_validated

from .status import FUTURE_TOLERANCE


def _set_waypoints(corridor: AidCorridor, regions: list[Region]) -> None:
    if len(regions) < 2:
        raise ValidationError({"regions": "A corridor passes through at least two regions."})
    if regions[0] != corridor.origin or regions[-1] != corridor.destination:
        raise ValidationError({"regions": "The route must start at the origin and end at the destination."})
    corridor.waypoints.all().delete()
    CorridorWaypoint.objects.bulk_create(
        CorridorWaypoint(corridor=corridor, region=region, position=i) for i, region in enumerate(regions)
    )


def create_corridor(
    *,
    actor: Actor,
    regions: list[Region],
    status: str,
    source: Source,
    confidence: str,
    reason: str = "Corridor recorded",
    effective_at: datetime | None = None,
    **fields,
) -> AidCorridor:
    """A corridor through `regions` in order (origin first, destination last) with its first status."""
    if not regions:
        raise ValidationError({"regions": "A corridor passes through at least two regions."})
    with transaction.atomic():
        corridor = AidCorridor(
            organisation=actor.organisation,
            origin=regions[0],
            destination=regions[-1],
            status=status,
            status_since=effective_at or timezone.now(),
            source=source,
            confidence=confidence,
            **fields,
        )
        if status not in CorridorStatus.values:
            raise ValidationError({"status": f"One of: {', '.join(CorridorStatus.values)}."})
        save_validated(corridor, actor=actor, reason=reason)
        _set_waypoints(corridor, regions)
        CorridorStatusChange.objects.create(
            corridor=corridor,
            from_status="",
            to_status=status,
            reason=reason,
            source=source,
            confidence=confidence,
            effective_at=corridor.status_since,
            recorded_by=actor.user,
            organisation=actor.organisation,
        )
    return corridor


def update_corridor(
    *, corridor: AidCorridor, actor: Actor, reason: str = "", regions: list[Region] | None = None, **fields
) -> AidCorridor:
    """Change a corridor's description or route. Its status changes through change_corridor_status."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(corridor, name, value)
        if regions is not None:
            if not regions:
                raise ValidationError({"regions": "A corridor passes through at least two regions."})
            corridor.origin, corridor.destination = regions[0], regions[-1]
        save_validated(corridor, actor=actor, reason=reason or "Corridor updated")
        if regions is not None:
            _set_waypoints(corridor, regions)
    return corridor


def change_corridor_status(
    *,
    corridor: AidCorridor,
    status: str,
    reason: str,
    source: Source,
    confidence: str,
    actor: Actor,
    effective_at: datetime | None = None,
    silent: bool = False,
) -> CorridorStatusChange | None:
    """Open, restrict or close a corridor; None when it already has that status. Locks the row."""
    errors = {}
    if status not in CorridorStatus.values:
        errors["status"] = f"One of: {', '.join(CorridorStatus.values)}."
    if confidence not in Confidence.values:
        errors["confidence"] = f"One of: {', '.join(Confidence.values)}."
    if not (reason or "").strip():
        errors["reason"] = "Say why the corridor's status changes."
    now = timezone.now()
    effective_at = effective_at or now
    if effective_at > now + FUTURE_TOLERANCE:
        errors["effective_at"] = "A change cannot take effect in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = AidCorridor.objects.select_for_update().get(pk=corridor.pk)
        if locked.status == status:
            return None
        change = CorridorStatusChange(
            corridor=locked,
            from_status=locked.status,
            to_status=status,
            reason=reason.strip(),
            source=source,
            confidence=confidence,
            effective_at=effective_at,
            recorded_by=actor.user,
            organisation=actor.organisation,
            silent=silent,
        )
        change.full_clean()
        change.save()
        locked.status, locked.status_since = status, effective_at
        locked.last_verified_at = max(filter(None, [locked.last_verified_at, effective_at]))
        stamp(locked, actor, reason)
        locked.save(update_fields=["status", "status_since", "last_verified_at", "updated_at"])
        corridor.status, corridor.status_since = status, effective_at
        # The outbox: the alert commits or rolls back with the change (none for a silent one).
        record_corridor_change_event(change)
        return change
