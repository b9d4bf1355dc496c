"""How `make bench` shows its results: the README's table and the rows that miss their target."""

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
