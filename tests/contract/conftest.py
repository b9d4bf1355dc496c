"""Fixtures of the contract suite: the client generated from the served schema, and partners using it.

Each test starts with no throttle counts, as in every API test folder.
"""

import importlib
import pkgutil
import sys
from types import ModuleType

import pytest

from access.choices import AffectedGroupCode
from access.models import AffectedGroup
from tests.contract.generation import Generated, generate
from tests.partners import fresh_throttle_counts, issue_token  # noqa: F401  (autouse: every test here)


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory) -> Generated:
    """The client openapi-python-client generates from `/api/schema/?format=json` as the live server serves it."""
    return generate(f"{live_server.url}/api/schema/?format=json", tmp_path_factory.mktemp("contract"))


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


@pytest.fixture
def connect(partner_client, live_server, seeded):
    """connect(organisation, scopes, prefix="Bearer"): the generated AuthenticatedClient with a new token."""

    def client_for(organisation: str, scopes: list[str], *, prefix: str = "Bearer"):
        token = issue_token(organisation, scopes)
        return partner_client.AuthenticatedClient(
            base_url=live_server.url, token=token, prefix=prefix, raise_on_unexpected_status=True, timeout=30.0
        )

    return client_for
