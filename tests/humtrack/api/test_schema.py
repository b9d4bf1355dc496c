"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, all checks).

Every operation in /api/schema/ gets generated requests, valid and invalid; every response must match
the schema (status code, body, content type and headers documented), none may be a server error, an
invalid request must be refused and a valid one accepted (see CONFIG). Run with a token holding every
scope, with a token of each scope alone (what it may not do → 403), and in the stateful phase: chains
of calls linked through their responses (create, then read, change and delete what was created). The
pytest fixture loader (schemathesis.pytest.from_fixture) does not work with pytest 9, so the schema is
loaded once at import, from the app itself.
"""

import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from access.alerts.subscriptions import create_subscription
from access.alerts.webhooks.endpoints import register_endpoint
from access.choices import AccessStatus, Confidence, CorridorStatus, Utility
from access.models import AccessRestriction, UtilityOutage, WebhookDelivery, WebhookEvent
from access.models.changes import FUTURE_CHANGE
from access.models.incidents import OCCURRED_IN_THE_FUTURE
from access.models.outages import RESTORED_IN_THE_FUTURE
from access.services import change_access_status, create_corridor, record_outage
from humtrack.actor import Actor
from humtrack.models import ApiToken, Organisation, TokenScope, hash_token_key
from needs.services import record_need_figure

# Examples per operation with the token of every scope, with a token of one scope, and stateful runs.
MAX_EXAMPLES = 15
MAX_EXAMPLES_ONE_SCOPE = 3
MAX_STATEFUL_RUNS = 20

# What a schema-valid request may still be refused with, and why the schema cannot rule it out:
#   400  for a rule an OpenAPI 3.0 schema cannot state (NOT_STATABLE below: a record that does not
#        exist, a rule between two fields, with the stored record or with the clock); only that:
#        `refused_only_for_a_rule_the_schema_cannot_state` checks each message;
#   403  the token lacks the scope (the one-scope runs), or the record is another organisation's;
#   404  an id of the right shape that names no record;
#   409  a duplicate of a record that exists (a need figure's region, sector and period);
#   412  a generated If-Match is not the record's ETag;
#   422  two examples happened to send one Idempotency-Key with different bodies.
# Not 401 (every request carries a valid token) nor 429 (the rate is lifted below), nor any 5xx.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "403", "404", "409", "412", "422"],
            },
        },
    }
)
NOT_STATABLE = [
    # A record that does not exist: a schema states shapes, not which regions and sources there are.
    re.compile(r"^No region with p-code \S+\.$"),
    re.compile(r"^No admin [12] region with p-code \S+\.$"),
    re.compile(r"^No source with id \S+\.$"),
    re.compile(r'^Invalid pk "[^"]*" - object does not exist\.$'),
    # Between two fields, or a field and the stored record (a PATCH sends one of them).
    re.compile(r"^Choose the level whose crossing triggers an alert\.$"),  # trigger crossing, threshold null
    re.compile(r"^A period cannot end before it starts\.$"),
    re.compile(re.escape(str(AccessRestriction.ENDS_BEFORE_START)) + "$"),
    re.compile(re.escape(str(UtilityOutage.ENDS_BEFORE_START)) + "$"),
    re.compile(r"^.+ started on .+ UTC, after this time: it cannot end before it started\.$"),
    re.compile(r"^A corridor's destination must differ from its origin\.$"),
    # With the clock: a change or a restoration cannot be recorded before it happens.
    re.compile(re.escape(str(FUTURE_CHANGE)) + "$"),
    re.compile(re.escape(str(RESTORED_IN_THE_FUTURE)) + "$"),
    re.compile(r"^At most \d+ days back\.$"),  # a webhook backfill's `since`, at most WEBHOOKS_BACKFILL_MAX_DAYS ago
    # A subscription's time_zone: the schema states the shape of an IANA name, not the tz database's list
    # (data that changes, and whose names collide in generated clients: see access.alerts.api).
    re.compile(r"^.+ is not an IANA time zone name \(such as Asia/Kabul\)\.$"),
    # An incident (access.models.incidents): its type must be one of its category's, its point inside its
    # region's outline and given whole, its dates in order and not in the future.
    re.compile(r"^“[^”]+” is not a type of incident under “[^”]+”\.$"),
    re.compile(r"^Give both latitude and longitude, or neither\.$"),
    re.compile(r"^The point lies outside the outline of .+\.$"),
    re.compile(re.escape(str(OCCURRED_IN_THE_FUTURE)) + "$"),
    re.compile(r"^An incident cannot (end before it starts|be reported in the future)\.$"),
    re.compile(r"^An incident cannot be reported before it happened\.$"),
]


# The headers partners program against (`Allow` is DRF's on every answer; declared where it is the point, 405).
CONTRACT_HEADERS = ("ETag", "Location", "Idempotent-Replayed", "Retry-After", "Link", "WWW-Authenticate")


@schemathesis.check
def contract_headers_are_declared(ctx, response, case):
    """Every contract header an answer carries is declared for its operation and status (schemathesis'
    own header check sees only the other way: that declared headers are sent and well formed)."""
    definition = case.operation.responses.find_by_status_code(response.status_code)
    if definition is None:
        return None  # an undeclared status: status_code_conformance's finding
    declared = {name.lower() for name, _ in definition.headers.items()} if definition.headers else set()
    sent = [name for name in CONTRACT_HEADERS if name.lower() in response.headers]
    undeclared = [name for name in sent if name.lower() not in declared]
    if undeclared:
        raise AssertionError(f"{response.status_code} sends {undeclared}, which the schema does not declare")
    return None


@schemathesis.check
def refused_only_for_a_rule_the_schema_cannot_state(ctx, response, case):
    """A schema-valid request refused with 400 only for rules the schema cannot state (see CONFIG)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    body = response.json()
    messages = [message for messages in body.get("fields", {}).values() for message in messages]
    messages += [row["message"] for row in body.get("rows", [])]
    unstated = [message for message in messages if not any(rule.match(message) for rule in NOT_STATABLE)]
    if unstated or not messages:
        reasons = unstated or [body["detail"]]
        raise AssertionError(f"A schema-valid request was refused for a rule the schema does not state: {reasons}")
    return None


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
    """Something to find: a status change, a corridor, an outage, a need figure, alert subscriptions
    and a webhook endpoint (with a delivery) of one partner (the stateful phase reads, changes and
    deletes them through the links of the lists)."""
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
    for email in ("amina@example.org", "farid@example.org"):
        create_subscription(actor=partner, email=email, regions=[tree["AF08"]])


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
ONE_SCOPE = settings(HYPOTHESIS, max_examples=MAX_EXAMPLES_ONE_SCOPE)
STATEFUL = settings(HYPOTHESIS, max_examples=MAX_STATEFUL_RUNS, stateful_step_count=8)


