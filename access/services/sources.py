from django.db import transaction

from access.models import Source
from humtrack.actor import Actor
from humtrack.services import save_validated

from .sync import touch_regions_citing


def create_source(*, actor: Actor, **fields) -> Source:
    source = Source(organisation=actor.organisation, **fields)
    return save_validated(source, actor=actor, reason="Source recorded")


def update_source(*, source: Source, actor: Actor, reason: str = "", **fields) -> Source:
    with transaction.atomic():
        for name, value in fields.items():
            setattr(source, name, value)
        save_validated(source, actor=actor, reason=reason or "Source updated")
        touch_regions_citing(source.pk)  # they show its title
    return source
