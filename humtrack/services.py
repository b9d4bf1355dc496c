"""Pieces every app's services share."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

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
    refuse_unencodable_text(instance)
    instance.full_clean(exclude=exclude)
    stamp(instance, actor, reason)
    instance.save()
    return instance


def refuse_unencodable_text(instance) -> None:
    """A text field holding what UTF-8 cannot encode (a lone surrogate, which JSON's "\\ud800" gives
    Python) is the field's error, not the database driver's exception when the row is written."""
    errors = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if isinstance(field, models.CharField | models.TextField) and isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                errors[field.name] = _("Text with a character that is not valid Unicode (a lone surrogate).")
    if errors:
        raise ValidationError(errors)
