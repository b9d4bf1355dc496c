"""A region's access status: the one way it changes, and the regions whose shown status follows it."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from access.alerts.outbox import record_status_change_event
from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.payloads import region_payload
from access.choices import AccessStatus
from access.models import Region, Source, StatusChange
from access.selectors.status import latest_status_change, regions_taking_status_from, status_change_in_force
from humtrack.actor import Actor
from humtrack.history import stamp

from .changes import check_change, record_change


def change_access_status(
    *,
    region: Region,
    status: str,
    reason: str,
    source: Source,
    confidence: str,
    actor: Actor,
    effective_at: datetime | None = None,
    silent: bool = False,
) -> StatusChange | None:
    """Record a change of a region's access status; None when it is already in that status.

    The only way a status changes (admin, API and imports call it). It locks the region's row so two
    concurrent changes are serialised, records an append-only StatusChange, and keeps the region's
    current status equal to the latest effective change.
    """
    check_change(
        status=status,
        statuses=AccessStatus,
        reason=reason,
        source=source,
        confidence=confidence,
        effective_at=effective_at,
    )
    with transaction.atomic():
        locked = Region.objects.select_for_update().get(pk=region.pk)
        # "Now" is read under the lock: read before it, a change that waited for the lock could be
        # older than the one it waited for, and the from/to chain would break.
        effective_at = effective_at or timezone.now()
        in_force = status_change_in_force(locked, effective_at)
        # Only the region's own record makes a change a no-op: a first explicit `unknown`, or a district
        # stating the status it inherits, is a record of its own (see access.selectors.status).
        from_status = in_force.to_status if in_force else ""
        if from_status == status:
            return None
        change = record_change(
            StatusChange(
                region=locked,
                from_status=from_status,
                to_status=status,
                reason=reason,
                source=source,
                confidence=confidence,
                effective_at=effective_at,
                silent=silent,
            ),
            actor=actor,
        )
        # A back-dated change does not override a later one already in force.
        became_current = latest_status_change(locked) == change
        if became_current:
            locked.access_status = status
            locked.current_status_change = change
            stamp(locked, actor, reason)
            locked.save(update_fields=["access_status", "current_status_change", "updated_at"])
            region.access_status, region.current_status_change = status, change
            touch_regions_inheriting_from(locked)
        # The outbox: the alert commits or rolls back with the change (none for a silent one).
        record_status_change_event(change, became_current=became_current)
        if became_current and not silent:
            # Partners' systems hear what their GET of the region now shows. Silent changes alert no
            # subscriber, people or systems (docs/alerts.md); a back-dated one changes nothing shown.
            record_webhook_event(event_type=WebhookEventType.REGION_STATUS_CHANGED, data=region_payload(locked))
        return change


def touch_regions_inheriting_from(region: Region) -> int:
    """Stamp `updated_at` on the regions under `region` whose effective status is its record, in one
    UPDATE: their representation changed without a write of their own, and a partner syncing with
    `resume` / `updated_since` must see it (docs/api.md, "Sync"). Called when the region's current change
    changes, after it is saved. Those are the regions that inherited from it before too, or, if this
    is its first record, those that inherited from above it (or had none): whichever regions under it
    have no record of their own nearer than it. A back-dated change that does not become current
    changes no one's effective status, and touches no one."""
    inheriting = regions_taking_status_from(region).exclude(pk=region.pk).values("pk")
    # Locked top-down first (an UPDATE locks in no set order): a concurrent change to a region above,
    # touching this one and those under it, then waits for this one rather than deadlocking with it.
    locked = list(Region.objects.select_for_update().filter(pk__in=inheriting).order_by("path").values_list("pk"))
    return Region.objects.filter(pk__in=[pk for (pk,) in locked]).update(updated_at=region.updated_at)
