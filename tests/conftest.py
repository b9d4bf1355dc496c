"""Fixtures for the tests of every app: the region tree, a source, and partner API clients."""

import pytest

from tests.factories import SourceFactory, make_tree
from tests.partners import client_for, issue_token


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def source(db):
    return SourceFactory()


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
