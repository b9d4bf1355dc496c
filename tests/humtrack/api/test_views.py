"""/api/v1/, which `make run` prints: the list of the API's resources, with the schema and the docs."""

import pytest

pytestmark = pytest.mark.django_db

RESOURCES = {
    "regions", "corridors", "restrictions", "outages", "sources", "needs", "needs/bulk", "needs/summary",
    "subscriptions", "alerts/cap",
}  # fmt: skip


def test_the_api_root_lists_every_resource_with_its_absolute_url_without_a_token(anonymous):
    response = anonymous.get("/api/v1/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body["resources"]) >= RESOURCES
    assert body["resources"]["regions"] == "http://testserver/api/v1/regions/"
    assert body["resources"]["alerts/cap"] == "http://testserver/api/v1/alerts/cap/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"


def test_the_api_root_lists_no_single_record_route(anonymous):
    resources = anonymous.get("/api/v1/").json()["resources"]

    assert not [url for url in resources.values() if "{" in url or "(?P" in url]
    assert all(url.endswith("/") for url in resources.values())


def test_the_api_root_answers_a_partner_with_a_token_too(reader):
    response = reader.get("/api/v1/")

    assert response.status_code == 200
    assert "regions" in response.json()["resources"]


def test_every_url_the_api_root_lists_names_a_resource(writer, tree):
    # Answered by the resource (200, or 400/403/405 for what this request lacks), never the API's 404.
    resources = writer.get("/api/v1/").json()["resources"]

    statuses = {path: writer.get(url).status_code for path, url in resources.items()}

    assert not [path for path, status in statuses.items() if status == 404], statuses
    assert statuses["regions"] == statuses["needs"] == 200


def test_the_api_root_is_in_the_schema(anonymous):
    schema = anonymous.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/"]["get"]
    assert operation["security"] == [{"partnerToken": []}, {"partnerBearer": []}, {"cookieAuth": []}, {}]
