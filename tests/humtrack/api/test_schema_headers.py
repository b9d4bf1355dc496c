"""Every header of the partner contract the server sends is declared in the served schema, for that
operation and status (humtrack.api.schema.PartnerAutoSchema.response_headers), and every header the
schema says is required is sent. One real request of each kind: a page, a record, a 304, a create, its
replay, an update, a status change, a HAPI page, and the 401, 405, 413, 415 and 429 refusals.
"""

import json
import re
from datetime import date

import pytest

from needs.models import NeedFigure
from tests.factories import NeedFigureFactory
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db

# The headers partners program against. `Allow` is DRF's on every answer; it is the point only of a 405.
CONTRACT_HEADERS = ("ETag", "Location", "Idempotent-Replayed", "Retry-After", "Link", "WWW-Authenticate")


@pytest.fixture
def schema(anonymous):
    return json.loads(anonymous.get("/api/schema/?format=json").content)


def declared(schema, method: str, template: str, status: int) -> dict:
    """The response the schema declares for `status` of `method template` (AssertionError if none)."""
    operation = schema["paths"][f"/api/v1/{template}"][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {template}: {status} is not declared"
    return responses[str(status)]


def assert_headers_declared(schema, method: str, template: str, response, *, watched=CONTRACT_HEADERS):
    headers = declared(schema, method, template, response.status_code).get("headers", {})
    sent = [name for name in watched if response.has_header(name)]
    undeclared = [name for name in sent if name not in headers]
    assert not undeclared, f"{method} {template} {response.status_code} sends {undeclared}, not declared"
    missing = [name for name, header in headers.items() if header.get("required") and not response.has_header(name)]
    assert not missing, f"{method} {template} {response.status_code} lacks the required {missing}"
    for name in sent:
        pattern = headers[name]["schema"].get("pattern")
        if pattern:
            assert re.search(pattern, response[name]), f"{name}: {response[name]!r} does not match {pattern}"
    return sent


@pytest.fixture
def partner(db):
    return client_for(issue_token("Header Partner", ["read", "write", "alerts"]))


def source_body(title="A report"):
    return {"publisher": "OCHA", "title": title, "kind": "agency_report", "reliability": "B"}


def test_a_page_a_record_and_a_304_declare_link_and_etag(schema, partner, tree):
    page = partner.get("/api/v1/regions/?page_size=1")
    assert assert_headers_declared(schema, "GET", "regions/", page) == ["Link"]
    csv_page = partner.get("/api/v1/regions/?page_size=1&format=csv")
    assert assert_headers_declared(schema, "GET", "regions/", csv_page) == ["Link"]
    record = partner.get("/api/v1/regions/AF08/")
    assert assert_headers_declared(schema, "GET", "regions/{pcode}/", record) == ["ETag"]
    not_modified = partner.get("/api/v1/regions/AF08/", HTTP_IF_NONE_MATCH=record["ETag"])
    assert not_modified.status_code == 304
    assert assert_headers_declared(schema, "GET", "regions/{pcode}/", not_modified) == ["ETag"]
    history = partner.get("/api/v1/regions/AF08/status-history/")
    assert assert_headers_declared(schema, "GET", "regions/{pcode}/status-history/", history) == ["Link"]


def test_a_create_its_replay_and_an_update_declare_etag_location_and_replayed(schema, partner, tree):
    key = {"HTTP_IDEMPOTENCY_KEY": "headers-1"}
    created = partner.post("/api/v1/sources/", source_body(), format="json", **key)
    assert created.status_code == 201
    assert assert_headers_declared(schema, "POST", "sources/", created) == ["ETag", "Location"]
    replayed = partner.post("/api/v1/sources/", source_body(), format="json", **key)
    sent = assert_headers_declared(schema, "POST", "sources/", replayed)
    assert sent == ["ETag", "Location", "Idempotent-Replayed"]
    updated = partner.patch(created["Location"], {"title": "Another"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert updated.status_code == 200
    assert assert_headers_declared(schema, "PATCH", "sources/{id}/", updated) == ["ETag"]


def test_a_status_change_and_a_hapi_page_declare_what_they_send(schema, partner, tree, source):
    change = {"status": "inaccessible", "reason": "Roads closed", "source": source.pk, "confidence": "reported"}
    changed = partner.post("/api/v1/regions/AF08/status-changes/", change, format="json")
    assert changed.status_code == 201
    assert_headers_declared(schema, "POST", "regions/{pcode}/status-changes/", changed)
    for sector in ("FSC", "WSH"):
        NeedFigureFactory(region=tree["AF0801"], sector=sector, period_start=date(2021, 1, 1), people_in_need=100)
    assert NeedFigure.objects.count() == 2
    hapi = partner.get("/api/v1/needs/hapi/?limit=1")
    assert assert_headers_declared(schema, "GET", "needs/hapi/", hapi) == ["Link"]
    last = partner.get("/api/v1/needs/hapi/?limit=10000")
    assert assert_headers_declared(schema, "GET", "needs/hapi/", last) == []


def test_refusals_declare_www_authenticate_retry_after_and_allow(schema, anonymous, partner, settings, tree):
    unauthenticated = anonymous.get("/api/v1/regions/")
    assert unauthenticated.status_code == 401
    assert assert_headers_declared(schema, "GET", "regions/", unauthenticated) == ["WWW-Authenticate"]

    not_allowed = partner.delete("/api/v1/regions/AF08/")
    assert not_allowed.status_code == 405
    assert_headers_declared(schema, "GET", "regions/{pcode}/", not_allowed, watched=("Allow",))

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "1/minute"}}
    reader = client_for(issue_token("Busy Reader", ["read"]))
    reader.get("/api/v1/regions/")
    throttled = reader.get("/api/v1/regions/")
    assert throttled.status_code == 429
    assert assert_headers_declared(schema, "GET", "regions/", throttled) == ["Retry-After"]


def test_a_body_too_large_or_not_json_is_a_declared_413_or_415(schema, partner, settings, tree):
    not_json = partner.post("/api/v1/sources/", "title=A", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415
    assert not_json.json()["code"] == "unsupported_media_type"
    assert_headers_declared(schema, "POST", "sources/", not_json)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    too_large = partner.post("/api/v1/sources/", source_body(), format="json")
    assert too_large.status_code == 413
    assert too_large.json()["code"] == "request_too_large"
    assert_headers_declared(schema, "POST", "sources/", too_large)
    assert_headers_declared(schema, "GET", "regions/", partner.generic("GET", "/api/v1/regions/", "x" * 11))


def test_every_operation_declares_405_and_a_body_taking_one_413_and_415_in_the_error_shape(schema):
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"405", "413"} | ({"415"} if "requestBody" in operation else set())
            for code in expected:
                assert responses[code]["content"]["application/json"]["schema"] == error, (method, path, code)
            assert "Allow" in responses["405"]["headers"]
