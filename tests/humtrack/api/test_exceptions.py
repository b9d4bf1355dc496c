"""One error shape everywhere; bad input is a 4xx, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_json_404(reader):
    response = reader.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "No such resource (see /api/docs/)."}


def test_a_method_a_resource_does_not_allow_is_405(writer, tree):
    response = writer.delete("/api/v1/regions/AF08/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_400(writer, tree):
    response = writer.post("/api/v1/sources/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_forms_are_not_accepted_only_json(writer, tree):
    response = writer.post("/api/v1/sources/", {"publisher": "x"}, format="multipart")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/needs/?updated_since=9999-12-31T23:59:59-23:59",
        "/api/v1/regions/?level=99999999999999999999999",
        "/api/v1/restrictions/?corridor=99999999999999999999999",
        "/api/v1/needs/?cursor=WyI5OTk5OS0wMS0wMSIsIDFd",
    ],
)
def test_values_out_of_range_are_client_errors(reader, tree, url):
    response = reader.get(url)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["status"] == response.status_code


def test_an_id_beyond_the_database_range_is_not_found(reader, tree):
    assert reader.get("/api/v1/outages/99999999999999999999999/").status_code == 404


def test_the_schema_and_the_docs_need_no_token(anonymous):
    schema = anonymous.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/needs/bulk/" in schema.content
    assert anonymous.get("/api/docs/").status_code == 200
