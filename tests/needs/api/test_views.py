"""Need figures: list (fast path), filters, create/update, the roll-up summary and the bulk upsert."""

import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.fields import DateTimeField
from rest_framework.renderers import JSONRenderer

from humtrack.models import Organisation
from needs.api.serializers import NeedFigureSerializer
from needs.api.views import IsoDateTime
from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, SourceFactory
from tests.infrastructure import require_postgresql

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


def test_the_fast_list_shows_exactly_what_the_serializer_shows(reader, tree, source):
    organisation = Organisation.objects.create(name="FAO")
    NeedFigureFactory(region=tree["AF0801"], people_in_need=20_000, targeted=None, organisation=organisation, notes="x")
    NeedFigureFactory(region=tree["AF"], sector="HEA", people_in_need=14_500_000, is_urgent=True)
    listed = reader.get("/api/v1/needs/").json()["results"]
    serialized = NeedFigureSerializer(NeedFigure.objects.order_by("updated_at", "id"), many=True).data
    assert listed == json.loads(JSONRenderer().render(serialized))
    assert reader.get(f"/api/v1/needs/{listed[0]['id']}/").json() == listed[0]


def test_need_filters(reader, tree):
    food = NeedFigureFactory(
        region=tree["AF0801"], sector="FSC", period_start=date(2021, 1, 1), period_end=date(2021, 6, 30)
    )
    health = NeedFigureFactory(
        region=tree["AF0305"],
        sector="HEA",
        period_start=date(2021, 7, 1),
        period_end=date(2021, 12, 31),
        is_urgent=True,
    )
    url = "/api/v1/needs/"
    assert ids(reader.get(url, {"within": "AF08"})) == [food.pk]
    assert ids(reader.get(url, {"region": "AF0305"})) == [health.pk]
    assert ids(reader.get(url, {"sector": ["FSC", "HEA"]})) == sorted([food.pk, health.pk])
    assert ids(reader.get(url, {"sector": "HEA"})) == [health.pk]
    # periods overlapping [period_start, period_end]
    assert ids(reader.get(url, {"period_start": "2021-06-15", "period_end": "2021-06-20"})) == [food.pk]
    assert ids(reader.get(url, {"period_start": "2021-06-15"})) == sorted([food.pk, health.pk])
    assert ids(reader.get(url, {"period_end": "2021-03-01"})) == [food.pk]
    assert ids(reader.get(url, {"is_urgent": "true"})) == [health.pk]
    assert ids(reader.get(url, {"confidence": "confirmed"})) == sorted([food.pk, health.pk])
    assert reader.get(url, {"sector": "FOOD"}).status_code == 400


def test_create_and_update_a_figure_of_ones_own(writer, other_writer, tree, source):
    body = {"region": "AF08", "sector": "FSC", "period_start": "2021-01-01", "period_end": "2021-12-31",
            "people_in_need": 100, "source": source.pk, "confidence": "reported"}  # fmt: skip
    created = writer.post("/api/v1/needs/", body)
    assert created.status_code == 201
    url = f"/api/v1/needs/{created.json()['id']}/"
    assert writer.patch(url, {"reached": 40}).json()["reached"] == 40
    assert other_writer.patch(url, {"reached": 0}).status_code == 403
    duplicate = writer.post("/api/v1/needs/", body)
    assert duplicate.status_code == 409  # one figure per region, sector and period
    assert NeedFigure.objects.count() == 1
    reversed_period = writer.post("/api/v1/needs/", {**body, "sector": "HEA", "period_end": "2020-12-31"})
    assert reversed_period.status_code == 400 and "period_end" in reversed_period.json()["fields"]


def test_a_duplicate_figure_is_a_409_naming_the_existing_one_on_create_and_update(writer, other_writer, tree, source):
    body = {"region": "AF08", "sector": "FSC", "period_start": "2021-01-01", "period_end": "2021-12-31",
            "people_in_need": 100, "source": source.pk, "confidence": "reported"}  # fmt: skip
    existing = writer.post("/api/v1/needs/", body).json()["id"]
    for client in (writer, other_writer):  # one figure per key, whoever reported it
        duplicate = client.post("/api/v1/needs/", {**body, "region": "af08", "people_in_need": 5})
        assert duplicate.status_code == 409
        assert duplicate.json() == {
            "status": 409,
            "code": "conflict",
            "detail": f"A need figure for this region, sector and period exists already (id {existing}).",
            "existing": existing,
        }
    other = writer.post("/api/v1/needs/", {**body, "sector": "HEA"}).json()
    moved = writer.patch(f"/api/v1/needs/{other['id']}/", {"sector": "FSC"})
    assert (moved.status_code, moved.json()["existing"]) == (409, existing)
    assert writer.patch(f"/api/v1/needs/{other['id']}/", {"sector": "HEA", "reached": 1}).status_code == 200
    assert writer.put(f"/api/v1/needs/{existing}/", {**body, "reached": 1}).status_code == 200  # itself: no conflict
    assert NeedFigure.objects.filter(sector="FSC").get().people_in_need == 100


