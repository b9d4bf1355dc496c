"""bench/growth.py (`make bench`'s growth cases) cannot rot: every case runs once at its smallest size,
on a tiny scale, through the same requests as the real run, and gives a row the table can print."""

import pytest

from bench import growth
from bench.growth import growth_cases
from bench.report import table

pytestmark = pytest.mark.django_db

CASES = ["regions/?within=AF08&as_of", "situation page", "a page of", "incremental sync", "needs/summary"]


def test_every_growth_case_runs_at_its_smallest_size_and_gives_a_full_row(monkeypatch):
    monkeypatch.setattr(growth, "TIMED_SECONDS", 0.0)  # one timing each: the code runs, nothing is measured
    rows = growth_cases(factors=(1,), scale=0.01, runs=1)

    assert len(rows) == len(CASES)
    assert {case for row in rows for case in CASES if case in row["case"]} == set(CASES)
    for row in rows:
        assert row["seconds"] > 0 and row["floor_seconds"] == row["seconds"] and row["ratio"] == 1.0, row
        assert row["size"] and row["peak_rss_mb"] > 0 and row["max_ratio"] == 1.3, row
    page = next(row for row in rows if "situation page" in row["case"])
    assert page["bytes_sent"] > 10_000
    printed = table(rows)
    assert "bytes sent" in printed and "status changes" in printed and "figures" in printed
