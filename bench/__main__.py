"""`make bench`: every benchmark case, each timed against its floor in the same run.

Each module in CASE_MODULES has `run() -> list[Result]`. Results go to bench/results.json and to the
table between the markers in README.md. Ratios, not seconds, are what to compare across machines.
"""

import importlib
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CASE_MODULES = ["bench.api", "bench.alerts", "bench.webhooks", "bench.snapshot"]


def table(results: list[dict]) -> str:
    lines = ["| case | ours (s) | floor (s) | ratio | target |", "|---|---|---|---|---|"]
    for r in results:
        floor = f"{r['floor_seconds']:.3f}" if r.get("floor_seconds") is not None else "–"
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else "–"
        lines.append(f"| {r['case']} | {r['seconds']:.3f} | {floor} | {ratio} | {r.get('target', '–')} |")
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
        results += module.run()
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
    failed = [r for r in results if r.get("ratio") is not None and r.get("max_ratio") and r["ratio"] > r["max_ratio"]]
    for r in failed:
        print(f"over target: {r['case']} {r['ratio']:.2f}× > {r['max_ratio']}×", file=sys.stderr)


if __name__ == "__main__":
    main()
