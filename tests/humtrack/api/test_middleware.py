"""A server error under /api/ is JSON in the one error shape, never Django's HTML page: an unhandled
exception is a logged 500 `server_error` that tells nothing of its cause; a database still locked
after the busy timeout is a 503 `service_unavailable` with Retry-After."""

import logging

import pytest
from django.db import OperationalError
from django.http import HttpResponseServerError
from django.test import RequestFactory
from django.urls import path
from rest_framework.test import APIClient

from access.api.views.sources import SourceViewSet
from access.models import Source
from humtrack.api.middleware import ApiServerErrorMiddleware
from humtrack.api.views import ApiRootView
from humtrack.request_id import RequestIdLogFilter
from humtrack.security import RequestSizeLimitMiddleware
from tests.partners import issue_token

pytestmark = pytest.mark.django_db

SECRET = "password=hunter2 at /srv/humtrack/secret.py"  # what a bug's message may carry


def partner(scopes=("read", "write")) -> APIClient:
    """A partner client that gets the server's answer to an exception instead of the exception."""
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token('Logistics Cluster', scopes)}")
    return client


def fail_with(error: Exception):
    def view(*args, **kwargs):
        raise error

    return view


def source_body() -> dict:
    return {"publisher": "UN OCHA", "title": "Flash update", "kind": "un_statement", "reliability": "A",
            "published_at": "2021-09-01T10:00:00Z"}  # fmt: skip


def assert_server_error(response):
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 500 and body["code"] == "server_error"
    assert "hunter2" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert body["detail"] and response["X-Request-ID"]


@pytest.mark.parametrize("debug", [False, True])  # DEBUG is the laptop default: no debug page either
def test_an_exception_in_a_view_is_a_json_500_logged_with_the_request_id(monkeypatch, settings, caplog, debug):
    settings.DEBUG = debug
    monkeypatch.setattr(ApiRootView, "get", fail_with(RuntimeError(SECRET)))
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = partner().get("/api/v1/", HTTP_ACCEPT="text/html")
    assert_server_error(response)
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.exc_info and record.exc_info[1].args == (SECRET,)  # the traceback is in the log
    assert record.request_id == response["X-Request-ID"]


def test_an_exception_in_a_write_is_a_json_500_and_nothing_is_written(monkeypatch):
    monkeypatch.setattr(SourceViewSet, "create_record", fail_with(ValueError(SECRET)))
    response = partner().post("/api/v1/sources/", source_body(), format="json")
    assert_server_error(response)
    assert not Source.objects.exists()


def plain_view_that_fails(request):
    raise KeyError(SECRET)


urlpatterns = [path("api/plain/", plain_view_that_fails)]  # for the test below (pytest.mark.urls)


@pytest.mark.urls(__name__)
def test_an_exception_in_a_view_outside_drf_is_a_json_500():
    assert_server_error(partner().get("/api/plain/"))


def test_the_test_client_still_raises_the_exception_by_default(monkeypatch, writer):
    monkeypatch.setattr(ApiRootView, "get", fail_with(RuntimeError(SECRET)))
    with pytest.raises(RuntimeError):
        writer.get("/api/v1/")


@pytest.mark.parametrize("where", ["in DRF's handling", "before it (BEGIN IMMEDIATE)"])
def test_a_database_still_locked_is_a_503_with_retry_after(monkeypatch, where):
    locked = OperationalError("database is locked")
    if where == "in DRF's handling":
        monkeypatch.setattr(SourceViewSet, "create_record", fail_with(locked))
    else:
        monkeypatch.setattr(SourceViewSet, "dispatch", fail_with(locked))
    response = partner().post("/api/v1/sources/", source_body(), format="json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "status": 503,
        "code": "service_unavailable",
        "detail": "The database is busy; send the request again after Retry-After seconds.",
    }


def test_another_database_error_is_a_500_not_a_503(monkeypatch):
    monkeypatch.setattr(SourceViewSet, "create_record", fail_with(OperationalError("no such table: " + SECRET)))
    assert_server_error(partner().post("/api/v1/sources/", source_body(), format="json"))


@pytest.mark.parametrize("debug", [False, True])
def test_an_exception_in_a_middleware_is_a_json_500_too(monkeypatch, settings, debug):
    settings.DEBUG = debug
    monkeypatch.setattr(RequestSizeLimitMiddleware, "__call__", fail_with(RuntimeError(SECRET)))
    assert_server_error(partner().get("/api/v1/", HTTP_ACCEPT="text/html"))


@pytest.mark.parametrize(
    ("status", "code"), [(500, "server_error"), (502, "server_error"), (503, "service_unavailable")]
)
def test_an_html_5xx_under_api_from_a_middleware_becomes_json(status, code):
    middleware = ApiServerErrorMiddleware(
        lambda request: HttpResponseServerError("<h1>Server Error</h1>", status=status)
    )
    response = middleware(RequestFactory().post("/api/v1/sources/"))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.content.decode().startswith(f'{{"status": {status}, "code": "{code}"')


def test_pages_outside_the_api_keep_djangos_answer():
    page = HttpResponseServerError("<h1>Server Error</h1>")
    assert ApiServerErrorMiddleware(lambda request: page)(RequestFactory().get("/situation/")) is page
    request = RequestFactory().get("/situation/")
    assert ApiServerErrorMiddleware(lambda request: page).process_exception(request, RuntimeError()) is None
