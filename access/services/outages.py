from datetime import datetime

from django.db import transaction
from django.utils import timezone

from access.models import UtilityOutage
from humtrack.actor import Actor
from humtrack.services import save_validated


def record_outage(*, actor: Actor, **fields) -> UtilityOutage:
    """A utility cut in a region (electricity, internet, …); open until restored."""
    outage = UtilityOutage(organisation=actor.organisation, **fields)
    return save_validated(outage, actor=actor, reason="Outage recorded")


def update_outage(*, outage: UtilityOutage, actor: Actor, reason: str = "", **fields) -> UtilityOutage:
    for name, value in fields.items():
        setattr(outage, name, value)
    return save_validated(outage, actor=actor, reason=reason or "Outage updated")


def restore_outages(*, outages, actor: Actor, restored_at: datetime | None = None) -> int:
    """Mark open outages restored (at `restored_at`, default now). All or nothing; returns how many."""
    restored_at = restored_at or timezone.now()
    count = 0
    with transaction.atomic():
        for outage in outages.select_for_update().filter(restored_at__isnull=True):
            outage.restored_at = restored_at
            save_validated(outage, actor=actor, reason="Marked restored")
            count += 1
    return count
