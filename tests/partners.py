"""Partner tokens and API clients for the API tests: issue a token, get a client that sends it.

The fixtures built on them are in tests/conftest.py (`reader`, `writer`, `other_writer`, used by the
API tests of every app). `fresh_throttle_counts` is imported by the conftest of each API test folder
(tests/<app>/api/), where it applies to every test.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from humtrack.models import ApiToken, Organisation, hash_token_key


def issue_token(organisation_name: str, scopes) -> str:
    organisation, _ = Organisation.objects.get_or_create(name=organisation_name)
    key = ApiToken.generate_key()
    ApiToken.objects.create(
        organisation=organisation, key_hash=hash_token_key(key), prefix=key[:8], scopes=list(scopes)
    )
    return key


def client_for(key: str | None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    # Throttle counts live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()
