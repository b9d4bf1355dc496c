"""bench/http_load.py (`make bench`'s HTTP case) cannot rot: at its smallest size, for a second per run, it
starts gunicorn as deploy/ runs it on PostgreSQL, checks that humtrack's pages, the naive peer's and the
floors' return the same rows (and the region's detail a 304), and loads each with wrk and the pacer.

The figures are `make bench`'s to judge, not this test's: here only that every run was served.
"""

import shutil

import pytest

from bench.http_load import SMOKE_FIGURES, run_case
from tests.infrastructure import REQUIRE_SERVICES, redis_url, require_postgresql

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_smallest_http_load_case_serves_every_page_under_load(tmp_path):
    require_postgresql()
    if shutil.which("wrk") is None:
        message = "wrk (Debian's package, `make bench-deps`) is not installed"
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)

    rows = run_case(figures=SMOKE_FIGURES, seconds=1, warmup_seconds=0, workdir=tmp_path, redis_url=redis_url())

    peer, floor, regions, not_modified, paced = rows
    assert peer["response_rows"] == floor["response_rows"] == 100
    assert regions["response_rows"] == 100
    assert not_modified["response_status"] == 304
    for row in rows:
        assert row["rps"] > 0 and row["p95_ms"] > 0 and row["peak_rss_mb"] > 0, row
        assert row.get("errors", 0) == 0, row
    for row in (peer, floor, regions, not_modified):
        assert row["against_figures"]["rps"] > 0 and row["against_figures"]["errors"] == 0, row
    assert peer["min_ratio"] == 1.5 and floor["min_ratio"] == 0.8 and peer["max_ratio"] is None
    assert set(paced["statuses"]) == {"200"}, paced
    assert paced["max_ratio"] == 1.0
