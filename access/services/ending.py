"""The rules for ending a fact (a restriction ended, an outage restored) at the time it happened.

A fact ends when it happened on the ground, not when someone got round to recording it: the time is
given, never in the future (an outage cannot be known restored in advance), never before the fact
began, and the end says why and on whose word. The services in restrictions.py and outages.py call
these checks; admin actions and the API show their messages on the field they name.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.models import Source
from access.services.status import FUTURE_TOLERANCE


def is_future(moment: datetime | None) -> bool:
    # Clocks drift: "now" from a partner a little ahead of us is not the future (as for status changes).
    return moment is not None and moment > timezone.now() + FUTURE_TOLERANCE


FUTURE_END = {
    "ended_at": gettext_lazy(
        "A restriction cannot be ended in the future here; to announce a later end, set its end date."
    ),
    "restored_at": gettext_lazy("An outage cannot be restored in the future; record the restoration when it happens."),
}


def check_end(*, ended_at: datetime | None, reason: str, source: Source | None, field: str) -> None:
    """Refuse an end without a time, in the future, without a reason or without a source."""
    errors = {}
    if ended_at is None:
        errors[field] = _("Say when it happened.")
    elif is_future(ended_at):
        errors[field] = FUTURE_END[field]
    if not (reason or "").strip():
        errors["reason"] = _("Say why (what happened, in a sentence partners will read).")
    if source is None:
        errors["source"] = _("Name the source that reports the end.")
    if errors:
        raise ValidationError(errors)


def refuse_future_restore(restored_at: datetime | None) -> None:
    if is_future(restored_at):
        raise ValidationError({"restored_at": FUTURE_END["restored_at"]})


def ended_before_start(fact, started_at: datetime) -> str:
    return _("%(fact)s started on %(start)s UTC, after this time: it cannot end before it started.") % {
        "fact": fact,
        "start": f"{started_at:%Y-%m-%d %H:%M}",
    }
