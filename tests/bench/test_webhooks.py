"""bench/webhooks.py (`make bench`'s webhook case) cannot rot: the real case (a Celery worker process, a
receiver on loopback, the floor by plain httpx) at its smallest size, 5 endpoints and one round.

It runs as `make bench` runs it, in a process of its own, as tests/bench/test_alerts.py explains. The case
itself fails when a POST is missing, repeated or misaddressed, or a delivery is not recorded as delivered
(bench.webhooks.check_paths); the figures are `make bench`'s to judge: here only that the row is full.
"""

import pytest

from tests.bench.test_alerts import run_case

pytestmark = pytest.mark.integration

SMOKE = {"endpoints": 5, "rounds": 1, "wait_seconds": 30}


def test_the_smallest_webhook_case_posts_to_every_endpoint_and_gives_a_full_row():
    (row,) = run_case("bench.webhooks", **SMOKE)

    assert "one change to 5 endpoints" in row["case"] and "median of 1 rounds" in row["case"]
    assert row["seconds"] > 0 and row["floor_seconds"] > 0 and row["ratio"] > 0, row
    assert row["max_ratio"] == 1.5
