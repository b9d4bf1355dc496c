"""Pieces every app's services share: the save funnel, the update of the fields a caller gave, and
NOT_GIVEN, the default that tells "not given" from a given None."""

import enum
from collections.abc import Mapping
from typing import Any, Final, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from .actor import Actor
from .history import stamp

Record = TypeVar("Record", bound=models.Model)


class Conflict(Exception):
    """The write cannot apply to the record as it now is (e.g. a stale If-Match)."""


class NotGiven(enum.Enum):
    """The default of an update service's keyword arguments: the caller did not give it, so the field
    keeps its value. None is a value (`restored_at=None` reopens an outage), so it cannot mean that."""

    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven.NOT_GIVEN


def save_validated(
    instance: Record, *, actor: Actor, reason: str = "", update_fields: list[str] | None = None
) -> Record:
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


def model_update(*, instance: models.Model, data: Mapping[str, Any], actor: Actor, reason: str) -> bool:
    """Set on `instance` (as stored) the fields `data` gives, and save it through save_validated if any
    changed; returns whether anything did. A write that changes nothing saves nothing.

    HackSoft's `model_update(instance, fields, data)`, where the service's keyword-only signature is
    the list of fields: `data` maps each to its argument, NOT_GIVEN for one the caller left out.
    A many-to-many field is compared by its members and set after the save (it needs the row).
    """
    changed = False
    members: dict[str, Any] = {}
    for name, value in data.items():
        if value is NOT_GIVEN:
            continue
        field = instance._meta.get_field(name)
        if field.many_to_many:
            if {member.pk for member in value} != set(getattr(instance, name).values_list("pk", flat=True)):
                members[name] = value
            continue
        if isinstance(field, models.ForeignKey):  # compared by its key: reading the related object costs a query
            current, wanted = getattr(instance, field.attname), getattr(value, "pk", None)
        else:
            current, wanted = getattr(instance, name), value
        if current != wanted:
            setattr(instance, name, value)
            changed = True
    if not (changed or members):
        return False
    save_validated(instance, actor=actor, reason=reason)
    for name, value in members.items():
        getattr(instance, name).set(value)
    return True


def refuse_unencodable_text(instance: models.Model) -> None:
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
