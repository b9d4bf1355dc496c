"""Access restrictions: recorded with the groups they affect, changed, and ended when they end."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.payloads import restriction_payloads
from access.choices import AffectedGroupCode
from access.models import AccessRestriction, AffectedGroup, AidCorridor, Region, Source
from humtrack.actor import Actor
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .ending import end_facts
from .sync import touch_regions


def affected_group_rows(codes: Iterable[str]) -> list[AffectedGroup]:
    codes = list(dict.fromkeys(codes))
    unknown = [c for c in codes if c not in AffectedGroupCode.values]
    if unknown:
        raise ValidationError(
            {"affected_groups": _("Unknown group(s): %(groups)s.") % {"groups": ", ".join(map(str, unknown))}}
        )
    if not codes:
        raise ValidationError({"affected_groups": _("Say who the restriction affects.")})
    # The codes are the enum's; the rows are only targets for the many-to-many. Seeded by migration 0002,
    # but a flushed database (a restore, a transactional test) has none: a restriction must never be
    # saved affecting nobody because a row was missing.
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in codes], ignore_conflicts=True)
    return list(AffectedGroup.objects.filter(code__in=codes))


def record_restriction(
    *,
    actor: Actor,
    region: Region,
    category: str,
    severity: str,
    affected_groups: Iterable[str],
    starts_at: datetime,
    source: Source,
    confidence: str,
    corridor: AidCorridor | None = None,
    description: str = "",
    imposed_by: str = "",
    ends_at: datetime | None = None,
    reason: str = "",
) -> AccessRestriction:
    """An access constraint in a region, affecting the named groups (codes); active until it ends."""
    groups = affected_group_rows(affected_groups)
    with transaction.atomic():
        restriction = AccessRestriction(
            organisation=actor.organisation,
            region=region,
            corridor=corridor,
            category=category,
            severity=severity,
            description=description,
            imposed_by=imposed_by,
            starts_at=starts_at,
            ends_at=ends_at,
            source=source,
            confidence=confidence,
        )
        save_validated(restriction, actor=actor, reason=reason.strip() or "Restriction recorded")
        restriction.affected_groups.set(groups)
        touch_regions([restriction.region_id])  # its active count may have changed
        record_webhook_event(
            event_type=WebhookEventType.RESTRICTION_CREATED, data=restriction_payloads([restriction])[0]
        )
    return restriction


def update_restriction(
    *,
    restriction: AccessRestriction,
    actor: Actor,
    reason: str = "",
    region: Region | NotGiven = NOT_GIVEN,
    corridor: AidCorridor | None | NotGiven = NOT_GIVEN,
    category: str | NotGiven = NOT_GIVEN,
    severity: str | NotGiven = NOT_GIVEN,
    affected_groups: Iterable[str] | NotGiven = NOT_GIVEN,
    description: str | NotGiven = NOT_GIVEN,
    imposed_by: str | NotGiven = NOT_GIVEN,
    starts_at: datetime | NotGiven = NOT_GIVEN,
    ends_at: datetime | None | NotGiven = NOT_GIVEN,
    source: Source | NotGiven = NOT_GIVEN,
    confidence: str | NotGiven = NOT_GIVEN,
) -> AccessRestriction:
    """Change a restriction (`restriction` as stored; the arguments given are the changes). An end
    announced for a later date is set here (`ends_at`); one that came is recorded by end_restrictions."""
    groups = NOT_GIVEN if isinstance(affected_groups, NotGiven) else affected_group_rows(affected_groups)
    with transaction.atomic():
        was_in = restriction.region_id
        data = {
            "region": region,
            "corridor": corridor,
            "category": category,
            "severity": severity,
            "affected_groups": groups,
            "description": description,
            "imposed_by": imposed_by,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "source": source,
            "confidence": confidence,
        }
        if model_update(instance=restriction, data=data, actor=actor, reason=reason.strip() or "Restriction updated"):
            touch_regions([was_in, restriction.region_id])  # both counts, when it moved
            record_webhook_event(
                event_type=WebhookEventType.RESTRICTION_UPDATED, data=restriction_payloads([restriction])[0]
            )
    return restriction


def end_restrictions(
    *, restrictions: QuerySet[AccessRestriction], actor: Actor, ended_at: datetime, reason: str, source: Source
) -> int:
    """End active restrictions at `ended_at` (when it happened: now or earlier, never later), saying why
    and on whose word (access.services.ending). All or nothing; returns how many were ended.

    An end announced for a later date is not "ended": set the restriction's `ends_at` (update_restriction).
    """
    return end_facts(facts=restrictions, actor=actor, ended_at=ended_at, reason=reason, source=source, field="ended_at")
