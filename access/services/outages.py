from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from access.models import Source, UtilityOutage
from access.services.ending import check_end, ended_before_start, refuse_future_restore
from humtrack.actor import Actor
from humtrack.services import save_validated


def record_outage(*, actor: Actor, **fields) -> UtilityOutage:
    """A utility cut in a region (electricity, internet, …); open until restored."""
    outage = UtilityOutage(organisation=actor.organisation, **fields)
    refuse_future_restore(outage.restored_at)
    return save_validated(outage, actor=actor, reason="Outage recorded")


def update_outage(*, outage: UtilityOutage, actor: Actor, reason: str = "", **fields) -> UtilityOutage:
    for name, value in fields.items():
        setattr(outage, name, value)
    refuse_future_restore(outage.restored_at)
    return save_validated(outage, actor=actor, reason=reason or "Outage updated")


def restore_outages(*, outages, actor: Actor, restored_at: datetime, reason: str, source: Source) -> int:
    """Mark open outages restored at `restored_at` (when it happened: now or earlier, never later),
    saying why and on whose word. The source becomes each outage's source (its history keeps the one it
    was recorded with); the reason goes to the history. All or nothing; returns how many."""
    check_end(ended_at=restored_at, reason=reason, source=source, field="restored_at")
    count = 0
    with transaction.atomic():
        for outage in outages.select_for_update().filter(restored_at__isnull=True):
            if restored_at < outage.started_at:
                raise ValidationError({"restored_at": ended_before_start(outage, outage.started_at)})
            outage.restored_at = restored_at
            outage.source = source
            save_validated(outage, actor=actor, reason=reason.strip())
            count += 1
    return count
