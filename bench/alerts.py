"""Alert benchmarks (issue 4), each against its floor in the same run, with a real worker and SMTP server.

- Fan-out to 5,000 subscribers: from the commit of one status change to the 5,000th email accepted by
  an aiosmtpd server on loopback, through the whole pipeline (outbox, broker, a Celery worker process:
  fan-out, claims, rendering, sending in batches, marking each sent). Floor: the same 5,000 messages
  (the bytes the pipeline sent) sent again with plain smtplib over one connection to the same server.
  Target ≤ 1.5×. Three rounds, each a fan-out then its floor, and the median round: one round's ratio
  moved by a third between runs on an idle machine.
- Commit to first email: one subscriber, the worker idle; the median of several changes. Target: the
  issue's "within a minute", reported in seconds (no floor).

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

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS = 5_000
LATENCY_RUNS = 5
FAN_OUT_ROUNDS = 3
WORKER_CONCURRENCY = "2"  # as `make run` starts it
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

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self.arrivals.append(time.perf_counter())
            if len(self.arrivals) == self.expected:
                self.all_arrived.set()
        return "250 Message accepted for delivery"

    def reset(self, expected: int | None = None):
        with self.lock:
            self.messages, self.arrivals = [], []
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
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
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


def result(case, seconds, floor, target, max_ratio=None) -> dict:
    return {
        "case": case,
        "seconds": round(seconds, 6),
        "floor_seconds": round(floor, 6) if floor is not None else None,
        "ratio": round(seconds / floor, 3) if floor else None,
        "target": target,
        "max_ratio": max_ratio,
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
    subscribers: int = SUBSCRIBERS,
    fan_out_rounds: int = FAN_OUT_ROUNDS,
    latency_runs: int = LATENCY_RUNS,
) -> list[dict]:
    from access.alerts.subscriptions import create_subscription
    from access.choices import AccessStatus, Confidence
    from access.models import Subscription
    from access.services import change_access_status
    from humtrack.actor import SYSTEM
    from tests.factories import SourceFactory, make_tree

    tree = make_tree()
    source = SourceFactory()

    def change(region, status) -> float:
        change_access_status(
            region=region, status=status, reason="Bench", source=source, confidence=Confidence.CONFIRMED, actor=SYSTEM
        )
        return time.perf_counter()  # the change has committed (autocommit): the clock starts

    # Commit to first email: one subscriber, the worker idle between changes.
    create_subscription(actor=SYSTEM, regions=[tree["AF0305"]], email="latency@example.org")
    latencies = []
    statuses = [AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE]
    for run in range(latency_runs + 1):  # the first one warms the worker up and is not counted
        handler.reset(expected=1)
        committed = change(tree["AF0305"], statuses[run % 2])
        latencies.append(handler.wait_all("the first email") - committed)
        time.sleep(0.3)
    latency = statistics.median(latencies[1:])

    # Fan-out to 5,000.
    emails = [f"staff{n}@example.org" for n in range(subscribers)]
    subscriptions = Subscription.objects.bulk_create(
        Subscription(email=email, name=f"Field staff {n}") for n, email in enumerate(emails)
    )
    Subscription.regions.through.objects.bulk_create(
        Subscription.regions.through(subscription=s, region=tree["AF08"]) for s in subscriptions
    )
    rounds = []
    for run in range(fan_out_rounds):
        handler.reset(expected=subscribers)
        committed = change(tree["AF08"], statuses[(run + 1) % 2])  # inaccessible first; subscribers follow any change
        fan_out_seconds = handler.wait_all(f"{subscribers:,} emails") - committed
        check_recipients(handler, emails, "the fan-out")
        # The floor right after: the same messages, plain smtplib, one connection.
        rounds.append((fan_out_seconds, send_plainly(handler, smtp_port, list(handler.messages))))
    fan_out_seconds, floor_seconds = sorted(rounds, key=lambda r: r[0] / r[1])[len(rounds) // 2]
    print(f"bench: fan-out rounds (ours, floor): {[(round(a, 2), round(b, 2)) for a, b in rounds]}", file=sys.stderr)

    return [
        result(
            f"alerts: fan-out to {subscribers:,} subscribers, commit to last email (vs smtplib, one connection;"
            f" median of {fan_out_rounds} rounds)",
            fan_out_seconds,
            floor_seconds,
            "≤ 1.5×",
            1.5,
        ),
        result(f"alerts: commit to first email (median of {latency_runs})", latency, None, "≤ 60 s"),
    ]


def run(
    *,
    subscribers: int = SUBSCRIBERS,
    fan_out_rounds: int = FAN_OUT_ROUNDS,
    latency_runs: int = LATENCY_RUNS,
    broker: str | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> list[dict]:
    """`make bench`'s entry (today's sizes); the smoke test (tests/bench) runs it at its smallest."""
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
            "DATABASE_URL": database_url(connection.settings_dict),
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
                handler, smtp_port, subscribers=subscribers, fan_out_rounds=fan_out_rounds, latency_runs=latency_runs
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
