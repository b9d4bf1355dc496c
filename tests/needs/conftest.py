"""Partner API clients for the needs tests (the same tokens as tests/conftest.py's)."""

import pytest
from django.core.cache import cache

from tests.partners import client_for, issue_token


@pytest.fixture
def reader(db):
    cache.clear()  # throttle counts live in the cache
    return client_for(issue_token("Reader Org", ["read"]))


@pytest.fixture
def writer(db):
    cache.clear()
    return client_for(issue_token("Logistics Cluster", ["read", "write"]))
