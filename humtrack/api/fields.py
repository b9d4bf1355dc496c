"""Input fields stricter than DRF's and django-filter's: what the schema says is all that is accepted."""

import re
from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

# RFC 3339 (the schema's `date-time`): a date, a time and an explicit offset. A moment without an
# offset is ambiguous across time zones, so it is refused rather than guessed.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")
RFC3339_MESSAGE = _("A date-time with a time zone, e.g. 2021-09-01T08:00:00Z.")


def in_utc(value: datetime) -> datetime | None:
    """The same moment in UTC; None if it falls outside the years a datetime holds (1–9999).

    An offset is kept no further than this: PostgreSQL refuses offsets beyond ±15:59 that RFC 3339 allows.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        if not isinstance(value, str) or not RFC3339.match(value.strip()):
            self.fail("invalid", format=RFC3339_MESSAGE)
        moment = in_utc(super().to_internal_value(value.strip()))
        if moment is None:
            self.fail("invalid", format=RFC3339_MESSAGE)
        return moment


class StrictIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not RFC3339.match(str(value).strip()):
            raise forms.ValidationError(RFC3339_MESSAGE, code="invalid")
        moment = in_utc(super().to_python(str(value).strip()))
        if moment is None:
            raise forms.ValidationError(RFC3339_MESSAGE, code="invalid")
        return moment


class CharField(serializers.CharField):
    """Text only: DRF would take 0 for "0"; a partner sending a number where text belongs has a bug."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class IntegerField(serializers.IntegerField):
    """A JSON integer only (DRF would take "5" and 5.0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    """true or false only (DRF would take "yes", 1, "on")."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id as a JSON integer."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
