"""bench/snapshot.py (`make bench`'s snapshot case) cannot rot: at its smallest size it builds the month over
every district, checks that the snapshot's counts and the raw SQL floor's agree, and times both."""

import pytest

from bench.snapshot import SMOKE_INCIDENTS, snapshot_case

pytestmark = pytest.mark.django_db


def test_the_smallest_snapshot_case_counts_what_the_floor_counts():
    measured = snapshot_case(incidents=SMOKE_INCIDENTS, runs=1)

    # 60 begun in September, and the tenth of August's that ran into it.
    assert measured["incidents_in_month"] > SMOKE_INCIDENTS
    assert measured["seconds"] > 0 and measured["floor_seconds"] > 0
    assert measured["max_ratio"] == 3.0
    assert "401 districts" in measured["case"]
