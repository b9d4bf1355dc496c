"""?format=csv (HXL hashtag row, formula-injection safe) and ?format=geojson."""

import csv
import io
from decimal import Decimal

import pytest

from access.choices import AccessStatus, Confidence, CorridorStatus
from access.services import change_access_status, create_corridor
from humtrack.actor import SYSTEM
from humtrack.api.renderers import csv_safe
from tests.factories import NeedFigureFactory

pytestmark = pytest.mark.django_db


def rows_of(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_needs_as_csv_with_hxl_hashtags_on_the_second_row(reader, tree):
    NeedFigureFactory(region=tree["AF0801"], sector="FSC", people_in_need=20_000, targeted=15_000, reached=3_000)
    header, hashtags, row = rows_of(reader.get("/api/v1/needs/?format=csv"))
    assert header[:5] == ["id", "adm0_pcode", "adm1_pcode", "adm2_pcode", "region"]
    assert {"#adm1+code", "#sector+code", "#inneed", "#targeted", "#reached", "#date+start"} <= set(hashtags)
    record = dict(zip(hashtags, row, strict=True))
    assert record["#country+code"] == "AF" and record["#adm1+code"] == "AF08" and record["#adm2+code"] == "AF0801"
    assert (record["#inneed"], record["#targeted"], record["#reached"]) == ("20000", "15000", "3000")
    assert record["#date+start"] == "2021-01-01"


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(reader, tree):
    NeedFigureFactory(region=tree["AF08"], notes='=HYPERLINK("http://evil.example","click")')
    _, hashtags, row = rows_of(reader.get("/api/v1/needs/?format=csv"))
    notes = dict(zip(hashtags, row, strict=True))["#description"]
    assert notes == '\'=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "|x", "%x"])
def test_every_formula_start_is_defused(text):
    assert csv_safe(text) == "'" + text


def test_numbers_and_plain_text_are_left_alone():
    assert csv_safe(-5) == "-5" and csv_safe(Decimal("34.5")) == "34.5" and csv_safe("Panjshir") == "Panjshir"
    assert csv_safe(None) == "" and csv_safe(True) == "true" and csv_safe(["a", "b"]) == "a b"


def test_regions_as_geojson_points_at_their_centroids(reader, tree):
    tree["AF08"].latitude, tree["AF08"].longitude = Decimal("35.41667"), Decimal("70.00000")
    tree["AF08"].save()
    response = reader.get("/api/v1/regions/?format=geojson&within=AF08")
    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and "next" in collection
    features = {f["id"]: f for f in collection["features"]}
    assert features["AF08"]["geometry"] == {"type": "Point", "coordinates": [70.0, 35.41667]}
    assert features["AF08"]["properties"]["name"] == "Panjsher"
    assert features["AF0801"]["geometry"] is None  # no centroid known: no invented position
    single = reader.get("/api/v1/regions/AF08/?format=geojson").json()
    assert single["type"] == "Feature" and single["id"] == "AF08"


def inaccessible_panjshir(tree, source):
    change_access_status(
        region=tree["AF08"], status=AccessStatus.INACCESSIBLE, reason="Fighting", source=source,
        confidence=Confidence.CONFIRMED, actor=SYSTEM,
    )  # fmt: skip


def test_regions_csv_gives_the_effective_status_its_basis_and_where_it_comes_from(reader, tree, source):
    inaccessible_panjshir(tree, source)
    header, hashtags, *rows = rows_of(reader.get("/api/v1/regions/?format=csv"))
    assert {"#access+status", "#access+status+basis", "#access+status+from+code", "#date+status"} <= set(hashtags)
    records = {row[header.index("pcode")]: dict(zip(header, row, strict=True)) for row in rows}
    bazarak, parwan = records["AF0801"], records["AF03"]
    assert (bazarak["status"], bazarak["status_basis"], bazarak["status_from"]) == ("inaccessible", "inherited", "AF08")
    assert bazarak["status_source_title"] == str(source) and bazarak["status_confidence"] == "confirmed"
    # Nothing recorded: an empty status, not "unknown".
    shown = (parwan["status"], parwan["status_basis"], parwan["status_from"], parwan["status_since"])
    assert shown == ("", "none", "", "")


def test_regions_geojson_properties_carry_the_effective_status(reader, tree, source):
    inaccessible_panjshir(tree, source)
    collection = reader.get("/api/v1/regions/?format=geojson&within=AF08").json()
    properties = {f["id"]: f["properties"] for f in collection["features"]}
    assert {pcode: (p["status"], p["status_basis"], p["status_from"]) for pcode, p in properties.items()} == {
        "AF08": ("inaccessible", "recorded", "AF08"),
        "AF0801": ("inaccessible", "inherited", "AF08"),
        "AF0806": ("inaccessible", "inherited", "AF08"),
    }


def test_corridors_as_geojson_lines_through_their_regions(reader, tree, source):
    for region, (lat, lon) in {
        "AF0305": ("35.1", "69.2"),
        "AF08": ("35.4", "69.9"),
        "AF0801": ("35.3", "69.5"),
    }.items():
        tree[region].latitude, tree[region].longitude = Decimal(lat), Decimal(lon)
        tree[region].save()
    create_corridor(
        actor=SYSTEM, regions=[tree["AF0305"], tree["AF08"], tree["AF0801"]], status=CorridorStatus.CLOSED,
        source=source, confidence=Confidence.REPORTED, name="Jabal Saraj – Bazarak",
    )  # fmt: skip
    feature = reader.get("/api/v1/corridors/?format=geojson").json()["features"][0]
    assert feature["geometry"] == {"type": "LineString", "coordinates": [[69.2, 35.1], [69.9, 35.4], [69.5, 35.3]]}
    assert feature["properties"]["regions"] == ["AF0305", "AF08", "AF0801"]


def test_geojson_is_only_offered_where_there_is_a_geometry(reader, tree):
    response = reader.get("/api/v1/needs/?format=geojson")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_errors_are_json_even_when_csv_was_asked_for(reader, tree):
    response = reader.get("/api/v1/needs/?format=csv&sector=FOOD")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["fields"]["sector"]
