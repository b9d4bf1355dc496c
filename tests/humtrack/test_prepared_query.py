from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from humtrack.prepared_query import PreparedQuery
from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

BY_NOTES = PreparedQuery(
    NeedFigure,
    lambda notes: NeedFigure.objects.select_related("region", "organisation").filter(notes=notes).order_by("pk"),
    "notes",
)


def columns(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize("with_organisation", [True, False])
def test_the_instance_is_the_one_the_orm_builds_with_its_related_rows(
    tree, django_assert_num_queries, with_organisation
):
    notes = "A quote ' a backslash \\ a percent % and\na line break"
    organisation = OrganisationFactory() if with_organisation else None
    NeedFigureFactory(region=tree["AF0801"], notes=notes, is_urgent=True, organisation=organisation)
    expected = NeedFigure.objects.select_related("region", "organisation").filter(notes=notes).first()

    with django_assert_num_queries(1):
        figure = BY_NOTES.first(notes=notes)
        region, organisation_read = figure.region, figure.organisation  # attached: no query

    assert columns(figure) == columns(expected)
    assert columns(region) == columns(expected.region)
    assert (columns(organisation_read) if organisation_read else None) == (
        columns(expected.organisation) if expected.organisation else None
    )
    assert figure._state.adding is False and figure._state.db == "default"
    assert isinstance(figure.period_start, type(expected.period_start))  # converted as the ORM converts
    assert figure.is_urgent is True


def test_no_row_is_none(tree):
    NeedFigureFactory(region=tree["AF0801"], notes="one")
    assert BY_NOTES.first(notes="another") is None


def test_it_compiles_once_and_runs_each_value(tree):
    for pcode, notes in (("AF0801", "first"), ("AF0806", "second")):
        NeedFigureFactory(region=tree[pcode], notes=notes)
    query = PreparedQuery(NeedFigure, lambda notes: NeedFigure.objects.filter(notes=notes).order_by("pk"), "notes")

    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        found = [query.first(notes=notes).notes for notes in ("first", "second", "first")]

    assert found == ["first", "second", "first"]
    assert as_sql.call_count == 1


def test_a_lookup_that_rewrites_its_value_is_refused(tree):
    query = PreparedQuery(NeedFigure, lambda notes: NeedFigure.objects.filter(notes__icontains=notes), "notes")
    with pytest.raises(ValueError, match="notes"):
        query.first(notes="valleys")
