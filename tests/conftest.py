import pytest

from tests.factories import SourceFactory, make_tree


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def source(db):
    return SourceFactory()
