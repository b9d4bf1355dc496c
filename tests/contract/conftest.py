"""Fixtures of the contract suite: the client generated from the served schema, and partners using it.

Each test starts with no throttle counts, as in every API test folder.
"""

import importlib
import pkgutil
import sys
from types import ModuleType

import httpx
import pytest
import schemathesis
from django.test import Client
from schemathesis.core.failures import FailureGroup

from access.choices import AffectedGroupCode
from access.models import AffectedGroup
from tests.contract.generation import Generated, generate
from tests.partners import fresh_throttle_counts, issue_token  # noqa: F401  (autouse: every test here)


@pytest.fixture(scope="session")
def generated(tmp_path_factory, django_db_blocker) -> Generated:
    """The client openapi-python-client generates from `/api/schema/?format=json` as humtrack serves it."""
    # Fetched in-process: the schema reads no rows, but a request checks the database connection on its
    # way in and out, which a session fixture may not do from the live server's threads.
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:500]
    return generate(response.json(), tmp_path_factory.mktemp("contract"))


@pytest.fixture(scope="session")
def partner_client(generated) -> ModuleType:
    """The generated package, every module imported: `partner_client.api.regions.regions_list.sync_detailed`."""
    sys.path.insert(0, str(generated.path))
    try:
        package = importlib.import_module(generated.package)
        for module in pkgutil.walk_packages(package.__path__, f"{generated.package}."):
            importlib.import_module(module.name)
        yield package
    finally:
        sys.path.remove(str(generated.path))
        for name in [name for name in sys.modules if name.partition(".")[0] == generated.package]:
            del sys.modules[name]


@pytest.fixture
def seeded(transactional_db):
    # The live server reads committed rows only: these tests are transactional, and a transactional test
    # run before flushed the rows the migrations seeded; put them back.
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)


@pytest.fixture(scope="session")
def served_schema(generated):
    """The served schema the client was generated from, loaded by schemathesis to check answers against it."""
    return schemathesis.openapi.from_path(generated.schema)


@pytest.fixture
def connect(partner_client, live_server, seeded, served_schema):
    """connect(organisation, scopes, prefix="Bearer"): the generated AuthenticatedClient with a new token
    (organisation None: the generated Client, with no token).

    Every answer the clients receive is checked against the served schema when the test ends (status
    code, content type, body): the generated models check shapes, not every type and bound.
    """
    answers: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        answers.append(response)

    def client_for(organisation: str | None, scopes: list[str] = (), *, prefix: str = "Bearer"):
        options = {"base_url": live_server.url, "raise_on_unexpected_status": True, "timeout": 30.0}
        options["httpx_args"] = {"event_hooks": {"response": [keep]}}
        if organisation is None:
            return partner_client.Client(**options)
        return partner_client.AuthenticatedClient(token=issue_token(organisation, scopes), prefix=prefix, **options)

    yield client_for
    assert answers
    assert not (undocumented := list(schema_violations(served_schema, answers))), "\n\n".join(undocumented)


def schema_violations(schema, answers: list[httpx.Response]):
    """Each answer the served schema does not describe, as 'METHOD path status: what is wrong'."""
    for response in answers:
        request = response.request
        where = f"{request.method} {request.url.raw_path.decode()} {response.status_code}"
        operation = schema.find_operation_by_path(request.method, request.url.path)
        if operation is None:
            yield f"{where}: no operation of the schema"
            continue
        try:
            operation.validate_response(response)
        except (AssertionError, FailureGroup) as failure:
            yield f"{where}: {failure}"
