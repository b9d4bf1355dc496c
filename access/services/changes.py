"""The rules of a status change, written once for a region's (status.py) and a corridor's (corridors.py).

A change names a status of its kind, says why, on whose word and how sure, and takes effect now or
earlier, never later (access.models.changes). `check_change` refuses what breaks that with one
ValidationError naming every field at fault, before any row is locked; `record_change` saves the
change attributed to who recorded it, for which partner organisation.
"""

from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.translation import gettext as _

from access.choices import Confidence
from access.models import Source
from access.models.changes import FUTURE_CHANGE, RecordedChange, is_future
from humtrack.actor import Actor
from humtrack.services import save_validated

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Change = TypeVar("Change", bound=RecordedChange)


def check_change(
    *,
    status: str,
    statuses: type[TextChoices],
    reason: str,
    source: Source | None,
    confidence: str,
    effective_at: datetime | None,
) -> None:
    """Refuse a change to a status not among `statuses`, an unknown confidence, no reason, no source,
    or a time in the future."""
    errors: dict[str, StrOrPromise] = {}
    if status not in statuses.values:
        errors["status"] = _("Unknown status %(status)r; one of: %(values)s.") % {
            "status": status,
            "values": ", ".join(statuses.values),
        }
    if confidence not in Confidence.values:
        errors["confidence"] = _("Unknown confidence %(confidence)r; one of: %(values)s.") % {
            "confidence": confidence,
            "values": ", ".join(Confidence.values),
        }
    if not (reason or "").strip():
        errors["reason"] = _("Say why the status changes.")
    if source is None:
        errors["source"] = _("Name the source of this change.")
    if is_future(effective_at):
        errors["effective_at"] = FUTURE_CHANGE
    if errors:
        raise ValidationError(errors)


def record_change(change: Change, *, actor: Actor) -> Change:
    """Save a new change, validated, recorded by `actor` (the person and the partner organisation)."""
    change.reason = change.reason.strip()
    change.recorded_by, change.organisation = actor.person, actor.organisation
    return save_validated(change, actor=actor)
