"""Alert benchmarks (issue 4), each against its floor in the same run, with a real worker and SMTP server.

- Fan-out to 5,000 subscribers: from the commit of one status change to the 5,000th email accepted by
  an aiosmtpd server on loopback, through the whole pipeline (outbox, broker, a Celery worker with as
  many processes as deploy/'s alerts worker: fan-out, claims, rendering, sending in batches, marking
  each sent). Floor: the same 5,000 messages (the bytes the pipeline sent) sent again with plain smtplib
  over one connection to the same server. Target ≤ 1.1× (issue 17 §3). Three rounds, each a fan-out then
  its floor, and the median round: one round's ratio moved by a third between runs on an idle machine.
- Commit to first email: one subscriber, the worker idle; the median of several changes. Target: the
  issue's "within a minute", reported in seconds (no floor).
- Commit to first email while a fan-out of 5,000 is running (issue 17 §3): 20 changes, each to a district
  of its own with one subscriber of its own, committed one every 0.2 s (five a second) from right after
  the fan-out's change; each one's latency is its commit to its subscriber's email. Target: p95 ≤ 0.5 s.
  The case fails if the fan-out ended before the last change committed (it would not have measured what
  it says).
- Fan-out to 50,000 subscribers, once: its time against the 5,000 case's (target ≤ 11×) and the worker's
  peak resident set during it (the largest process of the worker's group, its peak reset before the
  fan-out: target ≤ 250 MB).

The database is a test database of its own (`bench_alerts_<name>` with DATABASE_URL set to PostgreSQL,
else an SQLite file in a temporary folder), shared with the worker process. The broker is Redis at
TEST_REDIS_URL when it answers, else kombu's filesystem transport in the temporary folder.
"""

import logging
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

from bench.database import own_database, shared_database_name
from bench.http_pacer import percentile
from bench.memory import largest_peak_in_group_mb, processes_in_group, reset_peak

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS = 5_000
LARGE_SUBSCRIBERS = 50_000
LATENCY_RUNS = 5
LOADED_LATENCY_CHANGES = 20
LOADED_LATENCY_SPACING = 0.2  # seconds between the changes: 20 of them over most of a 5,000 fan-out
FAN_OUT_ROUNDS = 3
WATCHED_PREFIX = "latency"  # the recipients whose arrivals are kept one by one
# As deploy/ runs the alerts worker (compose.yaml's worker-alerts, k8s/worker.yaml): sending is mostly
# waiting on the SMTP server and the database, so the alerts worker runs more processes than cores.
WORKER_CONCURRENCY = "4"
WAIT_SECONDS = 600  # for the emails of one step; the smoke test (tests/bench) waits less, to fail fast


