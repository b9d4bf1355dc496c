from datetime import datetime

from django.db import transaction
from django.utils import timezone

from access.models import UtilityOutage
from humtrack.actor import Actor
from humtrack.services import save_validated

from .sync import stored_region_id, touch_regions


def record_outage(*, actor: Actor, **fields) -> UtilityOutage:
    """A utility cut in a region (electricity, internet, …); open until restored."""
    with transaction.atomic():
        outage = save_validated(
            UtilityOutage(organisation=actor.organisation, **fields), actor=actor, reason="Outage recorded"
        )
        touch_regions([outage.region_id])  # its active count may have changed
    return outage


def update_outage(*, outage: UtilityOutage, actor: Actor, reason: str = "", **fields) -> UtilityOutage:
    with transaction.atomic():
        was_in = stored_region_id(outage)
        for name, value in fields.items():
            setattr(outage, name, value)
        save_validated(outage, actor=actor, reason=reason or "Outage updated")
        touch_regions([was_in, outage.region_id])  # both counts, when it moved
    return outage


def restore_outages(*, outages, actor: Actor, restored_at: datetime | None = None) -> int:
    """Mark open outages restored (at `restored_at`, default now). All or nothing; returns how many."""
    restored_at = restored_at or timezone.now()
    count = 0
    with transaction.atomic():
        regions = set()
        for outage in outages.select_for_update().filter(restored_at__isnull=True):
            outage.restored_at = restored_at
            save_validated(outage, actor=actor, reason="Marked restored")
            regions.add(outage.region_id)
            count += 1
        touch_regions(regions)
    return count
