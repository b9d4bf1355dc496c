"""A real webhook receiver on loopback, and endpoints pointing at it.

`Receiver` is an http.server in a thread. Every POST is verified with the `standardwebhooks` package
(the secret of the path it came to) and recorded; the receiver is idempotent the way docs/api.md asks
partners to be: it processes each `webhook-id` once and counts the repeats. What it answers is up to
the test (`answer`: a status code, or a callable that may sleep or stall), and it can go down and come
back on the same port.
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.models import WebhookEndpoint
from tests.factories import OrganisationFactory
from tests.infrastructure import free_port


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Server(ThreadingHTTPServer):
    allow_reuse_address = True  # down and back up on the same port
    request_queue_size = 128  # many connections at once; http.server's backlog of 5 would reset some
    daemon_threads = True


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    verified: bool
    error: str = ""

    @property
    def message_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Signed POSTs to http://127.0.0.1:<port>/<path>; `secrets` maps a path to its endpoint's secret(s)."""

    secrets: dict[str, list[str]] = field(default_factory=dict)
    # The answer to each POST: a status code, or a callable (received) -> status code that may sleep.
    answer: object = 200
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    processed: dict[str, dict] = field(default_factory=dict)  # webhook-id → payload, first one only
    repeats: dict[str, int] = field(default_factory=dict)  # webhook-id → copies after the first
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def handle(self, path: str, headers: dict[str, str], body: str) -> int:
        verified, error = False, ""
        for secret in self.secrets.get(path, []):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError as exc:
                error = str(exc)
            else:
                verified, error = True, ""
                break
        received = Received(path, headers, body, verified, error or ("" if verified else "no secret for path"))
        with self.lock:
            self.received.append(received)
        if not verified:
            return 400
        status = self.answer(received) if callable(self.answer) else self.answer
        if 200 <= status < 300:
            with self.lock:  # idempotent: a webhook-id already processed is acknowledged, not processed
                if received.message_id in self.processed:
                    self.repeats[received.message_id] = self.repeats.get(received.message_id, 0) + 1
                else:
                    self.processed[received.message_id] = received.payload
        return status

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver

            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {key.lower(): value for key, value in self.headers.items()}
                status = receiver.handle(self.path, headers, body)
                self.send_response(status)
                if 300 <= status < 400:  # a redirect to another path of this receiver
                    self.send_header("location", f"{self.path}/redirected")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        """Until `count` distinct webhook-ids were processed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.processed) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"{len(self.processed)} of {count} webhooks processed within {timeout}s")


def make_endpoint(receiver: Receiver, path: str = "/hook", *, organisation=None, event_types=None, **fields):
    """An endpoint of `organisation` (a new one by default) at the receiver's `path`, its secret known there."""
    secret = fields.pop("secret", None) or new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation or OrganisationFactory(),
        url=receiver.url(path),
        event_types=list(WebhookEventType.values) if event_types is None else event_types,
        secret=secret,
        **fields,
    )
    receiver.secrets.setdefault(path, []).append(secret)
    return endpoint
