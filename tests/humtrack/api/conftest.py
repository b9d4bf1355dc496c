"""The partner API framework's tests: each starts with no throttle counts; an anonymous client."""

import pytest
from rest_framework.test import APIClient

from tests.partners import fresh_throttle_counts  # noqa: F401  (autouse: applies to every test here)


@pytest.fixture
def anonymous():
    return APIClient()
