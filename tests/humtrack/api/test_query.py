"""Unknown query parameters are a 400 naming them and the allowed ones; every parameter the schema lists is known."""

import pytest

from humtrack.models import TokenScope
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(db):
    return client_for(issue_token("Every Scope Org", TokenScope.values))


def test_a_typo_in_a_filter_is_a_400_naming_it_and_the_allowed_ones(reader, tree):
    response = reader.get("/api/v1/needs/?sectr=FSC")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("invalid", ["sectr"])
    message = body["fields"]["sectr"][0]
    assert message.startswith("Unknown parameter; allowed: ")
    assert {"sector", "region", "within", "cursor", "page_size", "updated_since", "format"} <= set(
        message.removeprefix("Unknown parameter; allowed: ").rstrip(".").split(", ")
    )


def test_known_parameters_pass_and_a_detail_takes_no_filters(reader, tree):
    assert reader.get("/api/v1/needs/?sector=FSC&page_size=5&format=json").status_code == 200
    assert reader.get("/api/v1/regions/AF08/?status=unknown").status_code == 400
    assert reader.get("/api/v1/regions/AF08/?format=json").status_code == 200
    assert reader.get("/api/v1/alerts/cap/?within=AF08&page=2").json()["fields"].keys() == {"page"}


def test_the_token_is_checked_before_the_parameters(anonymous, tree):
    assert anonymous.get("/api/v1/needs/?sectr=FSC").status_code == 401


def get_operations(schema):
    for path, operations in schema["paths"].items():
        if "get" in operations:
            names = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
            yield path, names


def test_every_parameter_the_schema_lists_is_accepted_and_no_other(everything, anonymous, tree):
    """The server's allowed set is the schema's: a listed parameter is never 'unknown', an unlisted one is."""
    schema = anonymous.get("/api/schema/?format=json").json()
    sample = {"pcode": "AF08", "id": "1"}
    checked = 0
    for path, names in get_operations(schema):
        url = path.format(**sample)
        for name in names:
            response = everything.get(url, {name: "x"})
            fields = response.json().get("fields", {}) if response.status_code == 400 else {}
            assert "Unknown parameter" not in " ".join(fields.get(name, [])), (path, name)
            checked += 1
        refused = everything.get(url, {"not_a_parameter": "1"})
        if refused.status_code != 404:  # a sample id that does not exist answers 404 first
            assert refused.status_code == 400, (path, refused.content)
            assert list(refused.json()["fields"]) == ["not_a_parameter"], path
    assert checked > 50


def test_a_value_too_long_or_repeated_too_often_is_a_400_naming_it_as_the_schema_says(reader, anonymous, tree):
    schema = anonymous.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/sources/"]["get"]["parameters"]}
    assert (parameters["publisher"]["maxLength"], parameters["kind"]["maxItems"]) == (300, 20)
    assert reader.get("/api/v1/sources/", {"publisher": "é" * 300}).status_code == 200
    too_long = reader.get("/api/v1/sources/", {"publisher": "é" * 301})
    assert (too_long.status_code, list(too_long.json()["fields"])) == (400, ["publisher"])
    assert reader.get("/api/v1/sources/", {"kind": ["media"] * 20}).status_code == 200
    too_many = reader.get("/api/v1/sources/", {"kind": ["media"] * 21})
    assert (too_many.status_code, list(too_many.json()["fields"])) == (400, ["kind"])


def test_integer_filters_are_integers_with_the_bounds_the_server_keeps(reader, anonymous, tree):
    schema = anonymous.get("/api/schema/?format=json").json()
    level = next(p for p in schema["paths"]["/api/v1/regions/"]["get"]["parameters"] if p["name"] == "level")
    assert level["schema"] == {"type": "integer", "minimum": 0, "maximum": 5}
    corridor = next(p for p in schema["paths"]["/api/v1/restrictions/"]["get"]["parameters"] if p["name"] == "corridor")
    assert corridor["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert [reader.get("/api/v1/regions/", {"level": level}).status_code for level in (-1, 0, 5, 6)] == [
        400,
        200,
        200,
        400,
    ]
