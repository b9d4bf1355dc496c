"""The partner viewsets' base (humtrack/api/viewsets.py): what a request leaves behind once answered."""

import gc
import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from rest_framework.request import Request
from rest_framework.response import Response

from humtrack.api.viewsets import PartnerViewSet
from tests.factories import NeedFigureFactory
from tests.partners import issue_token

pytestmark = pytest.mark.django_db


def answered_through_wsgi(url: str, key: str) -> bytes:
    """The request as a WSGI server makes it (not the test client, which keeps the response and adds loops)."""
    path, _, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "HTTP_AUTHORIZATION": f"Token {key}",
        "HTTP_ACCEPT": "application/json", "wsgi.input": io.BytesIO(b""),
    }  # fmt: skip
    setup_testing_defaults(environ)
    statuses = []
    # As Django's test client does: the test's transaction holds the connection, which the handler's
    # request_started and request_finished would otherwise close.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers, *args: statuses.append(status))
        body = b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert statuses == ["200 OK"], (statuses, body[:300])
    return body


@pytest.mark.parametrize("path", ["/api/v1/needs/", "/api/v1/needs/?sector=FSC&period_start=2021-01-01"])
def test_a_needs_page_leaves_no_loop_of_response_view_and_request(tree, path):
    """No response, view or request is left for the cyclic garbage collector: the page goes when the server
    lets go of the response (release_after_rendering; the filters' weak reference to their set). Django's
    own request keeps loops of its own (its session and messages), and so do DRF's serializers (each field
    and its parent), which the needs list does not use; those are not this test's."""
    for sector in ("FSC", "HEA", "WSH"):
        NeedFigureFactory(region=tree["AF0801"], sector=sector)
    key = issue_token("Loop Partner", ["read"])
    answered_through_wsgi(path, key)  # the first request builds what lives on (URLs, the kept token)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection would free is kept in gc.garbage to be looked at
    try:
        answered_through_wsgi(path, key)
        gc.collect()
        # type(), not isinstance(): a dead weak proxy (a filter's, to its set) raises on isinstance().
        left = [type(thing) for thing in gc.garbage if issubclass(type(thing), (PartnerViewSet, Request, Response))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
