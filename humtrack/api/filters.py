"""Filters every resource shares: `updated_since=<datetime>` and strict booleans, integers and date-times.

The region filters (`within=<pcode>`, `region=<pcode>`) know regions, so they live in access.api.filters.
"""

import weakref
from typing import Any, cast

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django_filters.fields import MultipleChoiceField

from humtrack.api.fields import StrictIsoDateTimeField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else, "null" included, is an error rather than "no filter"."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("true or false."))


class BooleanFilter(django_filters.BooleanFilter):
    # django-filter takes any form field class here; types-django-filter narrows it to NullBooleanField.
    field_class = StrictBooleanField  # type: ignore[assignment]


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (django-filter's NumberFilter takes decimals)."""

    # django-filter takes any form field class here; types-django-filter narrows it to DecimalField.
    field_class = forms.IntegerField  # type: ignore[assignment]


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An RFC 3339 date-time with its offset (humtrack.api.fields)."""

    field_class = StrictIsoDateTimeField


class ChoicesField(MultipleChoiceField):
    """django-filter's field, each value looked up in a set of the choices' values.

    django-filter's choices are an iterator that normalises every choice again on each pass, and Django's
    valid_value walks it for every value asked: a tenth of a filtered list's filtering. The set is made
    once per field: a filter form's fields are built once and never changed (SharedFieldsForm).
    """

    def valid_value(self, value):
        allowed = self.__dict__.get("_allowed_values")
        if allowed is None:
            values = set()
            for key, label in self.choices:
                if isinstance(label, (list, tuple)):  # a group: (name, [(key, label), ...])
                    values.update(str(inner) for inner, _ in label)
                else:
                    values.add(str(key))
            allowed = self._allowed_values = frozenset(values)
        return str(value) in allowed


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more values of a record's own column (`?severity=high&severity=extreme`).

    Without DISTINCT, unlike django-filter's default: a row's own column cannot repeat it, and DISTINCT
    makes the database sort every matching row before the page is cut, so a page's cost would grow with
    the table (bench/growth.py). A filter across a to-many relation passes `distinct=True`.
    """

    field_class = ChoicesField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class UpdatedSinceFilter(DateTimeFilter):
    """Records changed at or after this moment (ISO 8601); with the cursor, an incremental sync."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("field_name", "updated_at")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("help_text", "ISO 8601 date-time: only records changed at or after it.")
        super().__init__(*args, **kwargs)


class SharedFieldsForm:
    """Mixed in front of a FilterSet's form class: the form uses the class's fields, not a deep copy.

    A Django form deep-copies its fields (widgets, choices, validators) so that an instance may change
    them; a filter form never does (its fields are read, cleaned and thrown away), and the copy of a
    list's eight fields was a third of a millisecond per request. The fields are shared by every thread
    of a process: nothing may write to them (SyncFilterSet.get_form_class builds them once per class).
    """

    def __init__(self, *args, **kwargs):
        self.base_fields = {}  # what BaseForm.__init__ deep-copies, on this instance only
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = dict(type(self).base_fields)


class SyncFilterSet(django_filters.FilterSet):
    """Base of every resource's FilterSet: `updated_since`; an empty non-text parameter is an error.

    django-filter ignores `?updated_since=` as if it were absent; a partner who sends it meant
    something, so it gets a 400 naming the parameter instead of an unfiltered list. Text filters may
    be empty unless they say otherwise (`allows_empty = False`: a p-code).
    """

    updated_since = UpdatedSinceFilter()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter deep-copies every declared filter on every request (choices included: a
        # millisecond per list request). A filter keeps no per-request state but its parent and
        # model, so a shallow copy will do, with method filters re-bound to their copy.
        base_filters, self.base_filters = self.base_filters, {}
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.base_filters = base_filters
        model = self.queryset.model
        self.filters = {}
        for name, declared in base_filters.items():
            # Its form field built once, on the declaration, and shared by the copies (as by the form,
            # get_form_class): a filter reads it (a choices filter counts its choices) every request.
            declared.field  # noqa: B018  (django-filter builds it on first access and keeps it)
            filter_ = object.__new__(type(declared))  # copy.copy, without its generic reduce protocol
            filter_.__dict__.update(declared.__dict__)
            if filter_.method is not None:
                filter_.method = filter_.method  # a FilterMethod bound to the copy, not the declaration
            # The filter set, by a weak reference: with a strong one the set and its filters made a loop,
            # left (with the request it holds) to the cyclic garbage collector at every list request.
            filter_.model, filter_.parent = model, cast(Any, weakref.proxy(self))
            self.filters[name] = filter_

    def get_form_class(self):
        # The form's fields come from the declared filters alone (none reads the request or a queryset):
        # built once per FilterSet class, not a form class and a form field per filter every request.
        # Each form still deep-copies its fields, as any Django form.
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class = type(form_class.__name__, (SharedFieldsForm, form_class), {})
            type(self)._form_class = form_class  # on this class itself: a subclass has its own filters
        return form_class

    def is_valid(self):
        valid = super().is_valid()
        for name, declared in self.filters.items():
            # The form's field, not `declared.field`: a filter's copy builds a new one on every access.
            allows_empty = getattr(declared, "allows_empty", isinstance(self.form.fields[name], forms.CharField))
            if allows_empty or name not in self.data:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if any(value == "" for value in values):
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
                valid = False
        return valid
