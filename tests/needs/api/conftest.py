"""The needs API tests: each starts with no throttle counts."""

from tests.partners import fresh_throttle_counts  # noqa: F401  (autouse: applies to every test here)
