"""Sources: recorded once, cited by any fact, corrected by whoever may."""

from datetime import datetime

from django.db import transaction

from access.choices import Reliability
from access.models import Source
from humtrack.actor import Actor
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .sync import touch_regions_citing


def create_source(
    *,
    actor: Actor,
    publisher: str,
    title: str,
    kind: str,
    url: str = "",
    published_at: datetime | None = None,
    reliability: str = Reliability.F,
) -> Source:
    """A source, recorded for the actor's organisation."""
    source = Source(
        organisation=actor.organisation,
        publisher=publisher,
        title=title,
        url=url,
        published_at=published_at,
        kind=kind,
        reliability=reliability,
    )
    return save_validated(source, actor=actor, reason="Source recorded")


def update_source(
    *,
    source: Source,
    actor: Actor,
    reason: str = "",
    publisher: str | NotGiven = NOT_GIVEN,
    title: str | NotGiven = NOT_GIVEN,
    url: str | NotGiven = NOT_GIVEN,
    published_at: datetime | None | NotGiven = NOT_GIVEN,
    kind: str | NotGiven = NOT_GIVEN,
    reliability: str | NotGiven = NOT_GIVEN,
) -> Source:
    """Correct a source (`source` as stored; the arguments given are the changes)."""
    data = {
        "publisher": publisher,
        "title": title,
        "url": url,
        "published_at": published_at,
        "kind": kind,
        "reliability": reliability,
    }
    with transaction.atomic():
        if model_update(instance=source, data=data, actor=actor, reason=reason.strip() or "Source updated"):
            touch_regions_citing(source.pk)  # they show its title
    return source
