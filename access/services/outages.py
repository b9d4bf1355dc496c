"""Utility outages: recorded, changed, and restored when the service comes back."""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.payloads import outage_payloads
from access.choices import OutageCause, OutageExtent
from access.models import Region, Source, UtilityOutage
from humtrack.actor import Actor
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .ending import end_facts
from .sync import touch_regions


def record_outage(
    *,
    actor: Actor,
    region: Region,
    utility: str,
    started_at: datetime,
    source: Source,
    confidence: str,
    restored_at: datetime | None = None,
    cause: str = OutageCause.UNKNOWN,
    cause_detail: str = "",
    extent: str = OutageExtent.UNKNOWN,
    reason: str = "",
) -> UtilityOutage:
    """A utility cut in a region (electricity, internet, …); open until restored."""
    with transaction.atomic():
        outage = UtilityOutage(
            organisation=actor.organisation,
            region=region,
            utility=utility,
            started_at=started_at,
            restored_at=restored_at,
            cause=cause,
            cause_detail=cause_detail,
            extent=extent,
            source=source,
            confidence=confidence,
        )
        save_validated(outage, actor=actor, reason=reason.strip() or "Outage recorded")
        touch_regions([outage.region_id])  # its active count may have changed
        record_webhook_event(event_type=WebhookEventType.OUTAGE_CREATED, data=outage_payloads([outage])[0])
    return outage


def update_outage(
    *,
    outage: UtilityOutage,
    actor: Actor,
    reason: str = "",
    region: Region | NotGiven = NOT_GIVEN,
    utility: str | NotGiven = NOT_GIVEN,
    started_at: datetime | NotGiven = NOT_GIVEN,
    restored_at: datetime | None | NotGiven = NOT_GIVEN,
    cause: str | NotGiven = NOT_GIVEN,
    cause_detail: str | NotGiven = NOT_GIVEN,
    extent: str | NotGiven = NOT_GIVEN,
    source: Source | NotGiven = NOT_GIVEN,
    confidence: str | NotGiven = NOT_GIVEN,
) -> UtilityOutage:
    """Change an outage (`outage` as stored; the arguments given are the changes)."""
    with transaction.atomic():
        was_in, was_restored = outage.region_id, outage.restored_at is not None
        data = {
            "region": region,
            "utility": utility,
            "started_at": started_at,
            "restored_at": restored_at,
            "cause": cause,
            "cause_detail": cause_detail,
            "extent": extent,
            "source": source,
            "confidence": confidence,
        }
        if model_update(instance=outage, data=data, actor=actor, reason=reason.strip() or "Outage updated"):
            touch_regions([was_in, outage.region_id])  # both counts, when it moved
            # Partners hear of an outage's end (there is no event for other corrections of an outage).
            if not was_restored and outage.restored_at is not None:
                record_webhook_event(event_type=WebhookEventType.OUTAGE_RESTORED, data=outage_payloads([outage])[0])
    return outage


def restore_outages(
    *, outages: QuerySet[UtilityOutage], actor: Actor, restored_at: datetime, reason: str, source: Source
) -> int:
    """Mark open outages restored at `restored_at` (when it happened: now or earlier, never later),
    saying why and on whose word (access.services.ending). All or nothing; returns how many."""
    return end_facts(
        facts=outages, actor=actor, ended_at=restored_at, reason=reason, source=source, field="restored_at"
    )