class CountingHandler:
    """The leanest useful SMTP handler: keeps each message's bytes and when it arrived."""

    def __init__(self, wait_seconds: float = WAIT_SECONDS):
        self.wait_seconds = wait_seconds
        self.lock = threading.Lock()
        self.messages = []
        self.arrivals = []
        self.expected = None
        self.all_arrived = threading.Event()  # waited on, not polled: polling would take the server's GIL
        self.watched = {}  # WATCHED_PREFIX… recipient: when their first email arrived

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            arrived = time.perf_counter()
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self.arrivals.append(arrived)
            for recipient in envelope.rcpt_tos:
                if recipient.startswith(WATCHED_PREFIX):
                    self.watched.setdefault(recipient, arrived)
            if len(self.arrivals) == self.expected:
                self.all_arrived.set()
        return "250 Message accepted for delivery"

    def reset(self, expected: int | None = None):
        with self.lock:
            self.messages, self.arrivals, self.watched = [], [], {}
            self.expected = expected
            self.all_arrived.clear()

    def wait_all(self, what: str) -> float:
        """When the last of the expected messages arrived."""
        if not self.all_arrived.wait(timeout=self.wait_seconds):
            raise RuntimeError(f"bench: timed out waiting for {what} ({self.count()} of {self.expected})")
        return self.arrivals[-1]

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.002)
    raise RuntimeError(f"bench: timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_broker() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1).close()
    except OSError:
        return None
    return url


def database_url(settings_dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    auth = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


def point_celery_at(broker_url: str, var_dir: Path):
    from humtrack.celery import app

    if broker_url.startswith("filesystem://"):
        folders = {name: var_dir / "broker" / name for name in ("queue", "processed", "control")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        options = {
            "control_folder": str(folders["control"]),
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "store_processed": False,
        }
    else:
        options = {"visibility_timeout": 3600}
    # Celery takes the broker from the CELERY_BROKER_URL environment variable before any configuration
    # (celery.app.utils.Settings.broker_url): a developer's Redis there would take this process's messages
    # and pings to a broker the case's worker does not read, and the case would time out waiting for it.
    os.environ["CELERY_BROKER_URL"] = broker_url
    # Under the CELERY_ namespace of Django's settings, which Celery 5.6 looks up before `broker_url`.
    app.conf.update(
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_TRANSPORT_OPTIONS=options,
        broker_url=broker_url,
        broker_transport_options=options,
    )
    app._after_fork()


def empty_redis_queues(broker_url: str):
    import redis

    parsed = urlparse(broker_url)
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=int(parsed.path.strip("/") or 0))
    client.delete("alerts", "default", "unacked", "unacked_index")


def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115  (the child writes to it until it stops)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "humtrack", "worker", "--concurrency", WORKER_CONCURRENCY,
         "--queues", "alerts,default", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING", "--hostname", "bench@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    log.close()
    return process


def wait_worker_ready(process, log_path: Path):
    from humtrack.celery import app

    def ready():
        if process.poll() is not None:
            raise RuntimeError(f"bench: the worker exited:\n{log_path.read_text()[-2000:]}")
        return bool(app.control.ping(timeout=0.5))

    wait_for(ready, timeout=90, what="the worker")


def result(case, seconds, floor, target, max_ratio=None, **figures) -> dict:
    return {
        "case": case,
        "seconds": round(seconds, 6),
        "floor_seconds": round(floor, 6) if floor is not None else None,
        "ratio": round(seconds / floor, 3) if floor else None,
        "target": target,
        "max_ratio": max_ratio,
        **figures,
    }


def send_plainly(handler, smtp_port: int, messages) -> float:
    handler.reset(expected=len(messages))
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", smtp_port) as client:
        for mail_from, recipients, content in messages:
            client.sendmail(mail_from, recipients, content)
    return handler.wait_all("the floor's emails") - start


def check_recipients(handler, expected: list[str], what: str):
    """Every expected recipient got exactly one message, and nobody else got one: else the time is not the case's."""
    with handler.lock:
        received = sorted(recipient for _, recipients, _ in handler.messages for recipient in recipients)
    if received != sorted(expected):
        missing, unexpected = sorted(set(expected) - set(received)), sorted(set(received) - set(expected))
        raise RuntimeError(
            f"bench: {what} sent {len(received)} emails for {len(expected)} subscribers"
            f" (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )


def measure(
    handler,
    smtp_port: int,
    *,
    worker_group: int,
    subscribers: int = SUBSCRIBERS,
    large_subscribers: int = LARGE_SUBSCRIBERS,
    fan_out_rounds: int = FAN_OUT_ROUNDS,
    latency_runs: int = LATENCY_RUNS,
    loaded_changes: int = LOADED_LATENCY_CHANGES,
    check_overlap: bool = True,
) -> list[dict]:
    from django.db import transaction

    from access.alerts.subscriptions import create_subscription
    from access.choices import AccessStatus, Confidence
    from access.models import Subscription
    from access.services import change_access_status
    from humtrack.actor import SYSTEM
    from tests.factories import SourceFactory, make_region, make_tree

    tree = make_tree()
    source = SourceFactory()
    statuses = [AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE]
    changes_of = {}  # region pk: how many changes so far, so that each change is to the other status

    def change(region) -> float:
        status = statuses[changes_of.get(region.pk, 0) % 2]
        changes_of[region.pk] = changes_of.get(region.pk, 0) + 1
        committed_at = []
        with transaction.atomic():
            # The clock starts at the commit: this hook runs first after it, before the change's own hooks
            # publish its fan-out (a worker may send the email before change_access_status returns).
            transaction.on_commit(lambda: committed_at.append(time.perf_counter()))
            change_access_status(
                region=region, status=status, reason="Bench", source=source, confidence=Confidence.CONFIRMED,
                actor=SYSTEM,
            )  # fmt: skip
        return committed_at[0]

    def add_subscribers(first: int, last: int) -> list[str]:
        emails = [f"staff{n}@example.org" for n in range(first, last)]
        subscriptions = Subscription.objects.bulk_create(
            Subscription(email=email, name=f"Field staff {n}")
            for n, email in zip(range(first, last), emails, strict=True)
        )
        Subscription.regions.through.objects.bulk_create(
            Subscription.regions.through(subscription=s, region=tree["AF08"]) for s in subscriptions
        )
        return emails

    # Commit to first email: one subscriber, the worker idle between changes.
    create_subscription(actor=SYSTEM, regions=[tree["AF0305"]], email=f"{WATCHED_PREFIX}@example.org")
    latencies = []
    for _ in range(latency_runs + 1):  # the first one warms the worker up and is not counted
        handler.reset(expected=1)
        committed = change(tree["AF0305"])
        latencies.append(handler.wait_all("the first email") - committed)
        time.sleep(0.3)
    latency = statistics.median(latencies[1:])

    # Fan-out to 5,000.
    emails = add_subscribers(0, subscribers)
    rounds = []
    for _ in range(fan_out_rounds):
        handler.reset(expected=subscribers)
        committed = change(tree["AF08"])  # subscribers follow any change
        fan_out_seconds = handler.wait_all(f"{subscribers:,} emails") - committed
        check_recipients(handler, emails, "the fan-out")
        # The floor right after: the same messages, plain smtplib, one connection.
        rounds.append((fan_out_seconds, send_plainly(handler, smtp_port, list(handler.messages))))
    fan_out_seconds, floor_seconds = sorted(rounds, key=lambda r: r[0] / r[1])[len(rounds) // 2]
    print(f"bench: fan-out rounds (ours, floor): {[(round(a, 2), round(b, 2)) for a, b in rounds]}", file=sys.stderr)
    fan_out_worker_mb = largest_peak_in_group_mb(worker_group)

    # Commit to first email while the fan-out runs: each change a district and a subscriber of its own.
    districts = [
        make_region(f"AF03{50 + n:02d}", f"Bench district {n}", parent=tree["AF03"]) for n in range(loaded_changes)
    ]
    watched = [f"{WATCHED_PREFIX}{n}@example.org" for n in range(loaded_changes)]
    for district, email in zip(districts, watched, strict=True):
        create_subscription(actor=SYSTEM, regions=[district], email=email)
    handler.reset(expected=subscribers + loaded_changes)
    change(tree["AF08"])
    committed_at = []
    for district in districts:
        time.sleep(LOADED_LATENCY_SPACING)
        committed_at.append(change(district))
    handler.wait_all("the fan-out and the changes during it")
    check_recipients(handler, emails + watched, "the fan-out with changes during it")
    with handler.lock:
        fan_out_ended = max(
            arrived
            for (_, recipients, _), arrived in zip(handler.messages, handler.arrivals, strict=True)
            if not recipients[0].startswith(WATCHED_PREFIX)
        )
    if check_overlap and fan_out_ended < committed_at[-1]:
        raise RuntimeError("bench: the fan-out ended before the last change during it committed")
    loaded = [handler.watched[email] - committed for email, committed in zip(watched, committed_at, strict=True)]
    print(f"bench: commit to first email during the fan-out (s): {[round(x, 3) for x in loaded]}", file=sys.stderr)

    # Fan-out to 50,000, once: its time against the 5,000 case's; the worker's peak during it alone.
    all_emails = emails + add_subscribers(subscribers, large_subscribers)
    reset_peak(processes_in_group(worker_group))
    handler.reset(expected=large_subscribers)
    committed = change(tree["AF08"])
    large_seconds = handler.wait_all(f"{large_subscribers:,} emails") - committed
    check_recipients(handler, all_emails, "the large fan-out")
    large_worker_mb = largest_peak_in_group_mb(worker_group)

    worker = "the worker's largest process"
    return [
        result(
            f"alerts: fan-out to {subscribers:,} subscribers, commit to last email (vs smtplib, one connection;"
            f" median of {fan_out_rounds} rounds)",
            fan_out_seconds,
            floor_seconds,
            "≤ 1.1×",
            1.1,
            size=f"{subscribers:,} subscribers",
            peak_rss_mb=fan_out_worker_mb,
            rss_of=worker,
        ),
        result(
            f"alerts: fan-out to {large_subscribers:,} subscribers, commit to last email (vs the {subscribers:,} case)",
            large_seconds,
            fan_out_seconds,
            "≤ 11×; ≤ 250 MB",
            11,
            size=f"{large_subscribers:,} subscribers",
            peak_rss_mb=large_worker_mb,
            rss_of=worker,
            max_peak_rss_mb=250,
        ),
        result(
            f"alerts: commit to first email (median of {latency_runs})",
            latency,
            None,
            "≤ 60 s",
            size="1 subscriber, worker idle",
        ),
        result(
            f"alerts: commit to first email during a {subscribers:,} fan-out (p95 of {loaded_changes})",
            percentile(loaded, 0.95),
            0.5,
            "p95 ≤ 0.5 s",
            1.0,
            size=f"{loaded_changes} changes, 1 subscriber each",
            p50_ms=round(percentile(loaded, 0.5) * 1000, 1),
        ),
    ]


def run(
    *,
    subscribers: int = SUBSCRIBERS,
    large_subscribers: int = LARGE_SUBSCRIBERS,
    fan_out_rounds: int = FAN_OUT_ROUNDS,
    latency_runs: int = LATENCY_RUNS,
    loaded_changes: int = LOADED_LATENCY_CHANGES,
    check_overlap: bool = True,
    broker: str | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> list[dict]:
    """`make bench`'s entry (today's sizes); the smoke test (tests/bench) runs it at its smallest, where a
    fan-out of a few subscribers ends before the changes meant to run during it (`check_overlap` off)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.test")
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.db import connection

    workdir = Path(tempfile.mkdtemp(prefix="humtrack-bench-alerts-"))
    with own_database(shared_database_name("alerts", workdir)):
        broker = broker or redis_broker() or "filesystem://"
        if broker.startswith("redis"):
            empty_redis_queues(broker)
        point_celery_at(broker, workdir)
        # aiosmtpd logs every SMTP command at INFO: that would time the logging, not the sending.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = CountingHandler(wait_seconds)
        smtp_port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "humtrack.settings.base",
            # Persistent connections, as production.py's CONN_MAX_AGE default (60 s) keeps them.
            "DATABASE_URL": database_url(connection.settings_dict) + "?conn_max_age=60",
            "CELERY_BROKER_URL": broker,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "HUMTRACK_VAR_DIR": str(workdir),
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            # Every change to every subscriber goes out on its own: flood control would batch the repeats.
            "ALERTS_FLOOD_WINDOW_SECONDS": "0",
            "ALERTS_HOURLY_CAP": "1000000",
        }
        worker = start_worker(env, workdir / "worker.log")
        try:
            wait_worker_ready(worker, workdir / "worker.log")
            return measure(
                handler,
                smtp_port,
                worker_group=worker.pid,
                subscribers=subscribers,
                large_subscribers=large_subscribers,
                fan_out_rounds=fan_out_rounds,
                latency_runs=latency_runs,
                loaded_changes=loaded_changes,
                check_overlap=check_overlap,
            )
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            controller.stop()
            if broker.startswith("redis"):
                empty_redis_queues(broker)


if __name__ == "__main__":
    for row in run():
        print(row)
