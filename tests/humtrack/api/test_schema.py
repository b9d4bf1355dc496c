"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, all checks).

Every operation in /api/schema/ gets generated requests, valid and invalid; every response must match
the schema (status code documented, body valid, content type documented) and none may be a server
error. Run with a write token (every operation) and a read-only token (writes → 403). The pytest
fixture loader (schemathesis.pytest.from_fixture) does not work with pytest 9, so the schema is loaded
once at import, from the app itself.
"""

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from access.alerts.webhooks.endpoints import register_endpoint
from access.choices import AccessStatus, Confidence, CorridorStatus, Utility
from access.models import WebhookDelivery, WebhookEvent
from access.services import change_access_status, create_corridor, record_outage
from humtrack.actor import Actor
from humtrack.models import Organisation, TokenScope
from needs.services import record_need_figure
from tests.partners import issue_token

MAX_EXAMPLES = 20


# A request can match the schema and still name a region or source that does not exist: a 400 with
# field messages is the right answer there, so "schema-valid request rejected" accepts it.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412", "422", "429"],
            },
        },
    }
)


@contextmanager
def connection_kept_open():
    """Call the WSGI app directly without its request signals closing the test's database connection.

    A WSGI server's request_started/request_finished close old connections; inside a test that closes
    the connection holding the test's transaction (Django's own test client disconnects them too).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Loaded from the app itself (no server): the schema view needs no token and no database.
with connection_kept_open():
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)


@pytest.fixture(autouse=True)
def _connection_kept_open():
    with connection_kept_open():
        yield


@pytest.fixture(autouse=True)
def scenario(db, tree, source):
    """Something to find: a status change, a corridor, an outage, a need figure and a webhook endpoint (with
    a delivery) of one partner."""
    partner = Actor(organisation=Organisation.objects.create(name="Schemathesis Partner"))
    endpoint, _ = register_endpoint(
        organisation=partner.organisation, url="https://hooks.example.org/", event_types=["outage.created"],
        actor=partner,
    )  # fmt: skip
    when = datetime(2021, 9, 1, tzinfo=UTC)
    change_access_status(
        region=tree["AF08"], status=AccessStatus.UNKNOWN, reason="no information", source=source,
        confidence=Confidence.CONFIRMED, actor=partner, effective_at=when,
    )  # fmt: skip
    create_corridor(
        actor=partner, regions=[tree["AF0305"], tree["AF0801"]], status=CorridorStatus.CLOSED, source=source,
        confidence=Confidence.REPORTED, name="Jabal Saraj – Bazarak",
    )  # fmt: skip
    record_outage(
        actor=partner, region=tree["AF08"], utility=Utility.INTERNET, started_at=when, source=source,
        confidence=Confidence.CONFIRMED,
    )  # fmt: skip
    record_need_figure(
        actor=partner, region=tree["AF0801"], sector="FSC", people_in_need=20_000, period_start=when.date(),
        period_end=when.date(), source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    event = WebhookEvent.objects.create(event_type="outage.created", occurred_at=when, payload={}, fanned_out_at=when)
    WebhookDelivery.objects.create(event=event, endpoint=endpoint, message_id="msg_schemathesis")


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)


@pytest.fixture
def write_key(db):
    return issue_token("Schemathesis Partner", TokenScope.values)  # every scope: every operation


@pytest.fixture
def read_key(db):
    return issue_token("Schemathesis Reader", ["read"])


@pytest.fixture(autouse=True)
def _generous_rate(settings):
    # Hundreds of requests a minute: the throttle is tested on its own (test_throttling.py).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "1000000/minute"}}


def headers_for(key: str) -> dict[str, str]:
    # schemathesis' WSGI transport sends requests' default Accept-Encoding (gzip) but does not decode the
    # answer, as an HTTP client would: ask for it plain (compression is tested in test_compression.py).
    return {"Authorization": f"Token {key}", "Accept-Encoding": "identity"}


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_with_a_write_token_matches_the_schema(case, write_key):
    case.call_and_validate(headers=headers_for(write_key))


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_with_a_read_token_matches_the_schema(case, read_key):
    case.call_and_validate(headers=headers_for(read_key))
