"""Partner tokens and an API client for the API tests."""

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
def _fresh_throttle_counts():
    # Throttle counts live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader(db):
    return client_for(issue_token("Reader Org", ["read"]))


@pytest.fixture
def writer(db):
    """A partner (Logistics Cluster) with read and write scopes."""
    return client_for(issue_token("Logistics Cluster", ["read", "write"]))


@pytest.fixture
def other_writer(db):
    """Another partner organisation with read and write scopes."""
    return client_for(issue_token("Health Cluster", ["read", "write"]))


@pytest.fixture
def anonymous():
    return APIClient()
