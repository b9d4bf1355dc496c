"""GET /api/v1/needs/hapi/: the Panjshir demo's need figures in HDX HAPI's humanitarian-needs shape."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from access.models import Region, Source
from humtrack.actor import Actor
from needs.services import record_need_figure
from scenarios.demo import YEAR_2021, load_demo
from tests.factories import NeedFigureFactory, make_region

pytestmark = pytest.mark.django_db

URL = "/api/v1/needs/hapi/"
COLUMNS = [
    "location_code", "location_name", "admin1_code", "admin1_name", "admin2_code", "admin2_name", "admin_level",
    "sector_code", "sector_name", "population_status", "population", "reference_period_start",
    "reference_period_end", "source", "confidence",
]  # fmt: skip
HXL = [
    "#country+code", "#country+name", "#adm1+code", "#adm1+name", "#adm2+code", "#adm2+name", "#meta+admin_level",
    "#sector+code", "#sector+name", "#indicator+code", "#indicator+value+num", "#date+start", "#date+end",
    "#meta+source+id", "#meta+confidence",
]  # fmt: skip
# The demo's national figures, then a province's and two districts' added below, as
# (admin_level, admin1_code, admin2_code, sector_code, population_status, population, period_end).
EXPECTED = [
    (0, None, None, "FSC", "INN", 16_900_000, "2021-12-31"),
    (0, None, None, "HEA", "INN", 14_500_000, "2021-12-31"),
    (0, None, None, "Intersectoral", "REA", 3_660_000, "2021-03-31"),  # Q1 2021: starts with the year, ends first
    (0, None, None, "Intersectoral", "INN", 18_400_000, "2021-12-31"),
    (0, None, None, "Intersectoral", "TGT", 15_700_000, "2021-12-31"),
    (2, "AF03", "AF0305", "FSC", "INN", 5_000, "2021-12-31"),
    (1, "AF08", None, "HEA", "INN", 42_000, "2021-12-31"),
    (1, "AF08", None, "HEA", "TGT", 30_000, "2021-12-31"),
    (2, "AF08", "AF0801", "HEA", "INN", 12_000, "2021-12-31"),
    (2, "AF08", "AF0801", "HEA", "REA", 8_000, "2021-12-31"),
]


def add_figure(pcode, sector, **counts):
    return record_need_figure(
        actor=Actor(), region=Region.objects.get(pcode=pcode), sector=sector, period_start=YEAR_2021[0],
        period_end=YEAR_2021[1], source=Source.objects.order_by("id").first(), confidence="reported", **counts,
    )  # fmt: skip


@pytest.fixture
def demo(db):
    load_demo()
    add_figure("AF08", "HEA", people_in_need=42_000, targeted=30_000)  # Panjshir: no `reached`, no REA row
    add_figure("AF0801", "HEA", people_in_need=12_000, reached=8_000)  # Bazarak
    add_figure("AF0305", "FSC", people_in_need=5_000)  # Jabal Saraj; Parwan has no figure of its own


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def summary(row):
    return (
        row["admin_level"], row["admin1_code"], row["admin2_code"], row["sector_code"], row["population_status"],
        row["population"], row["reference_period_end"],
    )  # fmt: skip


def test_one_row_per_reported_figure_and_population_status_with_hapis_columns(reader, demo):
    listed = rows(reader.get(URL))
    assert [list(row) for row in listed] == [COLUMNS] * len(EXPECTED)
    assert [summary(row) for row in listed] == EXPECTED
    # The urgent September figures give no number: no row (never a 0).
    assert all(row["population"] > 0 for row in listed)
    country, *_, bazarak_reached = listed
    assert country == {
        "location_code": "AFG", "location_name": "Afghanistan", "admin1_code": None, "admin1_name": None,
        "admin2_code": None, "admin2_name": None, "admin_level": 0, "sector_code": "FSC",
        "sector_name": "Food Security", "population_status": "INN", "population": 16_900_000,
        "reference_period_start": "2021-01-01", "reference_period_end": "2021-12-31",
        "source": Source.objects.get(title="Afghanistan: Humanitarian Needs and Planned Response 2021").pk,
        "confidence": "confirmed",
    }  # fmt: skip
    assert {key: bazarak_reached[key] for key in COLUMNS[:9]} == {
        "location_code": "AFG", "location_name": "Afghanistan", "admin1_code": "AF08", "admin1_name": "Panjsher",
        "admin2_code": "AF0801", "admin2_name": "Bazarak", "admin_level": 2, "sector_code": "HEA",
        "sector_name": "Health",
    }  # fmt: skip
    assert bazarak_reached["confidence"] == "reported"
    assert {row["sector_name"] for row in listed if row["sector_code"] == "Intersectoral"} == {"Intersectoral"}


def test_figures_as_reported_never_roll_ups(reader, demo):
    listed = rows(reader.get(URL))
    # Parwan has no figure of its own: Jabal Saraj's 5,000 is not summed into a Parwan row...
    assert not [row for row in listed if row["admin_level"] == 1 and row["admin1_code"] == "AF03"]
    # ...and Afghanistan's reported 14.5 M in need of health is not replaced by its districts' sum.
    national_health = [row for row in listed if row["admin_level"] == 0 and row["sector_code"] == "HEA"]
    assert [row["population"] for row in national_health] == [14_500_000]


FILTERED = [
    ({"location_code": "AFG"}, EXPECTED),
    ({"admin1_code": "AF08"}, EXPECTED[6:]),  # the province and its districts, as HAPI
    ({"admin1_code": "af08"}, EXPECTED[6:]),  # a p-code in any case, as every p-code filter
    ({"admin2_code": "AF0801"}, EXPECTED[8:]),
    ({"sector_code": "Intersectoral"}, EXPECTED[2:5]),
    ({"population_status": "TGT"}, [EXPECTED[4], EXPECTED[7]]),
    ({"population_status": "REA"}, [EXPECTED[2], EXPECTED[9]]),
    ({"admin_level": "0"}, EXPECTED[:5]),
    ({"admin_level": "2"}, [EXPECTED[5], *EXPECTED[8:]]),
    ({"admin1_code": "AF08", "sector_code": "HEA", "population_status": "INN"}, [EXPECTED[6], EXPECTED[8]]),
    ({"admin1_code": "AF03", "sector_code": "HEA"}, []),
]


def test_hapis_filters(reader, demo):
    for params, expected in FILTERED:
        assert [summary(row) for row in rows(reader.get(URL, params))] == expected, params


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("location_code", "AFX"),
        ("location_code", "AF"),  # a p-code is not an ISO3 code
        ("admin1_code", "AF0801"),  # a district
        ("admin1_code", "ZZ99"),
        ("admin1_code", "not a p-code"),
        ("admin2_code", "AF08"),  # a province
        ("sector_code", "FOOD"),
        ("population_status", "AFF"),  # HAPI's affected: humtrack has no such figure
        ("population_status", "all"),
        ("admin_level", "3"),
        ("admin_level", ""),
        ("output_format", "xml"),
        ("limit", "10001"),
        ("limit", "0"),
        ("limit", "1_000"),
        ("offset", "-1"),
        ("offset", "+5"),
    ],
)
def test_a_value_hapi_does_not_know_is_a_400_naming_the_parameter(reader, tree, param, value):
    response = reader.get(URL, {param: value})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == [param]


def test_limit_and_offset_walk_every_row_once(reader, demo):
    first = reader.get(URL, {"limit": 4})
    assert [summary(row) for row in rows(first)] == EXPECTED[:4]
    assert "offset=4" in first.json()["next"] and first["Link"] == f'<{first.json()["next"]}>; rel="next"'
    walked, response = [], first
    while True:
        walked += rows(response)
        if not response.json()["next"]:
            break
        response = reader.get(response.json()["next"])
    assert [summary(row) for row in walked] == EXPECTED
    assert [summary(row) for row in rows(reader.get(URL, {"limit": 3, "offset": 8}))] == EXPECTED[8:]
    assert rows(reader.get(URL, {"offset": 100})) == []
    whole = reader.get(URL, {"limit": 10_000})
    assert len(rows(whole)) == len(EXPECTED) and whole.json()["next"] is None
    assert reader.get(URL, {"limit": 10_001}).json()["fields"] == {"limit": ["A whole number from 1 to 10,000."]}


@pytest.mark.parametrize("params", [{"output_format": "csv"}, {"format": "csv"}])
def test_csv_has_hapis_header_then_hxl_then_the_rows(reader, demo, params):
    response = reader.get(URL, {**params, "admin2_code": "AF0801"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, hxl, *records = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == COLUMNS
    assert hxl == HXL
    source = Source.objects.order_by("id").first().pk
    assert records == [
        ["AFG", "Afghanistan", "AF08", "Panjsher", "AF0801", "Bazarak", "2", "HEA", "Health", "INN", "12000",
         "2021-01-01", "2021-12-31", str(source), "reported"],
        ["AFG", "Afghanistan", "AF08", "Panjsher", "AF0801", "Bazarak", "2", "HEA", "Health", "REA", "8000",
         "2021-01-01", "2021-12-31", str(source), "reported"],
    ]  # fmt: skip
    # A country's row has its admin 1 and admin 2 cells empty.
    country = reader.get(URL, {**params, "admin_level": "0", "limit": 1}).content.decode().splitlines()[2]
    assert country.startswith("AFG,Afghanistan,,,,,0,FSC,Food Security,INN,16900000,")


def test_json_unless_csv_is_asked(reader, demo):
    assert reader.get(URL, {"output_format": "json"})["Content-Type"] == "application/json"


def test_no_query_per_row(reader, demo):
    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            assert reader.get(URL, params).status_code == 200
        return [query["sql"] for query in captured]

    params = {"admin1_code": "AF08", "location_code": "AFG"}
    queries(params)  # the token's first use is recorded once
    before = queries(params)
    districts = [make_region(f"AF08{n:02}", f"District {n}", parent=Region.objects.get(pcode="AF08")) for n in
                 range(10, 40)]  # fmt: skip
    for district in districts:
        NeedFigureFactory(region=district, sector="NUT", people_in_need=100, targeted=90, reached=80)
    after = queries(params)
    assert len(rows(reader.get(URL, params))) == 4 + 3 * len(districts)
    assert len(after) == len(before)
    assert len([sql for sql in after if "UNION ALL" in sql]) == 1  # every row, with its admin names, at once


def test_below_districts_hapi_has_no_level(reader, demo):
    # The table allows levels to 5 (the model's choices stop at districts): saved as an import might.
    bazarak = Region.objects.get(pcode="AF0801")
    village = Region.objects.create(
        pcode="AF080101", name="A village", admin_level=3, parent=bazarak, path=f"{bazarak.path}AF080101/"
    )
    NeedFigureFactory(region=village, sector="HEA", people_in_need=10)
    assert [summary(row) for row in rows(reader.get(URL))] == EXPECTED


def test_the_schema_states_hapis_columns_filters_and_bounds():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/needs/hapi/"]["get"]
    assert list(operation["responses"]) == ["200", "400", "401", "403", "404", "405", "406", "413", "429", "500", "503"]
    parameters = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}
    assert {"location_code", "admin1_code", "admin2_code", "sector_code", "population_status", "admin_level",
            "limit", "offset", "output_format"} <= set(parameters)  # fmt: skip
    assert parameters["limit"] == {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 10_000}
    assert parameters["population_status"]["enum"] == ["INN", "REA", "TGT"]
    assert parameters["location_code"]["enum"] == ["AFG"]
    assert parameters["admin_level"]["enum"] == [0, 1, 2]
    assert sorted(parameters["output_format"]["enum"]) == ["csv", "json"]
    page = schema["components"]["schemas"]["PaginatedHapiNeedList"]
    assert set(page["properties"]) == {"next", "results"}
    row = schema["components"]["schemas"]["HapiNeed"]
    assert list(row["properties"]) == COLUMNS
    assert set(row["required"]) == set(COLUMNS)
