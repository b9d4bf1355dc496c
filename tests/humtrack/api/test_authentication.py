"""Tokens, scopes and sessions: no credentials → 401, a missing scope → 403."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from humtrack.actor import SYSTEM
from humtrack.api.authentication import FOUND_TOKENS, TokenAuthentication
from humtrack.api.permissions import HasAlertsScope, scope_required
from humtrack.models import ApiToken
from humtrack.tokens import revoke_tokens, update_token
from tests.factories import UserFactory
from tests.infrastructure import require_postgresql
from tests.partners import client_for, issue_token

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_a_token_challenge_in_the_error_shape(anonymous, tree):
    response = anonymous.get("/api/v1/regions/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api", Bearer realm="api"'
    assert response.json() == {
        "status": 401,
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_the_key_is_accepted_as_a_token_or_a_bearer_token(tree, scheme):
    key = issue_token("Either Way Org", ["read"])
    response = client_for(None).get("/api/v1/regions/", HTTP_AUTHORIZATION=f"{scheme} {key}")
    assert response.status_code == 200, response.content


def test_an_unknown_bearer_token_is_401_naming_both_schemes(tree):
    response = client_for(None).get("/api/v1/regions/", HTTP_AUTHORIZATION="Bearer not-a-real-key")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Token realm="api", Bearer realm="api"'


def test_the_schema_documents_both_schemes(anonymous):
    schemes = anonymous.get("/api/schema/?format=json").json()["components"]["securitySchemes"]
    assert schemes["partnerToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["partnerToken"]["description"],
    }
    assert (schemes["partnerBearer"]["type"], schemes["partnerBearer"]["scheme"]) == ("http", "bearer")


def test_an_unknown_token_is_401(tree):
    response = client_for("not-a-real-key").get("/api/v1/regions/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_token_is_401(tree):
    key = issue_token("Gone Org", ["read"])
    ApiToken.objects.update(revoked_at=timezone.now())
    assert client_for(key).get("/api/v1/regions/").status_code == 401


def test_a_token_records_when_it_was_last_used(tree):
    key = issue_token("Busy Org", ["read"])
    assert client_for(key).get("/api/v1/regions/").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db(transaction=True)
def test_recording_a_tokens_use_never_waits_for_a_request_holding_its_row(tree):
    """A write stamps its token's last use in its own transaction and holds the row until it commits:
    the token's other requests (here a read) are answered meanwhile, not queued behind it (issue 15 §6)."""
    require_postgresql()
    key = issue_token("Busy Org", ["read"])
    row_locked, read_answered = threading.Event(), threading.Event()
    held_until_the_read_was_answered = []

    def hold_the_tokens_row():
        try:
            with transaction.atomic():
                ApiToken.objects.select_for_update().get()
                row_locked.set()
                held_until_the_read_was_answered.append(read_answered.wait(timeout=15))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_tokens_row)
    holder.start()
    assert row_locked.wait(timeout=15)
    response = client_for(key).get("/api/v1/regions/")
    read_answered.set()
    holder.join(timeout=30)
    assert response.status_code == 200
    assert held_until_the_read_was_answered == [True]


def test_a_read_token_cannot_write(reader, tree, source):
    response = reader.post("/api/v1/sources/", {"publisher": "UN", "title": "Statement", "kind": "un_statement"})
    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the 'write' scope."


def test_a_write_only_token_cannot_read(tree):
    key = issue_token("Writer Only", ["write"])
    assert client_for(key).get("/api/v1/regions/").status_code == 403


