"""Running one route of the role matrix: every role, every method, what came back, what leaked."""

import json
import re
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.security.routes import Route, url_for
from tests.security.snapshots import AUDITED_APPS, rolled_back
from tests.security.world import ROLES, World

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITE_METHODS = METHODS[1:]

# What a response means for authorisation.
LOGIN = "login"  # 401, or a redirect to a login page: who are you?
DENIED = "denied"  # 403: known, not allowed
HIDDEN = "hidden"  # 404: not found (or not shown to this caller)
NO_METHOD = "no_method"  # 405: the route does not take this method
THROUGH = "through"  # passed authorisation: 2xx, 3xx elsewhere, or 400/409/412/413 about the content
ERROR = "error"  # 5xx: never acceptable


def audited_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in AUDITED_APPS
    }


WRITE_STATEMENT = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def writes_in(queries, tables: set[str]) -> list[str]:
    """The statements that wrote to humtrack's tables (a token's last use, once a minute, is no write)."""
    written = []
    for query in queries:
        statement = WRITE_STATEMENT.match(query["sql"])
        if statement is None or statement[1] not in tables:
            continue
        if statement[1] == "humtrack_apitoken" and '"last_used_at"' in query["sql"].split("WHERE")[0]:
            continue
        written.append(query["sql"][:160])
    return written


def outcome(response) -> str:
    status = response.status_code
    if status >= 500 or not is_servable(response):
        return ERROR
    if status == 401:
        return LOGIN
    if status in (301, 302, 303, 307) and "/login/" in response.get("Location", ""):
        return LOGIN
    if status == 403:
        return DENIED
    if status == 404:
        return HIDDEN
    if status == 405:
        return NO_METHOD
    return THROUGH


def is_servable(response) -> bool:
    """A template response that no one rendered (returned by a middleware) fails when a server sends it."""
    return getattr(response, "is_rendered", True)


def response_text(response) -> str:
    if not is_servable(response):
        return ""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace") + json.dumps(dict(response.items()))


@dataclass
class Call:
    role: str
    method: str
    status: int
    outcome: str
    leaked: list[str]


def request(client, method: str, url: str, payload: dict | None):
    body = json.dumps(payload or {})
    if method == "GET":
        return client.get(url)
    if method == "POST" and url.startswith("/admin/"):
        # The admin posts forms; "post": "yes" confirms a deletion, so a missing check would delete.
        return client.post(url, payload or {"post": "yes"})
    return client.generic(method, url, body, content_type="application/json")


def run_route(world: World, route: Route, expectation, payloads: dict) -> tuple[list[Call], list[str]]:
    """Every role and method against `route`; the calls, and the problems found (empty: as expected).

    A request the role may not make must also write nothing: its SQL is captured and any INSERT,
    UPDATE or DELETE on a humtrack table is a problem, even one a later rollback would undo.
    """
    url = url_for(world, route)
    tables = audited_tables()
    calls, problems = [], []
    for role in ROLES:
        # Each role meets the same world: what an earlier role wrote (or deleted) is rolled back.
        with rolled_back():
            client = world.client(role)
            for method in METHODS:
                expected = expectation(role, method)
                call, found = _call(world, client, role, method, route, url, expected, payloads, tables)
                calls.append(call)
                problems += found
    return calls, problems


def _call(world, client, role, method, route, url, expected, payloads, tables) -> tuple[Call, list[str]]:
    payload = payloads.get((route.key, method))
    with CaptureQueriesContext(connection) as queries:
        response = request(client, method, url, payload(world) if callable(payload) else payload)
    text = response_text(response)
    leaked = [marker for marker, entitled in world.markers.items() if role not in entitled and marker in text]
    call = Call(role, method, response.status_code, outcome(response), leaked)
    problems = []
    where = f"{role:13} {method:6} {url}"
    if call.outcome not in expected:
        problems.append(f"{where}: {call.status} ({call.outcome}), expected {' or '.join(sorted(expected))}")
    if leaked:
        problems.append(f"{where}: LEAKED {', '.join(leaked)}")
    if THROUGH not in expected and (written := writes_in(queries.captured_queries, tables)):
        problems.append(f"{where}: refused, yet wrote: {written[0]}")
    return call, problems
