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
        if r.get("rss_of"):
            rss += f" ({r['rss_of']})"
        if r.get("rss_growth_mb") is not None:
            rss += f"; +{r['rss_growth_mb']:,.0f} during the case"
        lines.append(
            f"| {case_text(r)} | {r.get('size', '–')} | {r['seconds']:.3f} | {floor} | {ratio} | "
            f"{r.get('target', '–')} | {rss} |"
        )
    return "\n".join(lines)


def misses(r: dict) -> list[str]:
    """What of a row misses its target: its ratio above `max_ratio` (a time against its floor) or below
    `min_ratio` (a throughput against a peer's or the floor's, where higher is better); its peak resident
    set above `max_peak_rss_mb`; its growth of the resident set during the case above `max_rss_growth_mb`."""
    found = []
    ratio = r.get("ratio")
    if ratio is not None and r.get("max_ratio") is not None and ratio > r["max_ratio"]:
        found.append(f"{ratio:.2f}× > {r['max_ratio']}×")
    if ratio is not None and r.get("min_ratio") is not None and ratio < r["min_ratio"]:
        found.append(f"{ratio:.2f}× < {r['min_ratio']}×")
    for figure, limit in [("peak_rss_mb", "max_peak_rss_mb"), ("rss_growth_mb", "max_rss_growth_mb")]:
        if r.get(figure) is not None and r.get(limit) is not None and r[figure] > r[limit]:
            found.append(f"{figure} {r[figure]:,.0f} > {r[limit]:,} MB")
    return found


def off_target(results: list[dict]) -> list[dict]:
    """The rows that miss their target (`misses`)."""
    return [r for r in results if misses(r)]
