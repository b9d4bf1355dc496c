"""Hostile input at the edge: oversized bodies, too many rows or fields, huge pages, bad text and numbers.

Each is answered with a 4xx a partner can act on (413, 400 naming the field or row), never a 500,
and nothing is written.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from access.models import Region
from humtrack.api.pagination import MAX_PAGE_SIZE
from humtrack.models import TokenScope
from needs.api.bulk import MAX_ROWS
from tests.factories import OrganisationFactory
from tests.security.principals import make_token, token_header
from tests.security.snapshots import TOKEN_USE, database_state
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

NGINX_SITE = Path(settings.BASE_DIR) / "deploy" / "nginx" / "humtrack.conf"


@pytest.fixture
def writer(db):
    _, key = make_token(OrganisationFactory(name="Organisation A"), TokenScope.READ, TokenScope.WRITE)
    return Client(**token_header(key))


def post_json(client, url, body, **extra):
    return client.post(url, body if isinstance(body, (str, bytes)) else json.dumps(body), "application/json", **extra)


def test_the_body_limit_is_the_proxy_limit():
    megabytes = re.search(r"client_max_body_size\s+(\d+)m;", NGINX_SITE.read_text())
    assert megabytes, f"no client_max_body_size in {NGINX_SITE}"
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == int(megabytes[1]) * 1024 * 1024


@pytest.mark.parametrize("who", ["anonymous", "partner"])
def test_a_body_over_the_limit_is_refused_with_413_before_anything_reads_it(writer, who):
    client = writer if who == "partner" else Client()
    before = database_state(TOKEN_USE)
    oversized = '{"rows": [' + " " * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + "]}"
    response = post_json(client, reverse("api:need-bulk"), oversized)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert database_state(TOKEN_USE) == before


def test_a_declared_length_over_the_limit_is_refused_without_waiting_for_the_body(writer):
    response = writer.post(reverse("api:restriction-list"), "{}", "application/json", CONTENT_LENGTH=str(10 * 1024**3))
    assert response.status_code == 413


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_the_admin_login_form_has_the_same_limit():
    response = Client().post(reverse("admin:login"), {"username": "x" * 4096, "password": "y"})
    assert response.status_code == 413


def test_too_many_form_fields_is_a_400_not_a_500():
    fields = {f"field{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = Client().post(reverse("admin:login"), {"username": "a", "password": "b", **fields})
    assert response.status_code == 400


def test_a_bulk_upload_over_the_row_cap_is_refused_whole(writer):
    world_source = build_world().records["a_source"]
    row = {
        "region": "AF0801",
        "sector": "FSC",
        "period_start": "2022-01-01",
        "period_end": "2022-12-31",
        "source": world_source.pk,
        "confidence": "reported",
    }
    before = database_state(TOKEN_USE)
    response = post_json(writer, reverse("api:need-bulk"), {"rows": [row] * (MAX_ROWS + 1)})
    assert response.status_code == 400
    assert response.json()["rows"][0]["field"] == "rows"
    assert database_state(TOKEN_USE) == before


def test_a_partner_cannot_overwrite_another_organisations_figure_through_a_bulk_upload(db):
    world = build_world()
    b_need = world.records["b_need"]
    _, key = make_token(world.organisation_a, TokenScope.WRITE)
    row = {
        "region": b_need.region.pcode,
        "sector": b_need.sector,
        "period_start": str(b_need.period_start),
        "period_end": str(b_need.period_end),
        "people_in_need": 1,
        "source": world.records["a_source"].pk,
        "confidence": "claimed",
    }
    before = database_state(TOKEN_USE)
    response = post_json(Client(**token_header(key)), reverse("api:need-bulk"), {"rows": [row]})
    assert response.status_code == 403
    assert database_state(TOKEN_USE) == before


@pytest.fixture
def many_regions(db):
    """More regions than the largest page, saved directly: paths by hand, no history needed here."""
    Region.objects.bulk_create(
        Region(pcode=f"ZZ{i:05d}", name=f"Region {i}", admin_level=0, path=f"ZZ{i:05d}/") for i in range(1100)
    )


@pytest.fixture
def reader(db):
    _, key = make_token(OrganisationFactory(name="Organisation A"), TokenScope.READ)
    return Client(**token_header(key))


def test_a_page_never_holds_more_than_the_cap_and_links_to_the_next(reader, many_regions):
    response = reader.get(reverse("api:region-list"), {"page_size": MAX_PAGE_SIZE})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["next"]

    over = reader.get(reverse("api:region-list"), {"page_size": MAX_PAGE_SIZE + 1})
    assert over.status_code == 400
    assert "page_size" in over.json()["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": "-5"},
        {"page_size": "abc"},
        {"page_size": "9" * 40},
        {"cursor": "!!!not-a-cursor"},
        {"cursor": "W251bGwsIG51bGxd"},  # base64 of [null, null]
        {"updated_since": "yesterday"},
        {"updated_since": "99999-01-01T00:00:00Z"},
        {"as_of": "0000-00-00"},
        {"within": "AF" * 200},
    ],
)
def test_hostile_list_parameters_get_a_4xx_or_a_page_never_a_500(reader, query):
    response = reader.get(reverse("api:region-list"), query)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.json()["status"] == response.status_code


@pytest.mark.parametrize(
    "field, value",
    [
        ("reason", "Road closed\x00; DROP TABLE access_region"),
        ("reason", "x" * 10_001),
        ("status", {"$ne": "open"}),
        ("effective_at", "9999-12-31T23:59:59-12:00"),
        ("effective_at", "2021-09-01"),  # no time, no offset
        ("source", 2**70),
        ("confidence", ["reported"]),
    ],
)
def test_hostile_fields_in_a_status_change_are_a_400_naming_the_field(writer, field, value):
    world = build_world()
    body = {"status": "inaccessible", "reason": "Road closed", "source": world.records["a_source"].pk}
    body |= {"confidence": "reported", field: value}
    before = database_state(TOKEN_USE)
    response = post_json(writer, reverse("api:region-status-changes", args=["AF08"]), body)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert database_state(TOKEN_USE) == before


def test_a_body_that_is_not_json_is_a_400(writer):
    response = post_json(writer, reverse("api:restriction-list"), b"\xff\xfe{not json")
    assert response.status_code == 400
