"""A coordinator's override of a month's access-severity indicator for a region (access.selectors.severity):
set with a reason and a source, or cleared to let the computed score stand again."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from access.models import Region, SeverityOverride, Source
from access.policies import can_change_region
from humtrack.actor import Actor
from humtrack.history import stamp
from humtrack.services import save_validated


def _refuse_unless_theirs(actor: Actor, region: Region) -> None:
    # The same rule as every other fact of a region: its coordinators (and superusers) write it.
    if not can_change_region(actor, region):
        raise PermissionDenied(_("You do not coordinate %(region)s.") % {"region": region})


def set_severity_override(
    *,
    actor: Actor,
    region: Region,
    month: date,
    indicator: str,
    score: int | None,
    reason: str,
    source: Source,
    confidence: str,
) -> SeverityOverride:
    """Replace the computed score of one indicator of the region's month by `score` (None: "no
    information", ACAPS's X). Setting it again changes the one override, with its history."""
    _refuse_unless_theirs(actor, region)
    with transaction.atomic():
        override = (
            SeverityOverride.objects.select_for_update().filter(region=region, month=month, indicator=indicator).first()
        ) or SeverityOverride(region=region, month=month, indicator=indicator, organisation=actor.organisation)
        override.score = score
        override.reason = reason.strip()
        override.source = source
        override.confidence = confidence
        return save_validated(override, actor=actor, reason=override.reason)


def clear_severity_override(*, actor: Actor, override: SeverityOverride, reason: str = "") -> None:
    """Remove an override: the indicator shows its computed score again. The history keeps the override."""
    _refuse_unless_theirs(actor, override.region)
    with transaction.atomic():
        stamp(override, actor, reason.strip() or "Severity override cleared")
        override.delete()
