"""humtrack/api/filters.py: a filter on a record's own column adds no DISTINCT (a page would sort every
matching row before being cut); one across a to-many relation keeps each record once."""

import pytest

from access.api.filters import RestrictionFilterSet
from access.choices import AffectedGroupCode, Severity
from access.models import AccessRestriction

pytestmark = pytest.mark.django_db


def sql_of(params: dict) -> str:
    filterset = RestrictionFilterSet(params, queryset=AccessRestriction.objects.all())
    assert filterset.is_valid(), filterset.errors
    return str(filterset.qs.query).upper()


def test_a_filter_on_a_records_own_column_adds_no_distinct():
    assert "DISTINCT" not in sql_of({"severity": [Severity.HIGH, Severity.EXTREME]})


def test_a_filter_across_a_to_many_relation_keeps_each_record_once():
    assert "DISTINCT" in sql_of({"affected_group": [AffectedGroupCode.values[0], AffectedGroupCode.values[1]]})
