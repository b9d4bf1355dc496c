"""bench/api.py (`make bench`'s list and bulk cases) cannot rot: both at their smallest size, through the API
as `make bench` runs them; the figures are `make bench`'s to judge, here only that every row is full."""

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


class Clock:
    """bench.api's clock, moved only by the timed action: exact timings, whatever the machine's load."""

    def __init__(self, step: float):
        self.now, self.step, self.calls = 0.0, step, 0

    def perf_counter(self) -> float:
        return self.now

    def action(self) -> None:
        self.calls += 1
        self.now += self.step


def test_best_seconds_times_past_its_runs_until_the_timings_add_up_to_the_time_asked(monkeypatch):
    clock = Clock(step=1 / 64)  # exact in binary: sums of it are exact too
    monkeypatch.setattr(bench_api, "time", clock)

    seconds = bench_api.best_seconds(clock.action, 3, at_least_seconds=0.25)

    assert clock.calls == 1 + 16  # the warm-up, then timings until they add up to 0.25 s: not just the 3 runs
    assert seconds == 1 / 64


def test_best_seconds_stops_at_its_most_runs(monkeypatch):
    clock = Clock(step=1 / 64)
    monkeypatch.setattr(bench_api, "time", clock)

    bench_api.best_seconds(clock.action, 3, at_least_seconds=60, most_runs=20)

    assert clock.calls == 21  # the warm-up and 20 timings, not a minute of them


def test_best_seconds_without_a_time_asked_takes_its_runs(monkeypatch):
    clock = Clock(step=1 / 64)
    monkeypatch.setattr(bench_api, "time", clock)

    bench_api.best_seconds(clock.action, 3)

    assert clock.calls == 4
