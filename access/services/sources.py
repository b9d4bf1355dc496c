from access.models import Source
from humtrack.actor import Actor
from humtrack.services import save_validated


def create_source(*, actor: Actor, **fields) -> Source:
    source = Source(organisation=actor.organisation, **fields)
    return save_validated(source, actor=actor, reason="Source recorded")


def update_source(*, source: Source, actor: Actor, reason: str = "", **fields) -> Source:
    for name, value in fields.items():
        setattr(source, name, value)
    return save_validated(source, actor=actor, reason=reason or "Source updated")
