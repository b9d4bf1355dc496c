"""`make bench`: every benchmark case, each timed against its floor in the same run.

Each module in CASE_MODULES has `run() -> list[Result]`. Results go to bench/results.json and to the
table between the markers in README.md. Ratios, not seconds, are what to compare across machines.

A result is a dict: `case`, `seconds`, and where they apply `floor_seconds`, `ratio`, `target`, `max_ratio` (or
`min_ratio`, for a throughput ratio where higher is better: bench.report.off_target);
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

from bench.memory import peak_rss_mb
from bench.report import misses, off_target, table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CASE_MODULES = ["bench.api", "bench.alerts", "bench.webhooks", "bench.snapshot", "bench.growth", "bench.http_load"]


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
            f"off target: {r['case']} at {r.get('size', '–')}: {'; '.join(misses(r))} (target {r['target']})",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
