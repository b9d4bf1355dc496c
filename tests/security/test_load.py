"""A bounded load test on loopback: gunicorn with production settings on PostgreSQL, a minute of traffic.

A fixed number of mixed API requests (reads, status changes, restrictions, outages, need figures)
from a pool of partner clients, paced over about a minute, against gunicorn started with
deploy/gunicorn.conf.py and humtrack.settings.production on the test database. Then: no 5xx, every
write the server acknowledged (201 with an id) is in the database, nothing was written that was not
acknowledged, and the server's log holds no error and no partner key.

`make check-security` runs it (HUMTRACK_LOAD_TEST=1); `make test` leaves it out to stay short.
HUMTRACK_LOAD_REQUESTS and HUMTRACK_LOAD_SECONDS change the size (defaults 1200 over 60 s).
"""

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.conf import settings
from django.db import connection

from access.models import AccessRestriction, Region, StatusChange, UtilityOutage
from access.services.regions import import_regions, read_admin_csv
from humtrack.actor import SYSTEM
from humtrack.models import TokenScope
from needs.models import NeedFigure
from tests.factories import OrganisationFactory, SourceFactory
from tests.infrastructure import free_port, redis_url, require_postgresql
from tests.security.principals import make_token

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("HUMTRACK_LOAD_TEST") != "1", reason="the load test runs under `make check-security`"
    ),
]

REQUESTS = int(os.environ.get("HUMTRACK_LOAD_REQUESTS", "1200"))
SECONDS = float(os.environ.get("HUMTRACK_LOAD_SECONDS", "60"))
CLIENTS = 8  # partner organisations, one token and one thread each
ADMIN_TABLE = Path(settings.BASE_DIR) / "access" / "fixtures" / "afg_admin.csv"
WRITES = {"status": StatusChange, "restriction": AccessRestriction, "outage": UtilityOutage, "need": NeedFigure}


@dataclass
class Tally:
    statuses: list[int] = field(default_factory=list)
    acknowledged: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in WRITES})
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def database_url(database: dict) -> str:
    """The test database (pytest-django's test_<name>) as a URL for the server's settings."""
    credentials = quote(database["USER"] or "")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"])
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{database['NAME']}"


