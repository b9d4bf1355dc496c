"""Ending a fact (a restriction ended, an outage restored) at the time it happened: the rules, and the
one write that applies them to the selected facts.

A fact ends when it happened on the ground, not when someone got round to recording it: the time is
given, never in the future (an outage cannot be known restored in advance), never before the fact
began, and the end says why and on whose word. end_restrictions (restrictions.py) and restore_outages
(outages.py) are this write under their own names; admin actions and the API show its messages on the
field they name.
"""

from datetime import datetime
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import Announcement, record_webhook_events
from access.alerts.webhooks.payloads import outage_payloads, restriction_payloads
from access.models import AccessRestriction, Source, UtilityOutage
from access.models.changes import is_future
from access.models.outages import RESTORED_IN_THE_FUTURE
from humtrack.actor import Actor
from humtrack.services import save_validated

from .sync import touch_regions

Fact = TypeVar("Fact", AccessRestriction, UtilityOutage)

FUTURE_END = {
    "ended_at": gettext_lazy(
        "A restriction cannot be ended in the future here; to announce a later end, set its end date."
    ),
    "restored_at": RESTORED_IN_THE_FUTURE,
}


def check_end(*, ended_at: datetime | None, reason: str, source: Source | None, field: str) -> None:
    """Refuse an end without a time, in the future, without a reason or without a source."""
    errors: dict[str, str | Promise] = {}
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


def ended_before_start(fact: AccessRestriction | UtilityOutage, started_at: datetime) -> str:
    return _("%(fact)s started on %(start)s UTC, after this time: it cannot end before it started.") % {
        "fact": fact,
        "start": f"{started_at:%Y-%m-%d %H:%M}",
    }


def end_facts(
    *, facts: QuerySet[Fact], actor: Actor, ended_at: datetime, reason: str, source: Source, field: str
) -> int:
    """End the facts among `facts` still open at `ended_at`, on `source`'s word, saying why; `field` is
    the caller's name for the time (its errors name it). The source becomes each fact's source (its
    history keeps the one it was recorded with); the reason goes to the history. All or nothing;
    returns how many were ended."""
    check_end(ended_at=ended_at, reason=reason, source=source, field=field)
    end_field = facts.model.END_FIELD
    count = 0
    with transaction.atomic():
        regions = set()
        ended: list[Fact] = []
        for fact in facts.select_for_update().filter(**{f"{end_field}__isnull": True}):
            if fact.start is not None and ended_at < fact.start:
                raise ValidationError({field: ended_before_start(fact, fact.start)})
            setattr(fact, end_field, ended_at)
            fact.source = source
            save_validated(fact, actor=actor, reason=reason.strip())
            regions.add(fact.region_id)
            ended.append(fact)
            count += 1
        touch_regions(regions)
        _announce_ended(ended)
    return count


def _announce_ended(facts: list[AccessRestriction] | list[UtilityOutage]) -> None:
    """The webhook events of ended facts: a restriction ended is updated, an outage ended is restored."""
    restrictions = [fact for fact in facts if isinstance(fact, AccessRestriction)]
    outages = [fact for fact in facts if isinstance(fact, UtilityOutage)]
    now = timezone.now()
    announcements = [
        *(Announcement(WebhookEventType.RESTRICTION_UPDATED, data, now) for data in restriction_payloads(restrictions)),
        *(Announcement(WebhookEventType.OUTAGE_RESTORED, data, now) for data in outage_payloads(outages)),
    ]
    record_webhook_events(announcements)
