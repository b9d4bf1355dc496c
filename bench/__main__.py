"""`make bench`: every benchmark case, each timed against its floor in the same run.

Each module in CASE_MODULES has `run() -> list[Result]`. Results go to bench/results.json and to the
table between the markers in README.md. Ratios, not seconds, are what to compare across machines.

A result is a dict: `case`, `seconds`, and where they apply `floor_seconds`, `ratio`, `target`, `max_ratio`;
`size` (the data a case ran on: bench/growth.py's three sizes of each case), `peak_rss_mb` (the bench
process's peak resident set after the case: set here for a module that does not give it), and the
figures of a load run or a page (`rps`, `p50_ms`, `p95_ms`, `p99_ms`, `bytes_sent`), printed after the case.
"""

import importlib
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.api import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CASE_MODULES = ["bench.api", "bench.alerts", "bench.webhooks", "bench.snapshot", "bench.growth", "bench.http_load"]
# Figures a case may carry besides its time, printed after its name: (key, how).
EXTRAS = [
    ("rps", "{:,.0f} req/s"),
    ("p50_ms", "p50 {:,.1f} ms"),
    ("p95_ms", "p95 {:,.1f} ms"),
    ("p99_ms", "p99 {:,.1f} ms"),
    ("bytes_sent", "{:,} bytes sent"),
]


def case_text(r: dict) -> str:
    extras = [how.format(r[key]) for key, how in EXTRAS if r.get(key) is not None]
    return f"{r['case']} ({'; '.join(extras)})" if extras else r["case"]


def table(results: list[dict]) -> str:
    lines = [
        "| case | size | ours (s) | floor (s) | ratio | target | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        floor = f"{r['floor_seconds']:.3f}" if r.get("floor_seconds") is not None else "–"
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else "–"
        rss = f"{r['peak_rss_mb']:,.0f}" if r.get("peak_rss_mb") is not None else "–"
        lines.append(
            f"| {case_text(r)} | {r.get('size', '–')} | {r['seconds']:.3f} | {floor} | {ratio} | "
            f"{r.get('target', '–')} | {rss} |"
        )
    return "\n".join(lines)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.test")
    results = []
    for name in CASE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        measured = module.run()
        rss = peak_rss_mb()
        for r in measured:
            r.setdefault("peak_rss_mb", rss)
        results += measured
    payload = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "results": results,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    text = README.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        block = f"{BEGIN}\nMeasured {payload['measured_at']} on {payload['machine']}.\n\n{table(results)}\n{END}"
        README.write_text(head + block + tail)
    print(table(results))
    for r in off_target(results):
        print(
            f"off target: {r['case']} at {r.get('size', '–')}: {r['ratio']:.2f}×, target {r['target']}", file=sys.stderr
        )


def off_target(results: list[dict]) -> list[dict]:
    """Rows whose ratio misses its target: above `max_ratio` (a time against its floor) or below
    `min_ratio` (a throughput against a peer's or the floor's, where higher is better)."""
    return [
        r
        for r in results
        if r.get("ratio") is not None
        and (
            (r.get("max_ratio") is not None and r["ratio"] > r["max_ratio"])
            or (r.get("min_ratio") is not None and r["ratio"] < r["min_ratio"])
        )
    ]


if __name__ == "__main__":
    main()
