"""Conditional requests (RFC 9110 §13.1): If-Match compares strongly, If-None-Match weakly and answers 304."""

import pytest
from rest_framework.test import APIRequestFactory

from humtrack.api.conditional import check_if_match, etag_for, is_not_modified
from humtrack.api.exceptions import PreconditionFailed

pytestmark = pytest.mark.django_db


def request_with(**headers):
    return APIRequestFactory().get("/", **{f"HTTP_{name}": value for name, value in headers.items()})


@pytest.mark.parametrize("header", ["{etag}", "*", '"other", {etag}'])
def test_if_match_naming_the_current_etag_or_star_passes(tree, header):
    region = tree["AF08"]
    check_if_match(request_with(IF_MATCH=header.format(etag=etag_for(region))), region)


@pytest.mark.parametrize("header", ["W/{etag}", '"other"', 'W/{etag}, "other"', "not-quoted"])
def test_if_match_with_a_weak_or_other_tag_is_412(tree, header):
    region = tree["AF08"]
    with pytest.raises(PreconditionFailed):
        check_if_match(request_with(IF_MATCH=header.format(etag=etag_for(region))), region)


@pytest.mark.parametrize(("header", "expected"), [("{etag}", True), ("W/{etag}", True), ("*", True), ('"x"', False)])
def test_if_none_match_compares_weakly(tree, header, expected):
    region = tree["AF08"]
    assert is_not_modified(request_with(IF_NONE_MATCH=header.format(etag=etag_for(region))), region) is expected


def test_get_of_a_record_its_reader_holds_is_304_without_a_body(reader, tree):
    first = reader.get("/api/v1/regions/AF08/")
    etag = first["ETag"]
    again = reader.get("/api/v1/regions/AF08/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""
    assert reader.get("/api/v1/regions/AF08/", HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    changed = reader.get("/api/v1/regions/AF08/", HTTP_IF_NONE_MATCH='"older"')
    assert (changed.status_code, changed["ETag"]) == (200, etag)
    assert changed.json() == first.json()


def test_the_schema_documents_if_none_match_and_304_on_reads_of_one_record(anonymous):
    operation = anonymous.get("/api/schema/?format=json").json()["paths"]["/api/v1/regions/{pcode}/"]["get"]
    assert "If-None-Match" in [parameter["name"] for parameter in operation["parameters"]]
    assert "304" in operation["responses"]
