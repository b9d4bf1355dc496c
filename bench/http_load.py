"""Partners over HTTP, under load (issue 17 §2): humtrack's API served by gunicorn as deploy/ runs it, timed
against a naive DRF peer and a raw floor on the same server in the same run.

The server: deploy/entrypoint.sh web (deploy/gunicorn.conf.py: gthread, GUNICORN_THREADS of
deploy/.env.example) with WEB_WORKERS processes, the production settings (bench/http_settings.py adds
the peer and the floors of bench/http_peers.py under /bench/), on a PostgreSQL database of the run's
own (`bench_http_<pid>`) and the Redis of TEST_REDIS_URL as its cache (the partner throttle counts
there). Two departures from deploy/, both for a fair measurement: HUMTRACK_API_RATE is raised so the
throttle counts every request but never refuses one (a partner driving the whole load would exceed
1,200/minute in seconds), and gunicorn's max_requests is off (`--max-requests 0`), since a worker
replaced after 2,000 requests would charge its start-up to whichever case crossed the line.

The world: Afghanistan's 34 provinces and 401 districts (access/fixtures/afg_admin.csv), a status
change on each province and on every tenth district, FIGURES need figures over the provinces and
districts, ten sectors and a few periods, and a partner token with the `read` scope.

The load: Debian's wrk from a separate process, CONNECTIONS connections on THREADS threads, SECONDS
each in ROUNDS rounds (every page once a round, the order reversed every other round), bench/http_load.lua
setting the partner's headers and printing wrk's latency percentiles. The database is ANALYZEd after
loading, as one in service would be. Cases:
- a needs page: /api/v1/needs/?sector=FSC (100 figures, the cursor's first page), against the naive
  peer (/bench/peer/needs/?sector=FSC) and the floor (/bench/floor/needs/?sector=FSC). Targets:
  ≥ 1.5× the peer's requests/s and ≥ 0.8× the floor's.
- the regions list filtered: /api/v1/regions/?level=2 (the first 100 of 401 districts, each with its
  effective status and active counts) against the floor reading the stored columns. Reported.
- a region's detail with `If-None-Match` naming its ETag (a 304) against the floor's 304. Reported.
- the needs page paced at PACED_RATE requests/s (bench/http_pacer.py, open-loop): p95 ≤ 100 ms.
In the throughput rows `seconds` is 1 / requests per second and `floor_seconds` the comparator's, so
`ratio` is ours ÷ theirs in requests/s, the median of the rounds' (`round_ratios`; requests/s and
the latencies are over all rounds): higher is better, and `min_ratio` is the target
(`max_ratio` is None). The paced row's ratio is p95 ÷ 100 ms, with `max_ratio` 1.0. `peak_rss_mb` is
the sum of the gunicorn processes' peak resident sizes (VmHWM of the master and its workers).

`python -m bench.http_load [--seconds N] [--figures N]` runs the case alone (DATABASE_URL must name
PostgreSQL). The smoke test (tests/bench/test_http_load.py) runs `run_case` at SMOKE_FIGURES for a second.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from statistics import median

from bench.api import SECTORS
from bench.database import own_database

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("http_load.lua")
HOST = "humtrack.example.org"
FIGURES = 20_000
SMOKE_FIGURES = 500
SECONDS = 10
ROUNDS = 5  # SECONDS of each page's load in this many rounds (run_case)
WARMUP_SECONDS = 2
CONNECTIONS = 4
THREADS = 2
WEB_WORKERS = 2
PACED_RATE = 50
PACED_CONNECTIONS = 8
PACED_P95_MS = 100
PEER_TARGET = 1.5
FLOOR_TARGET = 0.8
SECTOR = SECTORS[0]
DETAIL_PCODE = "AF0801"
START_TIMEOUT = 90


def load_world(figures: int) -> str:
    """The regions, their statuses, `figures` need figures and a partner; returns the partner's token key."""
    from django.db import connection

    from access.choices import AccessStatus, Confidence
    from access.models import Region, Source
    from access.services import change_access_status
    from bench.snapshot import load_regions
    from humtrack.actor import SYSTEM
    from humtrack.models import Organisation
    from needs.models import NeedFigure
    from tests.factories import SourceFactory
    from tests.partners import issue_token

    districts = load_regions()
    provinces = list(Region.objects.filter(admin_level=Region.Level.PROVINCE).order_by("path"))
    source: Source = SourceFactory()  # type: ignore[assignment]  (factory_boy returns the model instance)
    statuses = [AccessStatus.CONSTRAINED, AccessStatus.ACCESSIBLE, AccessStatus.SEVERELY_CONSTRAINED]
    for number, region in enumerate(provinces + districts[::10]):
        change_access_status(
            region=region, status=statuses[number % len(statuses)], reason="Bench status", source=source,
            confidence=Confidence.REPORTED, actor=SYSTEM, silent=True,
        )  # fmt: skip
    key = issue_token("Bench Partner", ["read"])
    organisation = Organisation.objects.get(name="Bench Partner")
    regions = provinces + districts
    per_period = len(regions) * len(SECTORS)
    NeedFigure.objects.bulk_create(
        (
            NeedFigure(
                region=regions[i % len(regions)], sector=SECTORS[(i // len(regions)) % len(SECTORS)],
                period_start=date(2020 + i // per_period, 1, 1), period_end=date(2020 + i // per_period, 12, 31),
                people_in_need=1000 + i, targeted=500, reached=100, source=source, confidence=Confidence.REPORTED,
                organisation=organisation, notes="Bench figure",
            )
            for i in range(figures)
        ),
        batch_size=2000,
    )  # fmt: skip
    # Statistics, as a database in service has them: left to autovacuum, the planner's choice (and the
    # floor's rate with it, 126 to 192 req/s in four runs) depended on whether it had come round yet.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return key


# --- the server --------------------------------------------------------------------------------------


class Server:
    """gunicorn through deploy/entrypoint.sh on the database Django is connected to."""

    def __init__(self, workdir: Path, redis_url: str):
        from django.db import connection

        from bench.alerts import database_url
        from tests.deploy.example_env import production_environment
        from tests.infrastructure import free_port

        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "web.log"
        self.environment = production_environment(
            workdir,
            DJANGO_SETTINGS_MODULE="bench.http_settings",
            DATABASE_URL=database_url(connection.settings_dict),
            CELERY_BROKER_URL=redis_url,
            CACHE_URL="rediscache://" + redis_url.split("://", 1)[1],
            EMAIL_URL="smtp://127.0.0.1:1",  # a GET sends no email; production wants the setting
            ALLOWED_HOSTS=HOST,
            SITE_URL=f"https://{HOST}",
            HUMTRACK_API_RATE="1000000/minute",  # counted, never refused (the module docstring)
            WORKER_METRICS_PORT="",
            HOST="127.0.0.1",
            PORT=str(self.port),
            WEB_CONCURRENCY=str(WEB_WORKERS),
            PROMETHEUS_MULTIPROC_DIR=str(workdir / "prometheus"),
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        from tests.deploy.example_env import DEPLOY

        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [str(DEPLOY / "entrypoint.sh"), "web", "--max-requests", "0"],
                cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz?format=text", timeout=30) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn was not ready in {START_TIMEOUT} s:\n{self.log.read_text()[-3000:]}")

    def peak_rss_mb(self) -> float:
        """The master's and its workers' peak resident sizes (VmHWM), summed."""
        from bench.memory import processes_in_group

        assert self.process is not None
        kilobytes = 0
        for pid in processes_in_group(self.process.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    kilobytes += int(line.split()[1])
        return round(kilobytes / 1024, 1)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


# --- the load ----------------------------------------------------------------------------------------


def fetch(url: str, token: str | None, if_none_match: str | None = None) -> tuple[int, dict, dict | None]:
    """One request with the partner's headers: (status, headers, parsed body or None)."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if if_none_match:
        headers["If-None-Match"] = if_none_match
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:  # 304 too: urllib treats it as an error
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    return status, answer_headers, json.loads(raw) if raw else None


def wrk(url: str, seconds: int, token: str | None, if_none_match: str | None = None) -> dict:
    """wrk's figures for `seconds` of load on `url`: requests/s, latency percentiles in ms, errors."""
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(LUA), url,
        "--", HOST, token or "-", if_none_match or "-",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return {
        "requests": figures["requests"],
        "rps": round(figures["requests"] / (figures["duration_us"] / 1e6), 2),
        "mean_ms": round(figures["mean_us"] / 1000, 2),
        "p50_ms": round(figures["p50_us"] / 1000, 2),
        "p95_ms": round(figures["p95_us"] / 1000, 2),
        "p99_ms": round(figures["p99_us"] / 1000, 2),
        "errors": sum(figures["errors"].values()),
    }


def paced(url: str, seconds: int, token: str) -> dict:
    command = [
        sys.executable, "-m", "bench.http_pacer", url, "--rate", str(PACED_RATE), "--seconds", str(seconds),
        "--connections", str(PACED_CONNECTIONS), "--header", f"Host: {HOST}", "--header", "X-Forwarded-Proto: https",
        "--header", "Accept: application/json", "--header", f"Authorization: Token {token}",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 120, cwd=ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])


def check_pages(base: str, token: str) -> dict:
    """Each URL answers what it is meant to, and ours and theirs return the same rows; returns what the
    load needs (the region's ETag) and what the smoke test asserts."""
    needs = f"?sector={SECTOR}"
    ours_status, _, ours = fetch(f"{base}/api/v1/needs/{needs}", token)
    peer_status, _, peer = fetch(f"{base}/bench/peer/needs/{needs}", token)
    floor_status, _, floor = fetch(f"{base}/bench/floor/needs/{needs}", None)
    assert (ours_status, peer_status, floor_status) == (200, 200, 200), (ours_status, peer_status, floor_status)
    assert ours is not None and peer is not None and floor is not None
    ids = [row["id"] for row in ours["results"]]
    assert ids and ids == [row["id"] for row in peer["results"]] == [row["id"] for row in floor["results"]]
    assert {row["sector"] for row in ours["results"]} == {SECTOR}

    regions_status, _, regions = fetch(f"{base}/api/v1/regions/?level=2", token)
    floor_regions_status, _, floor_regions = fetch(f"{base}/bench/floor/regions/?level=2", None)
    assert (regions_status, floor_regions_status) == (200, 200)
    assert regions is not None and floor_regions is not None
    pcodes = [row["pcode"] for row in regions["results"]]
    assert pcodes and pcodes == [row["pcode"] for row in floor_regions["results"]]

    detail = f"{base}/api/v1/regions/{DETAIL_PCODE}/"
    detail_status, detail_headers, _ = fetch(detail, token)
    etag = detail_headers["ETag"]
    not_modified, _, _ = fetch(detail, token, etag)
    floor_not_modified, floor_headers, _ = fetch(f"{base}/bench/floor/regions/{DETAIL_PCODE}/", None, etag)
    assert (detail_status, not_modified, floor_not_modified) == (200, 304, 304)
    assert floor_headers["ETag"] == etag
    return {"etag": etag, "needs_rows": len(ids), "regions_rows": len(pcodes), "not_modified_status": not_modified}


def combined(runs: list[dict]) -> dict:
    """One page's rounds as one run: requests/s over their whole time, the rounds' median latencies."""
    seconds = sum(run["requests"] / run["rps"] for run in runs if run["rps"])
    requests = sum(run["requests"] for run in runs)
    figures = {name: round(median(run[name] for run in runs), 2) for name in ("mean_ms", "p50_ms", "p95_ms", "p99_ms")}
    return {
        "requests": requests, "rps": round(requests / seconds, 2) if seconds else 0.0, **figures,
        "errors": sum(run["errors"] for run in runs), "rounds_rps": [run["rps"] for run in runs],
    }  # fmt: skip


def throughput_row(
    case: str, size: str, ours: dict, theirs: dict, target: float | None, against: str, rss: float,
    round_ratios: list[float],
) -> dict:  # fmt: skip
    return {
        "case": case,
        "size": size,
        "seconds": round(1 / ours["rps"], 6) if ours["rps"] else None,
        "floor_seconds": round(1 / theirs["rps"], 6) if theirs["rps"] else None,
        # The median of the rounds' ratios (run_case): a round's ratio compares two runs seconds apart.
        "ratio": round(median(round_ratios), 3) if ours["rps"] and theirs["rps"] else None,
        "round_ratios": [round(ratio, 3) for ratio in round_ratios],
        "target": f"≥ {target}× the {against}'s req/s" if target else "none (reported)",
        "min_ratio": target,
        "max_ratio": None,
        "peak_rss_mb": rss,
        "rps": ours["rps"],
        "p50_ms": ours["p50_ms"],
        "p95_ms": ours["p95_ms"],
        "p99_ms": ours["p99_ms"],
        "errors": ours["errors"],
        "against": against,
        "against_figures": theirs,
        "load": f"wrk, {CONNECTIONS} connections, {THREADS} threads, {len(round_ratios)} rounds",
    }


def run_case(*, figures: int, seconds: int, warmup_seconds: int, workdir: Path, redis_url: str) -> list[dict]:
    """The whole case against the database Django is connected to (PostgreSQL, migrated, empty)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError("bench.http_load needs PostgreSQL (DATABASE_URL=postgres://…): two gunicorn workers")
    if shutil.which("wrk") is None:
        raise RuntimeError("bench.http_load needs wrk (Debian's package; `make bench` installs it)")
    token = load_world(figures)
    server = Server(workdir, redis_url).start()
    try:
        base = server.base_url
        checked = check_pages(base, token)
        etag = checked["etag"]
        needs = f"?sector={SECTOR}"
        urls = {
            "needs": (f"{base}/api/v1/needs/{needs}", token, None),
            "peer_needs": (f"{base}/bench/peer/needs/{needs}", token, None),
            "floor_needs": (f"{base}/bench/floor/needs/{needs}", None, None),
            "regions": (f"{base}/api/v1/regions/?level=2", token, None),
            "floor_regions": (f"{base}/bench/floor/regions/?level=2", None, None),
            "not_modified": (f"{base}/api/v1/regions/{DETAIL_PCODE}/", token, etag),
            "floor_not_modified": (f"{base}/bench/floor/regions/{DETAIL_PCODE}/", None, etag),
        }
        for url, key, tag in urls.values():  # every worker thread's first requests: connections, caches
            if warmup_seconds:
                wrk(url, warmup_seconds, key, tag)
            else:
                for _ in range(WEB_WORKERS * 4):
                    fetch(url, key, tag)
        # In rounds, every page once a round, the order reversed every other round: this machine's speed
        # drifts over seconds (one page measured 10 s after another ran at 0.46× and 1.23× its rate in two
        # runs of the same code), so each comparison is made within a round and its ratio is the median.
        rounds = max(1, min(ROUNDS, seconds))
        runs: dict[str, list[dict]] = {name: [] for name in urls}
        for number in range(rounds):
            order = list(urls) if number % 2 == 0 else list(reversed(urls))
            for name in order:
                url, key, tag = urls[name]
                runs[name].append(wrk(url, max(1, seconds // rounds), key, tag))
        measured = {name: combined(name_runs) for name, name_runs in runs.items()}
        paced_figures = paced(urls["needs"][0], seconds, token)
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    total = f"{figures:,}"
    needs_size = f"{checked['needs_rows']} of {total} figures, sector {SECTOR}"
    regions_size = f"{checked['regions_rows']} of 401 districts"
    compared = [  # (case, size, ours, theirs, target in requests/s ÷ theirs, who they are)
        (f"needs page ({needs_size}) vs naive DRF peer", needs_size, "needs", "peer_needs", PEER_TARGET, "peer"),
        (f"needs page ({needs_size}) vs raw SQL + orjson", needs_size, "needs", "floor_needs", FLOOR_TARGET, "floor"),
        (f"regions list (level=2, {regions_size}) vs raw SQL + orjson", regions_size, "regions", "floor_regions",
         None, "floor"),
        (f"region detail, If-None-Match → 304 ({DETAIL_PCODE}) vs a 304 from one SQL query", "one region",
         "not_modified", "floor_not_modified", None, "floor"),
    ]  # fmt: skip
    rows = [
        throughput_row(
            f"HTTP {case}", size, measured[ours], measured[theirs], target, against, rss,
            [a["rps"] / b["rps"] if b["rps"] else 0.0 for a, b in zip(runs[ours], runs[theirs], strict=True)],
        )
        for case, size, ours, theirs, target, against in compared
    ]  # fmt: skip
    rows[0]["response_rows"] = rows[1]["response_rows"] = checked["needs_rows"]
    rows[2]["response_rows"] = checked["regions_rows"]
    rows[3]["response_status"] = checked["not_modified_status"]
    p95 = paced_figures["p95_ms"]
    rows.append({
        "case": f"HTTP needs page ({needs_size}) paced at {PACED_RATE} req/s, open loop: p95",
        "size": needs_size,
        "seconds": round(p95 / 1000, 6),
        "floor_seconds": None,
        "ratio": round(p95 / PACED_P95_MS, 3),
        "target": f"p95 ≤ {PACED_P95_MS} ms (ratio: p95 ÷ {PACED_P95_MS} ms)",
        "max_ratio": 1.0,
        "peak_rss_mb": rss,
        "rps": paced_figures["rate_achieved"],
        "p50_ms": paced_figures["p50_ms"],
        "p95_ms": p95,
        "p99_ms": paced_figures["p99_ms"],
        "statuses": paced_figures["statuses"],
        "load": f"bench/http_pacer.py, {PACED_RATE} req/s, {PACED_CONNECTIONS} connections",
    })  # fmt: skip
    for row in rows:
        row["duration_seconds"] = seconds
        row["server"] = f"gunicorn gthread, {WEB_WORKERS} workers × {server.environment['GUNICORN_THREADS']} threads"
    return rows


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def run(*, figures: int = FIGURES, seconds: int = SECONDS) -> list[dict]:
    """`make bench`'s entry: the case on a PostgreSQL database of its own; none on SQLite (said on stderr)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.test")
    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench.http_load: skipped, needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
        return []
    workdir = Path(tempfile.mkdtemp(prefix="humtrack-bench-http-"))
    # Named: gunicorn's processes connect to it by name.
    with own_database(f"bench_http_{os.getpid()}"):
        try:
            rows = run_case(
                figures=figures, seconds=seconds, warmup_seconds=WARMUP_SECONDS, workdir=workdir, redis_url=redis_url()
            )
        except Exception:
            print(f"bench.http_load: failed; gunicorn's log is in {workdir}", file=sys.stderr)
            raise
    shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="The HTTP load case alone (bench/http_load.py).")
    parser.add_argument("--seconds", type=int, default=SECONDS, help="of load per run")
    parser.add_argument("--figures", type=int, default=FIGURES)
    args = parser.parse_args()
    rows = run(figures=args.figures, seconds=args.seconds)
    print(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
