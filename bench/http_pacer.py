"""A paced HTTP load, open-loop: requests at a fixed rate whatever the server's speed, for a latency target
"at N requests/s" (bench/http_load.py). Run as its own process, so it shares no interpreter with the
server or the bench:

    python -m bench.http_pacer URL --rate 50 --seconds 10 --header "Authorization: Token …" …

wrk keeps each connection busy (closed-loop): a slow server is sent fewer requests, and its slow answers
hide the ones that would have queued behind them (coordinated omission). wrk2, which paces, is not in
Debian. Here request i is due at start + i/rate; a pool of keep-alive connections sends each when due
and its latency counts from when it was due, so a request that waited for a free connection is charged
the wait. Prints one JSON line: requests, statuses, achieved rate, p50/p95/p99 in milliseconds.
"""

import argparse
import http.client
import json
import queue
import threading
import time
from collections import Counter
from urllib.parse import urlsplit


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def pace(url: str, rate: float, seconds: float, headers: dict[str, str], connections: int) -> dict:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def send_when_due():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while (when := due.get()) is not None:
            time.sleep(max(0.0, when - time.perf_counter()))
            try:
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except OSError as error:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                status = type(error).__name__
            with lock:
                latencies.append(time.perf_counter() - when)
                statuses[status] += 1
        conn.close()

    workers = [threading.Thread(target=send_when_due, daemon=True) for _ in range(connections)]
    for worker in workers:
        worker.start()
    total = int(rate * seconds)
    start = time.perf_counter() + 0.1
    for number in range(total):
        due.put(start + number / rate)
    for _ in workers:
        due.put(None)
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "statuses": dict(statuses),
        "rate_asked": rate,
        "rate_achieved": round(len(latencies) / elapsed, 2),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections (requests in flight)")
    parser.add_argument("--header", action="append", default=[], help='"Name: value", repeatable')
    args = parser.parse_args()
    headers = dict(header.split(": ", 1) for header in args.header)
    print(json.dumps(pace(args.url, args.rate, args.seconds, headers, args.connections)))


if __name__ == "__main__":
    main()