def test_summary_sums_districts_and_gives_intersectoral_at_least_and_names_the_regions(reader, tree):
    NeedFigureFactory(region=tree["AF0801"], sector="FSC", people_in_need=20_000)
    NeedFigureFactory(region=tree["AF0806"], sector="FSC", people_in_need=5_000)
    NeedFigureFactory(region=tree["AF0806"], sector="HEA", people_in_need=22_000)
    response = reader.get("/api/v1/needs/summary/", {"within": "AF08"})
    assert response.status_code == 200
    summary = response.json()
    food = next(s for s in summary["sectors"] if s["sector"] == "FSC")
    assert food["metrics"]["people_in_need"] == {
        "value": 25_000, "regions": ["AF0801", "AF0806"], "rule": "sum_of_children", "lower_bound": False,
        "coverage": {"with_figure": 2, "children": 2}, "children_sum": None, "sector": None,
    }  # fmt: skip
    # Bazarak at least 20,000 (food), Shutul at least 22,000 (health): Panjshir at least 42,000, more than
    # its largest sector (food, 25,000), and never the 47,000 a sum over sectors would give.
    assert summary["intersectoral"]["people_in_need"] == {
        "value": 42_000, "regions": ["AF0801", "AF0806"], "rule": "sum_of_children", "lower_bound": True,
        "coverage": {"with_figure": 2, "children": 2}, "children_sum": None, "sector": None,
    }  # fmt: skip
    only_health = reader.get("/api/v1/needs/summary/", {"within": "AF08", "sector": "HEA"}).json()
    assert [s["sector"] for s in only_health["sectors"]] == ["HEA"]


def test_summary_needs_an_existing_area(reader, tree):
    assert reader.get("/api/v1/needs/summary/").status_code == 400
    unknown = reader.get("/api/v1/needs/summary/", {"within": "ZZ"})
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"within": ["No region with p-code ZZ."]}


def bulk_row(region, sector="FSC", source=None, **extra):
    row = {"region": region, "sector": sector, "period_start": "2021-01-01", "period_end": "2021-12-31",
           "people_in_need": 1000, "source": source.pk, "confidence": "reported"}  # fmt: skip
    return {**row, **extra}


def test_bulk_upserts_by_region_sector_and_period(writer, tree, source):
    rows = [bulk_row("AF0801", source=source), bulk_row("AF0806", source=source, people_in_need=None, is_urgent=True)]
    first = writer.post("/api/v1/needs/bulk/", {"rows": rows})
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "warnings": []}
    again = writer.post(
        "/api/v1/needs/bulk/", {"rows": [bulk_row("AF0801", source=source, people_in_need=1500), rows[1]]}
    )
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 1, "warnings": []}
    assert NeedFigure.objects.get(region__pcode="AF0801").people_in_need == 1500
    assert NeedFigure.objects.get(region__pcode="AF0806").people_in_need is None


