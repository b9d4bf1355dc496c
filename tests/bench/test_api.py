"""bench/api.py (`make bench`'s list and bulk cases) cannot rot: both at their smallest size, through the API
as `make bench` runs them; the figures are `make bench`'s to judge, here only that every row is full."""

import time

import pytest

from bench import api as bench_api
from bench.api import bulk_case, list_case, scenario

pytestmark = pytest.mark.django_db


def test_the_smallest_list_case_pages_what_the_floor_reads():
    client, source, regions = scenario()

    measured = list_case(client, source, regions, rows=20, runs=1)

    assert measured["size"] == "20 rows" and measured["max_ratio"] == 1.5
    assert measured["seconds"] > 0 and measured["floor_seconds"] > 0, measured


def test_the_smallest_bulk_case_upserts_and_says_what_the_upload_took_in_memory():
    client, source, regions = scenario()

    measured = bulk_case(client, source, regions, size=100, runs=1)

    assert measured["size"] == "100 rows" and measured["max_ratio"] == 1.3 and measured["max_rss_growth_mb"] == 150
    assert measured["seconds"] > 0 and measured["floor_seconds"] > 0, measured
    assert measured["rss_of"] == "web process, first upload" and measured["peak_rss_mb"] > 20, measured
    assert measured["rss_growth_mb"] is not None, measured


def test_best_seconds_times_past_its_runs_until_the_timings_add_up_to_the_time_asked():
    calls = []
    seconds = bench_api.best_seconds(lambda: (calls.append(1), time.sleep(0.001)), 3, at_least_seconds=0.05)
    # A warm-up, then timings until 50 ms of them: about 50 of a 1 ms action, never just the 3 runs.
    assert 40 <= len(calls) - 1 <= 51
    assert 0.001 <= seconds < 0.05


def test_best_seconds_stops_at_its_most_runs():
    calls = []
    bench_api.best_seconds(lambda: calls.append(1), 3, at_least_seconds=60, most_runs=20)
    assert len(calls) == 21  # the warm-up and 20 timings, not a minute of them