# The key every request carries, as the partner's credentials (so schemathesis' authentication checks
# know it is valid, and probe the same request without it). schemathesis may build requests while
# collecting, before any test runs: the key is fixed here, and each test issues it with its scopes.
KEY = ApiToken.generate_key()


@schema.auth(refresh_interval=None)
class PartnerToken:
    def get(self, case, ctx):
        return KEY

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def issue_key(organisation_name: str, scopes) -> None:
    organisation, _ = Organisation.objects.get_or_create(name=organisation_name)
    ApiToken.objects.create(organisation=organisation, key_hash=hash_token_key(KEY), prefix=KEY[:8], scopes=scopes)


@pytest.fixture
def every_scope_key(db):
    # The organisation of the scenario's records: the token may change them.
    issue_key("Schemathesis Partner", TokenScope.values)


@pytest.fixture(autouse=True)
def _generous_rate(settings):
    # Hundreds of requests a minute: the throttle is tested on its own (test_throttling.py).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "1000000/minute"}}


# schemathesis' WSGI transport sends requests' default Accept-Encoding (gzip) but does not decode the
# answer, as an HTTP client would: ask for it plain (compression is tested in test_compression.py).
PLAIN = {"Accept-Encoding": "identity"}


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_with_every_scope_matches_the_schema(case, every_scope_key):
    case.call_and_validate(headers=PLAIN)


@pytest.fixture(params=TokenScope.values)
def one_scope_key(request, db):
    issue_key(f"Schemathesis {request.param}", [request.param])


@schema.parametrize()
@ONE_SCOPE
def test_every_operation_with_a_token_of_one_scope_matches_the_schema(case, one_scope_key):
    case.call_and_validate(headers=PLAIN)


def test_chains_of_calls_match_the_schema(every_scope_key):
    """The stateful phase: schemathesis links operations through their responses (a created record's id
    into its read, change and delete) and runs chains of them, with every check after each call."""

    class Partner(schema.as_state_machine()):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):
            return {"headers": PLAIN}

    Partner.run(settings=STATEFUL)


def test_chains_of_calls_on_subscriptions_match_the_schema(every_scope_key):
    """The one resource a partner deletes, on its own, so that its chains (list → read, change, delete →
    read again) come often enough to be run: after a DELETE the subscription is gone (404)."""

    class Partner(schema.include(path_regex="subscriptions").as_state_machine()):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):
            return {"headers": PLAIN}

    Partner.run(settings=STATEFUL)
