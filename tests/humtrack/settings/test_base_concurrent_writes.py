"""Partners writing at once through a real server get no 5xx, on the default SQLite as on PostgreSQL.

The database settings of humtrack/settings/base.py are what this tests: on SQLite a write takes the
write lock when its transaction begins (`transaction_mode` IMMEDIATE) and waits for it (the busy
timeout), instead of failing with `database is locked` when two transactions both read and then
both want to write. In-memory SQLite (pytest-django's default test database) cannot show that: the
live server shares the test's one connection with every request. So on SQLite the test database is
copied to a file for this test, and each request thread opens its own connection to it, as under
`make run`. On PostgreSQL (DATABASE_URL) the same test runs against the test database as it is.
"""

import json
import sqlite3
import urllib.error
import urllib.request
from datetime import date, timedelta

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test.testcases import LiveServerThread

from access.models import Source
from needs.models import NeedFigure
from tests.factories import SourceFactory, make_region
from tests.partners import issue_token
from tests.threads import at_once

pytestmark = pytest.mark.django_db(transaction=True)

THREADS, WRITES = 8, 25  # per thread; half sources, half need figures


@pytest.fixture
def on_a_file_when_sqlite(transactional_db, tmp_path):
    """On in-memory SQLite, point every connection opened during the test at a file copy of the
    migrated test database; put the in-memory one back afterwards (pytest-django flushes it)."""
    in_memory = connections["default"]
    if in_memory.vendor != "sqlite" or not in_memory.is_in_memory_db():
        yield
        return
    in_memory.ensure_connection()
    copy = sqlite3.connect(tmp_path / "concurrent.sqlite3")
    in_memory.connection.backup(copy)
    copy.close()
    settings_dict = connections.settings["default"]
    connections.settings["default"] = {**settings_dict, "NAME": str(tmp_path / "concurrent.sqlite3")}
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections.settings["default"] = settings_dict
        connections["default"] = in_memory


@pytest.fixture
def server_url(on_a_file_when_sqlite):
    """A threaded live server whose request threads each open their own database connection."""
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override={})
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


def post(url: str, key: str, body: dict) -> tuple[int, str, dict | str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json", "Accept": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (a local http:// URL)
            return response.status, response.headers.get("Content-Type", ""), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace")[:300]


def test_partners_posting_at_once_get_no_server_error_and_every_write_is_stored(server_url):
    region = make_region("AF08", "Panjsher")
    cited = SourceFactory()
    keys = [issue_token(name, ["read", "write"]) for name in ("Logistics Cluster", "Health Cluster")]

    def partner(number: int):
        key = keys[number % len(keys)]

        def writes(together) -> list[tuple[int, str, dict | str]]:
            answers = []
            for write in range(WRITES):
                together()  # every thread's write of this round at the same moment
                if write % 2:
                    day = date(2000, 1, 1) + timedelta(days=number * WRITES + write)  # one figure per period
                    body = {"region": region.pcode, "sector": "FSC", "period_start": str(day), "period_end": str(day),
                            "people_in_need": 100, "source": cited.pk, "confidence": "reported"}  # fmt: skip
                    answers.append(post(f"{server_url}/api/v1/needs/", key, body))
                else:
                    body = {"publisher": "UN OCHA", "title": f"Flash update {number}-{write}", "kind": "un_statement",
                            "reliability": "A", "published_at": "2021-09-01T10:00:00Z"}  # fmt: skip
                    answers.append(post(f"{server_url}/api/v1/sources/", key, body))
            return answers

        return writes

    answers = [answer for answers in at_once(*(partner(n) for n in range(THREADS))) for answer in answers]

    server_errors = [answer for answer in answers if answer[0] >= 500]
    assert server_errors == [], f"{len(server_errors)} of {len(answers)} writes got a 5xx"
    assert {status for status, _, _ in answers} == {201}
    assert NeedFigure.objects.count() == THREADS * (WRITES // 2)
    assert Source.objects.exclude(pk=cited.pk).count() == THREADS * (WRITES - WRITES // 2)
