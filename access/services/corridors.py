"""Aid corridors: recorded with their route and first status, described, and opened, restricted or closed."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.alerts.outbox import record_corridor_change_event
from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.payloads import corridor_payload
from access.choices import CorridorStatus
from access.models import AidCorridor, CorridorStatusChange, CorridorWaypoint, Region, Source
from humtrack.actor import Actor
from humtrack.history import stamp
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .changes import check_change, record_change


def _check_route(regions: list[Region]) -> None:
    if len(regions) < 2:
        raise ValidationError({"regions": _("A corridor passes through at least two regions.")})


def _set_waypoints(corridor: AidCorridor, regions: list[Region]) -> None:
    if regions[0] != corridor.origin or regions[-1] != corridor.destination:
        raise ValidationError({"regions": _("The route must start at the origin and end at the destination.")})
    corridor.waypoints.all().delete()
    CorridorWaypoint.objects.bulk_create(
        CorridorWaypoint(corridor=corridor, region=region, position=i) for i, region in enumerate(regions)
    )


def _route_of(corridor: AidCorridor) -> list[int]:
    return list(corridor.waypoints.order_by("position").values_list("region_id", flat=True))


def create_corridor(
    *,
    actor: Actor,
    name: str,
    regions: list[Region],
    status: str,
    source: Source,
    confidence: str,
    last_verified_at: datetime | None = None,
    notes: str = "",
    reason: str = "Corridor recorded",
    effective_at: datetime | None = None,
) -> AidCorridor:
    """A corridor through `regions` in order (origin first, destination last) with its first status,
    a change like every later one (check_change), recorded for the actor's organisation."""
    check_change(
        status=status,
        statuses=CorridorStatus,
        reason=reason,
        source=source,
        confidence=confidence,
        effective_at=effective_at,
    )
    _check_route(regions)
    since = effective_at or timezone.now()
    with transaction.atomic():
        corridor = AidCorridor(
            organisation=actor.organisation,
            name=name,
            origin=regions[0],
            destination=regions[-1],
            status=status,
            status_since=since,
            source=source,
            confidence=confidence,
            last_verified_at=last_verified_at,
            notes=notes,
        )
        save_validated(corridor, actor=actor, reason=reason)
        _set_waypoints(corridor, regions)
        record_change(
            CorridorStatusChange(
                corridor=corridor,
                from_status="",
                to_status=status,
                reason=reason,
                source=source,
                confidence=confidence,
                effective_at=since,
            ),
            actor=actor,
        )
    return corridor


def update_corridor(
    *,
    corridor: AidCorridor,
    actor: Actor,
    reason: str = "",
    name: str | NotGiven = NOT_GIVEN,
    regions: list[Region] | NotGiven = NOT_GIVEN,
    source: Source | NotGiven = NOT_GIVEN,
    confidence: str | NotGiven = NOT_GIVEN,
    last_verified_at: datetime | None | NotGiven = NOT_GIVEN,
    notes: str | NotGiven = NOT_GIVEN,
) -> AidCorridor:
    """Change a corridor's description or route (`corridor` as stored; the arguments given are the
    changes). Its status changes through change_corridor_status."""
    route = None if isinstance(regions, NotGiven) else regions
    if route is not None:
        _check_route(route)
    reason = reason or "Corridor updated"
    with transaction.atomic():
        rerouted = route is not None and [region.pk for region in route] != _route_of(corridor)
        changed = model_update(
            instance=corridor,
            data={
                "name": name,
                "origin": route[0] if route else NOT_GIVEN,
                "destination": route[-1] if route else NOT_GIVEN,
                "source": source,
                "confidence": confidence,
                "last_verified_at": last_verified_at,
                "notes": notes,
            },
            actor=actor,
            reason=reason,
        )
        if route is not None and rerouted:
            if not changed:  # only the stops between its ends: the route is part of what a corridor shows
                save_validated(corridor, actor=actor, reason=reason)
            _set_waypoints(corridor, route)
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
    check_change(
        status=status,
        statuses=CorridorStatus,
        reason=reason,
        source=source,
        confidence=confidence,
        effective_at=effective_at,
    )
    with transaction.atomic():
        locked = AidCorridor.objects.select_for_update().get(pk=corridor.pk)
        if locked.status == status:
            return None
        effective_at = effective_at or timezone.now()
        change = record_change(
            CorridorStatusChange(
                corridor=locked,
                from_status=locked.status,
                to_status=status,
                reason=reason,
                source=source,
                confidence=confidence,
                effective_at=effective_at,
                silent=silent,
            ),
            actor=actor,
        )
        locked.status, locked.status_since = status, effective_at
        locked.last_verified_at = max(filter(None, [locked.last_verified_at, effective_at]))
        stamp(locked, actor, reason)
        locked.save(update_fields=["status", "status_since", "last_verified_at", "updated_at"])
        corridor.status, corridor.status_since = status, effective_at
        # The outbox: the alert commits or rolls back with the change (none for a silent one).
        record_corridor_change_event(change)
        if not silent:  # as for emails: a silent change alerts no subscriber
            record_webhook_event(event_type=WebhookEventType.CORRIDOR_STATUS_CHANGED, data=corridor_payload(locked))
        return change
