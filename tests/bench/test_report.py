"""bench/report.py: the table gives every row its size and peak RSS, and a load run's figures after its case;
a row misses its target above its max_ratio or below its min_ratio."""

from bench.report import misses, off_target, table


def test_the_table_gives_size_peak_rss_and_a_load_runs_figures():
    rows = [
        {"case": "list 500 need figures", "seconds": 0.006, "floor_seconds": 0.005, "ratio": 1.2, "target": "≤ 2.5×"},
        {
            "case": "load: needs list over HTTP", "size": "8 workers", "seconds": 30.0, "peak_rss_mb": 312.4,
            "rps": 850.2, "p50_ms": 9.44, "p95_ms": 21.0, "p99_ms": 40.25,
        },
    ]  # fmt: skip

    header, _, plain, load = table(rows).splitlines()

    assert header == "| case | size | ours (s) | floor (s) | ratio | target | peak RSS (MB) |"
    assert plain == "| list 500 need figures | – | 0.006 | 0.005 | 1.20× | ≤ 2.5× | – |"
    assert load == (
        "| load: needs list over HTTP (850 req/s; p50 9.4 ms; p95 21.0 ms; p99 40.2 ms) | 8 workers | 30.000 | – | – "
        "| – | 312 |"
    )


def test_a_row_is_off_target_above_its_max_ratio_or_below_its_min_ratio():
    rows = [
        {"case": "time within", "ratio": 1.2, "max_ratio": 2.5},
        {"case": "time over", "ratio": 2.6, "max_ratio": 2.5},
        {"case": "throughput within", "ratio": 1.6, "min_ratio": 1.5, "max_ratio": None},
        {"case": "throughput under", "ratio": 0.4, "min_ratio": 0.8, "max_ratio": None},
        {"case": "reported only", "ratio": 0.07, "min_ratio": None, "max_ratio": None},
        {"case": "no ratio", "ratio": None, "max_ratio": 1.0},
    ]

    assert [r["case"] for r in off_target(rows)] == ["time over", "throughput under"]


def test_a_row_is_off_target_when_its_memory_is_over_its_limit():
    rows = [
        {"case": "worker within", "ratio": 9.0, "max_ratio": 11, "peak_rss_mb": 240.0, "max_peak_rss_mb": 250},
        {"case": "worker over", "ratio": 9.0, "max_ratio": 11, "peak_rss_mb": 251.0, "max_peak_rss_mb": 250},
        {"case": "growth over", "rss_growth_mb": 151.0, "max_rss_growth_mb": 150},
        {"case": "growth within", "rss_growth_mb": 149.0, "max_rss_growth_mb": 150},
        {"case": "no limit", "peak_rss_mb": 999.0},
    ]

    assert [r["case"] for r in off_target(rows)] == ["worker over", "growth over"]
    assert misses(rows[1]) == ["peak_rss_mb 251 > 250 MB"]


def test_the_table_says_whose_memory_and_its_growth_during_the_case():
    row = {
        "case": "bulk upload", "seconds": 1.0, "peak_rss_mb": 180.4, "rss_of": "web process", "rss_growth_mb": 61.2,
    }  # fmt: skip

    assert table([row]).splitlines()[-1].endswith("| 180 (web process); +61 during the case |")
