"""A p-code in a query parameter that names no region is a 400 naming the parameter and the p-code, on
every endpoint that takes one (access.api.pcodes.region_for_parameter); in a path it is a 404."""

import pytest

pytestmark = pytest.mark.django_db

PCODE_PARAMETERS = [
    ("/api/v1/regions/", "within"),
    ("/api/v1/regions/", "parent"),
    ("/api/v1/restrictions/", "region"),
    ("/api/v1/restrictions/", "within"),
    ("/api/v1/outages/", "region"),
    ("/api/v1/outages/", "within"),
    ("/api/v1/corridors/", "region"),
    ("/api/v1/corridors/", "within"),
    ("/api/v1/needs/", "region"),
    ("/api/v1/needs/", "within"),
    ("/api/v1/needs/summary/", "within"),
    ("/api/v1/alerts/cap/", "within"),
]


@pytest.mark.parametrize(("path", "parameter"), PCODE_PARAMETERS)
def test_an_unknown_pcode_is_a_400_naming_the_parameter_and_the_pcode(reader, tree, path, parameter):
    response = reader.get(path, {parameter: "af99"})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {parameter: ["No region with p-code AF99."]}


@pytest.mark.parametrize(("path", "parameter"), PCODE_PARAMETERS)
def test_a_value_not_shaped_like_a_pcode_is_a_400_naming_it(reader, tree, path, parameter):
    for value in ("A", " AF08", "AF-08", "A" * 21):
        response = reader.get(path, {parameter: value})
        assert response.status_code == 400, (value, response.content)
        assert list(response.json()["fields"]) == [parameter]
        assert value in response.json()["fields"][parameter][0]


@pytest.mark.parametrize(("path", "parameter"), PCODE_PARAMETERS)
def test_a_known_pcode_in_any_case_is_taken(reader, tree, path, parameter):
    assert reader.get(path, {parameter: "af08"}).status_code == 200


@pytest.mark.parametrize("parameter", ["admin1_code", "admin2_code"])
def test_hapi_admin_codes_name_the_parameter_and_the_pcode(reader, tree, parameter):
    response = reader.get("/api/v1/needs/hapi/", {parameter: "af99"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [parameter]
    assert "AF99" in response.json()["fields"][parameter][0]


@pytest.mark.parametrize("path", ["regions/AF99/", "regions/af-08/", "regions/AF99/status-history/"])
def test_a_pcode_in_a_path_naming_no_region_is_a_404(reader, tree, path):
    response = reader.get(f"/api/v1/{path}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