class Server:
    """gunicorn as deployed (deploy/gunicorn.conf.py), production settings, on a free loopback port."""

    def __init__(self, tmp_path: Path, broker_url: str):
        self.port = free_port()
        self.log_path = tmp_path / "gunicorn.log"
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "humtrack.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url(connection.settings_dict),
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": broker_url.replace("redis://", "rediscache://", 1),
            "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",
            "METRICS_TOKEN": secrets.token_urlsafe(32),
            "SITE_URL": "https://humtrack.example.org",
            "HUMTRACK_VAR_DIR": str(tmp_path / "var"),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "3",
        }
        self.environment.pop("DEBUG", None)
        self.process = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        config = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(gunicorn), "-c", str(config), "humtrack.wsgi:application"],
            cwd=settings.BASE_DIR,
            env=self.environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):  # noqa: S310
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within a minute")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def call(self, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310  (loopback, our own server)
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Token {key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                # nginx in front says the request came over TLS (production redirects plain HTTP).
                "X-Forwarded-Proto": "https",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                return error.code, json.loads(payload or b"{}")
            except ValueError:
                return error.code, {"raw": payload[:300].decode("utf-8", "replace")}


def plan(districts: list[str], source_id: int) -> list[tuple]:
    """The requests, fixed in advance (a seeded mix): about 60% reads, 40% writes."""
    chooser = random.Random(2021)  # noqa: S311  (a reproducible mix, not a secret)
    statuses = ["accessible", "constrained", "severely_constrained", "inaccessible"]
    fact = {"source": source_id, "confidence": "reported"}
    requests = []
    for number in range(REQUESTS):
        district = chooser.choice(districts)
        roll = chooser.random()
        if roll < 0.15:
            requests.append(("GET", "/api/v1/regions/?page_size=100", None, None))
        elif roll < 0.25:
            requests.append(("GET", f"/api/v1/regions/{district}/", None, None))
        elif roll < 0.35:
            requests.append(("GET", f"/api/v1/regions/{district}/status-history/", None, None))
        elif roll < 0.45:
            requests.append(("GET", "/api/v1/restrictions/?page_size=100", None, None))
        elif roll < 0.55:
            requests.append(("GET", "/api/v1/needs/?page_size=100", None, None))
        elif roll < 0.60:
            requests.append(("GET", "/api/v1/needs/summary/?within=AF", None, None))
        elif roll < 0.75:
            body = {"status": chooser.choice(statuses), "reason": f"Load round {number}", **fact}
            requests.append(("POST", f"/api/v1/regions/{district}/status-changes/", body, "status"))
        elif roll < 0.85:
            body = {
                "region": district,
                "category": "hostilities",
                "severity": "high",
                "affected_groups": ["all_aid_workers"],
                "starts_at": "2021-09-01T08:00:00Z",
                "description": f"Load round {number}",
                **fact,
            }
            requests.append(("POST", "/api/v1/restrictions/", body, "restriction"))
        elif roll < 0.92:
            body = {"region": district, "utility": "internet", "started_at": "2021-09-01T08:00:00Z", **fact}
            requests.append(("POST", "/api/v1/outages/", body, "outage"))
        else:
            # A period of its own per request: a figure is unique per region, sector and period.
            day = (date(2000, 1, 1) + timedelta(days=number)).isoformat()
            body = {"region": district, "sector": "FSC", "people_in_need": number, **fact}
            body |= {"period_start": day, "period_end": day, "notes": f"Load round {number}"}
            requests.append(("POST", "/api/v1/needs/", body, "need"))
    return requests


def test_a_minute_of_mixed_traffic_on_gunicorn_gives_no_5xx_and_loses_no_acknowledged_write(tmp_path):
    require_postgresql()
    broker_url = redis_url()
    import_regions(rows=read_admin_csv(ADMIN_TABLE), actor=SYSTEM)
    districts = list(Region.objects.filter(admin_level=Region.Level.DISTRICT).values_list("pcode", flat=True))
    source = SourceFactory()
    keys = [
        make_token(OrganisationFactory(name=f"Partner {n}"), TokenScope.READ, TokenScope.WRITE)[1]
        for n in range(CLIENTS)
    ]
    existing = {kind: set(model.objects.values_list("pk", flat=True)) for kind, model in WRITES.items()}
    requests, tally = plan(districts, source.pk), Tally()

    with Server(tmp_path, broker_url) as server:
        started = time.monotonic()
        interval = SECONDS / REQUESTS

        def send(number: int):
            method, path, body, kind = requests[number]
            time.sleep(max(0.0, started + number * interval - time.monotonic()))  # paced, not a flood
            status, answer = server.call(method, path, keys[number % CLIENTS], body)
            with tally.lock:
                tally.statuses.append(status)
                if status >= 500 or status not in (200, 201):
                    tally.failures.append(f"{method} {path}: {status} {str(answer)[:300]}")
                if kind and status == 201:
                    tally.acknowledged[kind].append(answer["id"])

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(send, range(REQUESTS)))
    log = server.log_path.read_text()

    assert len(tally.statuses) == REQUESTS
    assert not [s for s in tally.statuses if s >= 500], tally.failures[:10]
    assert not tally.failures, tally.failures[:10]
    for kind, model in WRITES.items():
        stored = set(model.objects.values_list("pk", flat=True)) - existing[kind]
        acknowledged = set(tally.acknowledged[kind])
        assert acknowledged <= stored, f"acknowledged {kind} writes missing: {sorted(acknowledged - stored)[:10]}"
        assert stored == acknowledged, f"{kind} rows nobody was told about: {sorted(stored - acknowledged)[:10]}"
    assert sum(len(ids) for ids in tally.acknowledged.values()) > REQUESTS // 4
    assert '"levelname": "ERROR"' not in log and "Traceback" not in log, log[-3000:]
    assert not [key for key in keys if key in log]


@pytest.fixture(autouse=True)
def _empty_the_load_tests_queues():
    """The status changes enqueued alert work on the test broker; no worker of this test takes it."""
    yield
    import redis

    parsed = urlparse(redis_url())
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=int(parsed.path.lstrip("/") or 0))
    client.delete(*settings.CELERY_TASK_QUEUES and [queue.name for queue in settings.CELERY_TASK_QUEUES])
