from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from access.models import Source, UtilityOutage
from access.services.ending import check_end, ended_before_start, refuse_future_restore
from humtrack.actor import Actor
from humtrack.services import save_validated

from .sync import stored_region_id, touch_regions


def record_outage(*, actor: Actor, reason: str = "", **fields) -> UtilityOutage:
    """A utility cut in a region (electricity, internet, …); open until restored."""
    with transaction.atomic():
        outage = UtilityOutage(organisation=actor.organisation, **fields)
        refuse_future_restore(outage.restored_at)
        save_validated(outage, actor=actor, reason=reason.strip() or "Outage recorded")
        touch_regions([outage.region_id])  # its active count may have changed
    return outage


def update_outage(*, outage: UtilityOutage, actor: Actor, reason: str = "", **fields) -> UtilityOutage:
    with transaction.atomic():
        was_in = stored_region_id(outage)
        for name, value in fields.items():
            setattr(outage, name, value)
        refuse_future_restore(outage.restored_at)
        save_validated(outage, actor=actor, reason=reason or "Outage updated")
        touch_regions([was_in, outage.region_id])  # both counts, when it moved
    return outage


def restore_outages(*, outages, actor: Actor, restored_at: datetime, reason: str, source: Source) -> int:
    """Mark open outages restored at `restored_at` (when it happened: now or earlier, never later),
    saying why and on whose word. The source becomes each outage's source (its history keeps the one it
    was recorded with); the reason goes to the history. All or nothing; returns how many."""
    check_end(ended_at=restored_at, reason=reason, source=source, field="restored_at")
    count = 0
    with transaction.atomic():
        regions = set()
        for outage in outages.select_for_update().filter(restored_at__isnull=True):
            if restored_at < outage.started_at:
                raise ValidationError({"restored_at": ended_before_start(outage, outage.started_at)})
            outage.restored_at = restored_at
            outage.source = source
            save_validated(outage, actor=actor, reason=reason.strip())
            regions.add(outage.region_id)
            count += 1
        touch_regions(regions)
    return count
