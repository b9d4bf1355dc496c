"""Webhook benchmark (issue 13 §3): one change fanned out to 500 endpoints, against its floor in the same run.

- Ours: from the commit of one region status change to the 500th signed POST answered by a receiver on
  loopback (one http.server serving a path per endpoint), through the whole pipeline (outbox, broker, a
  Celery worker process: fan-out, claims, signing, concurrent POSTs, recording each outcome).
- Floor: the same 500 POSTs (the bodies and signed headers the pipeline sent) sent again by plain httpx
  over keep-alive, with the same concurrency (WEBHOOKS_CONCURRENCY threads sharing one client), to the
  same receiver. Target ≤ 1.5×. Three rounds, each ours then its floor; the median round.

The database and broker are set up as in bench/alerts.py (whose helpers this uses).
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.alerts import (
    WAIT_SECONDS,
    database_url,
    empty_redis_queues,
    free_port,
    point_celery_at,
    redis_broker,
    result,
    start_worker,
    wait_for,
    wait_worker_ready,
)
from bench.database import own_database, shared_database_name

ENDPOINTS = 500
ROUNDS = 3
CONCURRENCY = 50  # WEBHOOKS_CONCURRENCY's default, for ours and the floor alike


class Server(ThreadingHTTPServer):
    request_queue_size = 256  # 50 clients connect at once; http.server's backlog of 5 would reset some
    daemon_threads = True


class CountingReceiver:
    """Counts POSTs, keeps each one's path, headers and body (for the floor) and when the last arrived."""

    def __init__(self, wait_seconds: float = WAIT_SECONDS):
        self.wait_seconds = wait_seconds
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.expected = 0
        self.last_arrival = 0.0
        self.all_arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers.items()), body))
                    if len(receiver.requests) == receiver.expected:
                        receiver.last_arrival = time.perf_counter()
                        receiver.all_arrived.set()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = Server(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, expected: int):
        with self.lock:
            self.requests, self.expected = [], expected
            self.all_arrived.clear()

    def wait_all(self, what: str) -> float:
        if not self.all_arrived.wait(timeout=self.wait_seconds):
            raise RuntimeError(f"bench: timed out waiting for {what} ({len(self.requests)} of {self.expected})")
        return self.last_arrival

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def post_plainly(receiver: CountingReceiver, requests) -> float:
    """The floor: the same signed POSTs, plain httpx, one keep-alive client, the same concurrency."""
    import httpx

    forwarded = ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature", "user-agent")
    receiver.reset(expected=len(requests))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    with httpx.Client(limits=limits) as client:
        client.post(f"http://127.0.0.1:{receiver.port}/warm-up", content=b"{}")  # ours has its connections warm too
        receiver.reset(expected=len(requests))
        start = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:

            def post(request):
                path, headers, body = request
                kept = {name: value for name, value in headers.items() if name.lower() in forwarded}
                client.post(f"http://127.0.0.1:{receiver.port}{path}", content=body, headers=kept)

            list(pool.map(post, requests))
    return receiver.wait_all("the floor's POSTs") - start


