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


# PreparedRows: each shape of a narrowed frame compiled once; its rows must be the ORM's, whatever the values.

from datetime import UTC, date, datetime, timedelta  # noqa: E402

from django.db.models import Q  # noqa: E402
from django.http import QueryDict  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from humtrack.prepared_query import PreparedRows  # noqa: E402
from needs.api.filters import NeedFigureFilterSet  # noqa: E402
from needs.api.views import LIST_ROWS  # noqa: E402

PCODES = ["AF", "AF03", "AF0305", "AF08", "AF0801", "AF0806"]
SECTORS = ["FSC", "HEA", "WSH", "SHL"]
CONFIDENCES = ["confirmed", "reported", "claimed", "unverified"]
START = datetime(2021, 9, 1, 8, tzinfo=UTC)


@pytest.fixture
def figures(tree):
    organisation = OrganisationFactory()
    made = []
    for n in range(36):
        figure = NeedFigureFactory(
            region=tree[PCODES[n % len(PCODES)]],
            sector=SECTORS[n % len(SECTORS)],
            period_start=date(2020 + n // 12, 1 + n % 12, 1),
            period_end=date(2020 + n // 12, 1 + n % 12, 28),
            is_urgent=n % 3 == 0,
            confidence=CONFIDENCES[n % len(CONFIDENCES)],
            organisation=organisation if n % 2 else None,
            people_in_need=1000 + n,
        )
        made.append(figure)
    # Ties in updated_at (every third pair shares one), as the cursor's (updated_at, id) order must break.
    for n, figure in enumerate(made):
        NeedFigure.objects.filter(pk=figure.pk).update(updated_at=START + timedelta(minutes=n // 2))
    return list(NeedFigure.objects.order_by("updated_at", "pk").values_list("updated_at", "pk"))


# Each parameter's values; a request leaves a parameter out (None) or names one of them.
DOMAINS = {
    "within": PCODES,
    "region": PCODES,
    "period_start": [date(2021, m, 10) for m in (1, 4, 8, 12)],
    "period_end": [date(2021, m, 10) for m in (1, 4, 8, 12)],
    "is_urgent": ["true", "false"],
    "confidence": CONFIDENCES,
    "updated_since": [START + timedelta(minutes=m) for m in (0, 3, 9, 30)],
    "cursor": list(range(36)),
    "size": [1, 5, 101],
}
list_request = st.fixed_dictionaries(
    {
        "sector": st.lists(st.sampled_from(SECTORS), max_size=3, unique=True),
        **{name: st.none() | st.sampled_from(values) for name, values in DOMAINS.items() if name != "size"},
        "size": st.sampled_from(DOMAINS["size"]),
    }
)


def same_shape(request: dict, data) -> dict:
    """The request with other values where it has values: the same parameters, as many sectors."""
    count = len(request["sector"])
    other = {"sector": data.draw(st.lists(st.sampled_from(SECTORS), min_size=count, max_size=count, unique=True))}
    for name, values in DOMAINS.items():
        other[name] = None if request[name] is None else data.draw(st.sampled_from(values))
    return other


def narrowed(request: dict, positions: list):
    """The list's queryset as the view and its pagination narrow it (humtrack.api.pagination)."""
    data = QueryDict(mutable=True)
    data.setlist("sector", request["sector"])
    for name in ("within", "region", "period_start", "period_end", "is_urgent", "confidence", "updated_since"):
        if request[name] is not None:
            value = request[name]
            data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    filterset = NeedFigureFilterSet(data=data, queryset=LIST_ROWS.all())
    assert filterset.is_valid(), filterset.errors
    queryset = filterset.qs.order_by("updated_at", "pk")
    if request["cursor"] is not None:
        at, pk = positions[request["cursor"]]
        queryset = queryset.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
    return queryset[: request["size"]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=st.lists(list_request, min_size=1, max_size=3), data=st.data())
def test_prepared_rows_are_the_orms_for_any_filters_cursor_and_page_size(figures, requests, data):
    prepared = PreparedRows(LIST_ROWS)
    # A shape compiled for one request's values then runs with others' (a statement reused is the risk).
    for request in requests:
        for values in (request, same_shape(request, data), same_shape(request, data), request):
            queryset = narrowed(values, figures)
            assert prepared.rows(queryset) == list(queryset)


def test_a_shape_is_compiled_once_and_then_runs_with_other_values(figures, django_assert_num_queries):
    prepared = PreparedRows(LIST_ROWS)
    shape = {"sector": ["FSC"], "within": "AF08", "region": None, "period_start": None, "period_end": None,
             "is_urgent": None, "confidence": None, "updated_since": None, "cursor": 3, "size": 5}  # fmt: skip
    first = narrowed(shape, figures)
    prepared.rows(first)
    compiled = prepared.compiled

    other = narrowed({**shape, "sector": ["HEA"], "within": "AF03", "cursor": 7}, figures)
    with django_assert_num_queries(1):
        rows = prepared.rows(other)
    assert rows == list(other) and rows  # a page with rows, read with the first shape's statement
    assert prepared.compiled == compiled
    # Another shape (two sectors: `IN (%s, %s)`) is a statement of its own.
    prepared.rows(narrowed({**shape, "sector": ["HEA", "FSC"]}, figures))
    assert prepared.compiled == compiled + 1


def test_sqlite_booleans_need_the_orms_converters(figures):
    from django.db import connection

    prepared = PreparedRows(LIST_ROWS)
    queryset = narrowed({**dict.fromkeys(["within", "region", "period_start", "period_end", "is_urgent",
                                          "confidence", "updated_since", "cursor"]), "sector": [], "size": 101},
                        figures)  # fmt: skip
    rows = prepared.rows(queryset)
    assert rows == list(queryset)
    assert all(type(row[7]) is bool for row in rows)  # is_urgent: a bool, not SQLite's 0 or 1
    statements = list(prepared._statements.values())
    assert statements == ([None] if connection.vendor == "sqlite" else [statements[0]]) and (
        connection.vendor == "sqlite" or statements[0].startswith("SELECT")
    )


@pytest.mark.parametrize(
    "reshape",
    [
        lambda qs: qs.distinct(),
        lambda qs: qs.values_list("id", "sector"),
        lambda qs: qs.annotate(n=Q(is_urgent=True)),
        lambda qs: qs.extra(select={"one": "1"}),
        lambda qs: qs.filter(pk__in=[]),  # matches nothing: Django raises EmptyResultSet while compiling
    ],
)
def test_a_queryset_not_narrowed_from_the_frame_goes_through_the_orm(figures, reshape):
    prepared = PreparedRows(LIST_ROWS)
    queryset = reshape(LIST_ROWS.filter(sector="FSC").order_by("pk"))[:10]
    assert prepared.rows(queryset) == list(queryset)
    assert prepared.compiled == 0


def test_a_frame_the_database_returns_in_another_order_is_refused():
    from django.db.models.functions import Upper

    with pytest.raises(ValueError, match="plain fields first"):
        PreparedRows(NeedFigure.objects.values_list(Upper("sector"), "id"))
