"""gzip on /api/ responses when the client accepts it; never on the admin's HTML (BREACH); ETags stay strong."""

import gzip
import json

import pytest

pytestmark = pytest.mark.django_db


def test_api_responses_are_gzipped_when_the_client_accepts_it(reader, tree):
    plain = reader.get("/api/v1/regions/")
    packed = reader.get("/api/v1/regions/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content))["results"] == plain.json()["results"]
    assert not plain.has_header("Content-Encoding")


def test_csv_is_gzipped_too(reader, tree):
    packed = reader.get("/api/v1/regions/?format=csv", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content).startswith(b"adm0_pcode,")


def test_a_gzipped_record_keeps_its_strong_etag_so_if_match_still_works(reader, tree):
    """Django's GZipMiddleware weakens an ETag (W/"…"); a weak tag never matches If-Match."""
    plain = reader.get("/api/v1/regions/AF08/")
    packed = reader.get("/api/v1/regions/AF08/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert packed["ETag"] == plain["ETag"]
    assert packed["ETag"].startswith('"')


def test_the_admin_html_is_never_compressed(admin_client):
    # Its pages carry CSRF tokens: compressing them beside reflected text would leak them (BREACH).
    response = admin_client.get("/admin/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
