"""Every page runs only code served by humtrack itself.

A script from another host runs with the signed-in coordinator's session on our origin: it could
read the CSRF token and change access statuses. So pages load scripts and styles from our own
static files (the situation map ships its Leaflet copy), never from a CDN.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.world import COORDINATOR, FIELD_STAFF, MODEL_BACKEND, SUPERUSER, build_world

pytestmark = pytest.mark.django_db

EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", re.I)

PAGES = [
    ("admin:login", None),
    ("admin:index", SUPERUSER),
    ("admin:access_region_changelist", COORDINATOR),
    ("situation:login", None),
    ("situation:page", FIELD_STAFF),
    ("api:docs", None),
]


@pytest.mark.parametrize("url_name, role", PAGES)
def test_a_page_loads_no_code_from_another_host(url_name, role):
    world = build_world()
    client = Client()
    if role:
        client.force_login(world.users[role], backend=MODEL_BACKEND)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    external = EXTERNAL.findall(response.content.decode())
    assert not external, f"{url_name} loads {external}"