def test_staff_browse_the_api_with_their_session(tree):
    client = client_for(None)
    client.force_login(UserFactory(username="staff-member", is_staff=True))
    response = client.get("/api/v1/regions/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Django REST framework" in response.content


def test_a_session_without_staff_status_holds_no_scope(tree):
    client = client_for(None)
    client.force_login(UserFactory(username="plain-user"))
    assert client.get("/api/v1/regions/").status_code == 403


def test_a_token_gets_json_even_when_it_asks_for_the_browsable_api(reader, tree):
    response = reader.get("/api/v1/regions/?format=api")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


class AlertsOnly(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [scope_required("alerts")]

    def get(self, request):
        return Response({"ok": True})


class AlertsOnlyNamed(AlertsOnly):
    permission_classes = [HasAlertsScope]


@pytest.mark.parametrize("view", [AlertsOnly, AlertsOnlyNamed])
def test_the_alerts_scope_is_required_where_a_view_asks_for_it(view):
    factory = APIRequestFactory()
    without = issue_token("Reader", ["read", "write"])
    with_alerts = issue_token("Alerter", ["alerts"])
    denied = view.as_view()(factory.get("/", HTTP_AUTHORIZATION=f"Token {without}"))
    allowed = view.as_view()(factory.get("/", HTTP_AUTHORIZATION=f"Token {with_alerts}"))
    assert denied.status_code == 403
    assert allowed.status_code == 200


@pytest.mark.parametrize("output", ["geojson", "csv"])
@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_an_invalid_token_asking_for_csv_or_geojson_is_a_json_401_not_a_500(tree, scheme, output):
    # The token is read while negotiating the format, so it fails before a renderer is chosen.
    response = client_for(None).get(f"/api/v1/regions/?format={output}", HTTP_AUTHORIZATION=f"{scheme} not-a-key")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- the tokens a web process keeps (FoundTokens) -------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The kept tokens' clock, moved by hand; none kept at the start."""
    moment = [1000.0]
    monkeypatch.setattr(FOUND_TOKENS, "clock", lambda: moment[0])
    FOUND_TOKENS._forget_all_now()
    yield moment
    FOUND_TOKENS._forget_all_now()


def token_statements(run) -> tuple[int, int]:
    """Run `run()`; how many of its queries read the token table, and how many wrote to it."""
    with CaptureQueriesContext(connection) as queries:
        run()
    on_tokens = [q["sql"] for q in queries.captured_queries if '"humtrack_apitoken"' in q["sql"]]
    return (
        sum(sql.startswith("SELECT") and "key_hash" in sql for sql in on_tokens),
        sum(sql.startswith("UPDATE") for sql in on_tokens),
    )


def test_a_token_found_is_not_looked_up_again_within_the_cache_time(tree, clock, settings):
    settings.HUMTRACK_TOKEN_CACHE_SECONDS = 5
    client = client_for(issue_token("Polling Org", ["read"]))
    assert token_statements(lambda: client.get("/api/v1/regions/")) == (1, 1)  # found, and its use stamped
    clock[0] += 4.9
    assert token_statements(lambda: client.get("/api/v1/regions/")) == (0, 0)
    clock[0] += 0.1
    assert token_statements(lambda: client.get("/api/v1/regions/")) == (1, 0)  # used within the minute


def test_a_token_revoked_by_another_process_is_refused_once_the_cache_time_has_passed(tree, clock, settings):
    """Another process's change reaches this one only through the database: `update` sends no signal here."""
    settings.HUMTRACK_TOKEN_CACHE_SECONDS = 5
    client = client_for(issue_token("Leaked Org", ["read"]))
    assert client.get("/api/v1/regions/").status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    clock[0] += 4.9
    assert client.get("/api/v1/regions/").status_code == 200
    clock[0] += 0.1
    response = client.get("/api/v1/regions/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_token_revoked_in_this_process_is_refused_at_once(tree, clock):
    client = client_for(issue_token("Leaked Org", ["read"]))
    assert client.get("/api/v1/regions/").status_code == 200
    revoke_tokens(ApiToken.objects.all(), actor=SYSTEM, reason="Leaked in a log")
    assert client.get("/api/v1/regions/").status_code == 401


def test_a_scope_taken_away_in_this_process_is_missing_at_once(tree, clock):
    client = client_for(issue_token("Narrowed Org", ["read", "write"]))
    assert client.get("/api/v1/regions/").status_code == 200
    token = ApiToken.objects.get()
    token.scopes = ["write"]
    update_token(token=token, actor=SYSTEM, reason="Read access ended")
    assert client.get("/api/v1/regions/").status_code == 403


def test_no_token_is_kept_when_the_cache_time_is_zero(tree, clock, settings):
    settings.HUMTRACK_TOKEN_CACHE_SECONDS = 0
    client = client_for(issue_token("Careful Org", ["read"]))
    for _ in range(3):
        assert token_statements(lambda: client.get("/api/v1/regions/"))[0] == 1


def test_each_request_gets_its_own_copy_of_a_kept_token(tree, clock):
    key = issue_token("Copied Org", ["read"])
    client_for(key).get("/api/v1/regions/")
    (key_hash,) = ApiToken.objects.values_list("key_hash", flat=True)
    first, second = FOUND_TOKENS.get(key_hash), FOUND_TOKENS.get(key_hash)
    assert first is not None and second is not None and first is not second
    first.name = "changed by one request"
    assert second.name == ""
