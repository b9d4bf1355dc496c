"""The real parts the alert tests run against: an aiosmtpd server, Celery worker processes, Redis.

Not tests themselves (nothing here is collected as one); the alert tests import from here.
"""

import asyncio
import base64
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import policy
from pathlib import Path
from urllib.parse import quote, urlparse

import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from humtrack.celery import app as celery_app
from tests.infrastructure import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
# The queues our workers consume; emptied before each test so that nothing from an earlier run is served.
QUEUES = ["alerts", "default"]


class RecordingHandler:
    """An SMTP server's handler that keeps every accepted message and can misbehave on demand.

    refuse: addresses answered 550 at RCPT (a dead mailbox).
    defer_first: a predicate on the Message-ID; a matching message is answered 451 the first time it is
        offered, accepted when offered again.
    rcpt_delay: seconds to wait before answering each RCPT (to hold a worker in the middle of a batch).
    drop_at: drop every connection at its n-th message, when that message's data has arrived and before
        any answer (relays limit messages per connection; the message in flight is not accepted).
    quit_delay: seconds to wait before answering QUIT (a worker killed meanwhile has had every 250).
    """

    def __init__(self):
        self.messages = []
        self.refuse = set()
        self.defer_first = None
        self.rcpt_delay = 0.0
        self.drop_at: int | None = None
        self.quit_delay = 0.0
        self.quits_waiting = 0
        self.dropped = 0
        self.connections = 0
        self.offers = Counter()
        self.rcpt_count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_count += 1
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_QUIT(self, server, session, envelope):
        if self.quit_delay:
            with self.lock:
                self.quits_waiting += 1
            await asyncio.sleep(self.quit_delay)
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message_id = message["Message-ID"]
        with self.lock:
            self.offers[message_id] += 1
            first_offer = self.offers[message_id] == 1
        session.messages_on_connection = getattr(session, "messages_on_connection", 0) + 1
        if self.drop_at is not None and session.messages_on_connection >= self.drop_at:
            with self.lock:
                self.dropped += 1
            server.transport.abort()  # no answer: the client finds the connection gone
            return "421 4.4.2 Connection dropped"  # never reaches the client
        if first_offer and self.defer_first is not None and self.defer_first(message_id):
            return "451 4.3.0 Try again later"
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    # What a test asserts on.
    def received(self) -> list:
        with self.lock:
            return list(self.messages)

    def recipients(self) -> Counter:
        return Counter(rcpt for rcpts, _ in self.received() for rcpt in rcpts)


class SmtpServer:
    def __init__(self, handler: RecordingHandler | None = None):
        # A subclass of RecordingHandler may record more (bench/faults.py: when each message was accepted).
        self.handler = handler or RecordingHandler()
        self.port = free_port()
        self.controller: Controller | None = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        assert self.controller is not None
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """The relay goes down: connections to its port are refused until start_again()."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def start_again(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def wait_for(condition, timeout=60.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


def database_url() -> str:
    """The test database pytest-django created, as a DATABASE_URL for a worker process."""
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def point_celery_at(broker_url: str, transport_options: dict | None = None) -> None:
    """Make this (test) process publish to `broker_url` from now on.

    Celery reads CELERY_BROKER_URL from the environment first, then its namespaced key (CELERY_BROKER_URL,
    which Django's settings always have) before `broker_url`: setting `conf.broker_url` alone changed
    nothing, and a test meaning to publish to a broker that is down published to the settings' one.
    """
    os.environ["CELERY_BROKER_URL"] = broker_url
    celery_app.conf.update(
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_TRANSPORT_OPTIONS=transport_options or {"visibility_timeout": 3600},
        broker_url=broker_url,
        broker_transport_options=transport_options or {"visibility_timeout": 3600},
    )
    celery_app._after_fork()  # drops the cached connection and producer pools


def queued_tasks(broker_url: str, task_name: str, queue: str = "alerts") -> list[list]:
    """The arguments of each message for `task_name` waiting in `queue` (kombu's Redis transport, JSON)."""
    parsed = urlparse(broker_url)
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=int(parsed.path.strip("/") or 0))
    messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    return [
        json.loads(base64.b64decode(message["body"]))[0]
        for message in reversed(messages)  # LPUSHed: the oldest last
        if message["headers"]["task"] == task_name
    ]


def empty_queues(broker_url: str) -> None:
    parsed = urlparse(broker_url)
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=int(parsed.path.strip("/") or 0))
    client.delete(*QUEUES, "unacked", "unacked_index", "unacked_mutex")


ALERT_TIMINGS = {
    # Short enough for a test to see the sweep and the retries act; the heartbeat keeps a slower batch's claim.
    "ALERTS_LEASE_SECONDS": "3",
    "ALERTS_SWEEP_AFTER_SECONDS": "1",
    "ALERTS_RETRY_BACKOFF_SECONDS": "1",
    "ALERTS_RETRY_BACKOFF_MAX_SECONDS": "2",
    "ALERTS_BATCH_SIZE": "5",
}


class Worker:
    """A `celery -A humtrack worker` process on the test database, the test broker and the test SMTP server."""

    def __init__(
        self, *, name: str, broker_url: str, smtp_url: str, log_dir: Path, concurrency: int = 0, **alert_settings
    ):
        """concurrency 0: the solo pool (one process, easy to kill mid-task); n: prefork with n children and
        the options deploy/entrypoint.sh runs workers with."""
        self.name = name
        self.concurrency = concurrency
        self.log_path = log_dir / f"worker-{name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "humtrack.settings.base",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": smtp_url,
            "HUMTRACK_VAR_DIR": str(log_dir / "var"),
            "SITE_URL": "https://humtrack.example.org",
            "DEBUG": "0",
            **ALERT_TIMINGS,
            **{key: str(value) for key, value in alert_settings.items()},
        }
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_path, "a")  # noqa: SIM115  (the child writes to it until it stops)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "humtrack", "worker", *self._pool(), "--queues", ",".join(QUEUES),
             "--hostname", f"{self.name}-{self.starts}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_for(lambda: self._log().count(" ready.") >= self.starts, timeout=60, message=f"worker {self.name} ready")
        return self

    def _pool(self) -> list[str]:
        if not self.concurrency:
            return ["--pool", "solo"]
        return ["--pool", "prefork", "--concurrency", str(self.concurrency), "--optimization", "fair"]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self):
        """SIGKILL to the worker and its pool's children: no shutdown, no acknowledgement, nothing finished."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self._log()