def check_paths(receiver: CountingReceiver, expected: list[str], what: str):
    """Every endpoint got exactly one POST, and nothing else did: else the time is not the case's."""
    with receiver.lock:
        received = sorted(path for path, _, _ in receiver.requests)
    if received != sorted(expected):
        missing, unexpected = sorted(set(expected) - set(received)), sorted(set(received) - set(expected))
        raise RuntimeError(
            f"bench: {what} made {len(received)} POSTs for {len(expected)} endpoints"
            f" (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )


def measure(
    receiver: CountingReceiver, *, endpoints: int = ENDPOINTS, rounds: int = ROUNDS, wait_seconds: float = WAIT_SECONDS
) -> list[dict]:
    from access.alerts.webhooks.choices import WebhookDeliveryStatus
    from access.alerts.webhooks.models import WebhookDelivery, WebhookEndpoint
    from access.choices import AccessStatus, Confidence
    from access.services import change_access_status
    from humtrack.actor import SYSTEM
    from tests.factories import OrganisationFactory, SourceFactory, make_tree
    from tests.webhooks import new_secret

    tree = make_tree()
    source = SourceFactory()
    organisation = OrganisationFactory(name="Bench partner")
    paths = [f"/endpoint-{n}" for n in range(endpoints)]
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(
            organisation=organisation,
            url=f"http://127.0.0.1:{receiver.port}{path}",
            event_types=["region.status_changed"],
            secret=new_secret(),
        )
        for path in paths
    )

    def change(status) -> float:
        change_access_status(
            region=tree["AF08"], status=status, reason="Bench", source=source, confidence=Confidence.CONFIRMED,
            actor=SYSTEM,
        )  # fmt: skip
        return time.perf_counter()  # the change has committed (autocommit): the clock starts

    statuses = [AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE]
    # A first change warms the worker up (imports, connections) and is not counted.
    receiver.reset(expected=endpoints)
    change(statuses[1])
    receiver.wait_all("the warm-up's POSTs")
    check_paths(receiver, paths, "the warm-up")
    measured = []
    for run in range(rounds):
        receiver.reset(expected=endpoints)
        committed = change(statuses[run % 2])
        ours = receiver.wait_all(f"{endpoints} POSTs") - committed
        check_paths(receiver, paths, "the change")
        measured.append((ours, post_plainly(receiver, list(receiver.requests))))
        time.sleep(0.5)  # the worker records the last outcomes
    # Every POST answered was recorded as delivered, once: the warm-up's and each round's.
    delivered = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.DELIVERED)
    wait_for(lambda: delivered.count() == endpoints * (rounds + 1), wait_seconds, "the deliveries recorded")
    ours, floor = sorted(measured, key=lambda r: r[0] / r[1])[len(measured) // 2]
    print(f"bench: webhook rounds (ours, floor): {[(round(a, 3), round(b, 3)) for a, b in measured]}", file=sys.stderr)
    return [
        result(
            f"webhooks: one change to {endpoints} endpoints, commit to last delivery (vs httpx keep-alive,"
            f" {CONCURRENCY} threads; median of {rounds} rounds)",
            ours,
            floor,
            "≤ 1.5×",
            1.5,
        )
    ]


def run(
    *, endpoints: int = ENDPOINTS, rounds: int = ROUNDS, broker: str | None = None, wait_seconds: float = WAIT_SECONDS
) -> list[dict]:
    """`make bench`'s entry (today's sizes); the smoke test (tests/bench) runs it at its smallest."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.test")
    import django

    django.setup()
    from django.db import connection

    workdir = Path(tempfile.mkdtemp(prefix="humtrack-bench-webhooks-"))
    with own_database(shared_database_name("webhooks", workdir)):
        broker = broker or redis_broker() or "filesystem://"
        if broker.startswith("redis"):
            empty_redis_queues(broker)
        point_celery_at(broker, workdir)
        receiver = CountingReceiver(wait_seconds)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "humtrack.settings.base",
            # Persistent connections, as production.py's CONN_MAX_AGE default (60 s) keeps them.
            "DATABASE_URL": database_url(connection.settings_dict) + "?conn_max_age=60",
            "CELERY_BROKER_URL": broker,
            "HUMTRACK_VAR_DIR": str(workdir),
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "WEBHOOKS_CONCURRENCY": str(CONCURRENCY),
        }
        worker = start_worker(env, workdir / "worker.log")
        try:
            wait_worker_ready(worker, workdir / "worker.log")
            return measure(receiver, endpoints=endpoints, rounds=rounds, wait_seconds=wait_seconds)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            receiver.stop()
            if broker.startswith("redis"):
                empty_redis_queues(broker)


if __name__ == "__main__":
    for row in run():
        print(row)