def test_bulk_writes_an_audit_history_attributed_to_the_organisation(writer, tree, source):
    writer.post("/api/v1/needs/bulk/", {"rows": [bulk_row("AF0801", source=source)]})
    writer.post("/api/v1/needs/bulk/", {"rows": [bulk_row("AF0801", source=source, reached=10)]})
    figure = NeedFigure.objects.get()
    history = list(figure.history.order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert {h.history_organisation.name for h in history} == {"Logistics Cluster"}
    assert history[-1].reached == 10 and history[-1].history_change_reason == "Bulk upload"
    assert figure.organisation.name == "Logistics Cluster"


def test_bulk_is_all_or_nothing_and_names_each_bad_row_and_field(writer, tree, source):
    rows = [
        bulk_row("AF0801", source=source),
        bulk_row("XX01", source=source),
        bulk_row("AF0806", sector="FOOD", source=source, people_in_need=-5),
        bulk_row("AF0806", source=source, period_start="1 Jan 2021"),
        {"region": "AF0305"},
    ]
    response = writer.post("/api/v1/needs/bulk/", {"rows": rows})
    assert response.status_code == 400
    errors = {(e["row"], e["field"]) for e in response.json()["rows"]}
    assert {(1, "region"), (2, "sector"), (2, "people_in_need"), (3, "period_start"), (4, "sector")} <= errors
    assert not any(row == 0 for row, _ in errors)
    assert not NeedFigure.objects.exists()


def test_bulk_model_rules_and_duplicates_are_row_errors(writer, tree, source):
    rows = [
        bulk_row("AF0801", source=source),
        bulk_row("AF0801", source=source),
        bulk_row("AF0806", source=source, period_end="2020-01-01"),
    ]
    response = writer.post("/api/v1/needs/bulk/", {"rows": rows})
    assert response.status_code == 400
    assert {(e["row"], e["field"]) for e in response.json()["rows"]} == {(1, "non_field_errors"), (2, "period_end")}
    assert not NeedFigure.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_bulk_neither_waits_for_nor_locks_the_figures_of_other_periods(writer, tree, source):
    """Another upload holding a 2019 figure of the same region and sector does not hold up a 2021 upload."""
    require_postgresql()
    held = NeedFigureFactory(region=tree["AF0801"], sector="FSC", period_start=date(2019, 1, 1))
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            table = NeedFigure._meta.db_table
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [held.pk])  # noqa: S608  (our table)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout TO '2s'")  # waiting for the 2019 figure would fail, not hang
        response = writer.post("/api/v1/needs/bulk/", {"rows": [bulk_row("AF0801", source=source)]})
        assert response.status_code == 200, response.content
        assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "warnings": []}
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_bulk_cannot_change_another_organisations_figures(writer, other_writer, tree, source):
    other_writer.post("/api/v1/needs/bulk/", {"rows": [bulk_row("AF0801", source=source)]})
    response = writer.post(
        "/api/v1/needs/bulk/",
        {"rows": [bulk_row("AF0806", source=source), bulk_row("AF0801", source=source, reached=3)]},
    )
    assert response.status_code == 403
    assert response.json()["rows"] == [
        {"row": 1, "field": "non_field_errors", "message": "This figure was recorded by another organisation."}
    ]
    assert NeedFigure.objects.count() == 1 and NeedFigure.objects.get().reached is None


def test_bulk_refuses_more_than_ten_thousand_rows_and_empty_uploads(writer, tree, source):
    too_many = [bulk_row("AF0801", source=source)] * 10_001
    assert writer.post("/api/v1/needs/bulk/", {"rows": too_many}).status_code == 400
    assert writer.post("/api/v1/needs/bulk/", {"rows": []}).status_code == 400
    assert writer.post("/api/v1/needs/bulk/", [1, 2]).status_code == 400


def test_bulk_of_ten_thousand_rows_in_a_few_queries(writer, django_assert_max_num_queries, tree):
    source = SourceFactory()
    sectors = ["FSC", "HEA", "WSH", "NUT", "PRO", "EDU", "SHL", "LOG", "CCM", "ERY"]
    regions = ["AF0801", "AF0806", "AF0305", "AF08", "AF03"]
    rows = []
    for year in range(2000, 2200):
        for region in regions:
            for sector in sectors:
                rows.append(bulk_row(region, sector, source, period_start=f"{year}-01-01", period_end=f"{year}-12-31"))
    assert len(rows) == 10_000
    # Batched statements, not 10,000 saves: batches of 1,000 on PostgreSQL (about 30 statements); SQLite's
    # 999-parameter limit makes its batches of figures about 70 rows, so about 160 statements there, and
    # its batches of the 10,000 webhook events (needs/webhooks.py: one per figure) 249 rows, 41 more.
    with django_assert_max_num_queries(250):
        response = writer.post("/api/v1/needs/bulk/", {"rows": rows})
    assert response.json() == {"created": 10_000, "updated": 0, "unchanged": 0, "warnings": []}
    assert NeedFigure.objects.count() == 10_000
    assert NeedFigure.history.count() == 10_000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC))
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda moment: moment.replace(microsecond=0)  # a whole second: no fraction at all, as DRF writes it
    )
)
def test_the_database_writes_date_times_as_the_serializer_writes_them(tree, moment):
    """IsoDateTime against DRF's DateTimeField, the reference, on whatever database the suite runs on."""
    with transaction.atomic():
        figure = NeedFigureFactory(region=tree["AF08"])
        NeedFigure.objects.filter(pk=figure.pk).update(updated_at=moment)
        written = NeedFigure.objects.filter(pk=figure.pk).values_list(IsoDateTime("updated_at"), flat=True).get()
        assert written == DateTimeField().to_representation(moment)
        transaction.set_rollback(True)
