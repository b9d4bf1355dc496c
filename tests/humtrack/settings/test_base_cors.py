"""CORS for the partner API (django-cors-headers): off by default; on for the listed origins, on /api/ only."""

import pytest

pytestmark = pytest.mark.django_db

ORIGIN = "https://dashboard.example.org"


def test_cors_is_off_by_default(reader, tree, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = reader.get("/api/v1/regions/", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert not response.has_header("Access-Control-Allow-Origin")


def test_listed_origins_may_call_the_api_and_read_its_headers(reader, tree, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = reader.get("/api/v1/regions/AF08/", HTTP_ORIGIN=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "link", "retry-after", "location"} <= exposed
    other = reader.get("/api/v1/regions/AF08/", HTTP_ORIGIN="https://elsewhere.example.org")
    assert not other.has_header("Access-Control-Allow-Origin")


def test_a_preflight_allows_the_partner_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = client.options(
        "/api/v1/restrictions/1/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, if-match, idempotency-key",
    )
    assert response.status_code == 200
    allowed = {name.strip().lower() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key"} <= allowed


def test_cors_never_applies_outside_the_api(admin_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = admin_client.get("/admin/", HTTP_ORIGIN=ORIGIN)
    assert not response.has_header("Access-Control-Allow-Origin")
