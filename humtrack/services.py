"""Pieces every app's services share."""

from django.core.exceptions import ValidationError

from .actor import Actor
from .history import stamp


class Conflict(Exception):
    """The write cannot apply to the record as it now is (e.g. a stale If-Match)."""


def save_validated(instance, *, actor: Actor, reason: str = "", update_fields=None):
    """Validate with the model's rules (full_clean) and save, attributed in the audit history.

    Every service saves through here, so one rule written on a model holds for the admin, the API
    and the importers alike.
    """
    exclude = None
    if update_fields is not None:
        exclude = [f.name for f in instance._meta.fields if f.name not in update_fields and not f.primary_key]
    instance.full_clean(exclude=exclude)
    stamp(instance, actor, reason)
    instance.save()
    return instance


def require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value
