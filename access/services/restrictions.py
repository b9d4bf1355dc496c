from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.choices import AffectedGroupCode
from access.models import AccessRestriction, AffectedGroup
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


def record_restriction(*, actor: Actor, affected_groups, **fields) -> AccessRestriction:
    """An access constraint in a region, affecting the named groups; active until it ends."""
    groups = _affected_groups(affected_groups)
    with transaction.atomic():
        restriction = AccessRestriction(organisation=actor.organisation, **fields)
        save_validated(restriction, actor=actor, reason="Restriction recorded")
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


def end_restrictions(*, restrictions, actor: Actor, ended_at: datetime | None = None) -> int:
    """End active restrictions (at `ended_at`, default now). All or nothing; returns how many."""
    ended_at = ended_at or timezone.now()
    count = 0
    with transaction.atomic():
        regions = set()
        for restriction in restrictions.select_for_update().filter(ends_at__isnull=True):
            restriction.ends_at = ended_at
            save_validated(restriction, actor=actor, reason="Marked ended")
            regions.add(restriction.region_id)
            count += 1
        touch_regions(regions)
    return count
