from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from access.choices import AffectedGroupCode
from access.models import AccessRestriction, AffectedGroup, Source
from access.services.ending import check_end, ended_before_start
from humtrack.actor import Actor
from humtrack.services import save_validated

from .sync import stored_region_id, touch_regions


def _affected_groups(codes) -> list[AffectedGroup]:
    codes = list(dict.fromkeys(codes or []))
    unknown = [c for c in codes if c not in AffectedGroupCode.values]
    if unknown:
        raise ValidationError({"affected_groups": f"Unknown group(s): {', '.join(map(str, unknown))}."})
    if not codes:
        raise ValidationError({"affected_groups": "Say who the restriction affects."})
    # The codes are the enum's; the rows are only targets for the many-to-many. Seeded by migration 0002,
    # but a flushed database (a restore, a transactional test) has none: a restriction must never be
    # saved affecting nobody because a row was missing.
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in codes], ignore_conflicts=True)
    return list(AffectedGroup.objects.filter(code__in=codes))


def record_restriction(*, actor: Actor, affected_groups, reason: str = "", **fields) -> AccessRestriction:
    """An access constraint in a region, affecting the named groups; active until it ends."""
    groups = _affected_groups(affected_groups)
    with transaction.atomic():
        restriction = AccessRestriction(organisation=actor.organisation, **fields)
        save_validated(restriction, actor=actor, reason=reason.strip() or "Restriction recorded")
        restriction.affected_groups.set(groups)
        touch_regions([restriction.region_id])  # its active count may have changed
    return restriction


def update_restriction(
    *, restriction: AccessRestriction, actor: Actor, reason: str = "", affected_groups=None, **fields
) -> AccessRestriction:
    groups = _affected_groups(affected_groups) if affected_groups is not None else None
    with transaction.atomic():
        was_in = stored_region_id(restriction)
        for name, value in fields.items():
            setattr(restriction, name, value)
        save_validated(restriction, actor=actor, reason=reason or "Restriction updated")
        if groups is not None:
            restriction.affected_groups.set(groups)
        touch_regions([was_in, restriction.region_id])  # both counts, when it moved
    return restriction


def end_restrictions(*, restrictions, actor: Actor, ended_at: datetime, reason: str, source: Source) -> int:
    """End active restrictions at `ended_at` (when it happened: now or earlier, never later), saying why
    and on whose word. The source becomes each restriction's source (its history keeps the one it was
    recorded with); the reason goes to the history. All or nothing; returns how many were ended.

    An end announced for a later date is not "ended": set the restriction's `ends_at` (update_restriction).
    """
    check_end(ended_at=ended_at, reason=reason, source=source, field="ended_at")
    count = 0
    with transaction.atomic():
        regions = set()
        for restriction in restrictions.select_for_update().filter(ends_at__isnull=True):
            if ended_at < restriction.starts_at:
                raise ValidationError({"ended_at": ended_before_start(restriction, restriction.starts_at)})
            restriction.ends_at = ended_at
            restriction.source = source
            save_validated(restriction, actor=actor, reason=reason.strip())
            regions.add(restriction.region_id)
            count += 1
        touch_regions(regions)
    return count
