"""deploy/compose.yaml: valid against the Compose Specification's schema, and the topology it promises."""

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from tests.deploy.example_env import DEPLOY, read_env_file
from tests.deploy.test_gunicorn import POSTGRESQL_CONNECTIONS

COMPOSE = DEPLOY / "compose.yaml"
# check-jsonschema ships the compose-spec schema (vendor.compose-spec): no network at test time.
CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
APP_SERVICES = ("migrate", "web", "worker-alerts", "worker-default", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def validate(path: Path):
    return subprocess.run([*CHECK_JSONSCHEMA, str(path)], capture_output=True, text=True, timeout=60)


def test_compose_file_passes_the_compose_spec_schema():
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_compose_file(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    health_check:\n", 1))
    result = validate(broken)
    assert result.returncode == 1
    assert "health_check" in result.stdout


def test_every_service_of_the_topology_is_there(compose):
    assert set(compose["services"]) == {"postgres", "pgbouncer", "redis", "mailpit", *APP_SERVICES}


def test_app_services_run_the_one_image_by_command_with_secrets_from_the_env_file(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["image"] == "humtrack:latest"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["env_file"] == [{"path": ".env", "required": True}]
        assert service["read_only"] is True
    assert [services[name]["command"] for name in APP_SERVICES] == [
        ["migrate"],
        ["web"],
        ["worker"],
        ["worker"],
        ["beat"],
    ]


def test_alerts_and_other_work_have_their_own_workers(compose):
    services = compose["services"]
    assert services["worker-alerts"]["environment"]["CELERY_QUEUES"] == "alerts"
    assert services["worker-default"]["environment"]["CELERY_QUEUES"] == "default"


def test_web_and_workers_wait_for_the_migration_and_healthy_services(compose):
    for name in ("web", "worker-alerts", "worker-default", "beat"):
        depends_on = compose["services"][name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["pgbouncer"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
    assert compose["services"]["migrate"]["restart"] == "no"


def test_long_running_services_have_healthchecks(compose):
    for name in ("postgres", "pgbouncer", "redis", "mailpit", "web", "worker-alerts", "worker-default"):
        assert compose["services"][name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_web_and_workers_reach_postgresql_through_pgbouncer_in_transaction_pooling(compose):
    """The app services read DATABASE_URL from the env file (.env.example): it names the pgbouncer service,
    with the settings switch that keeps Django's connections fit for transaction pooling."""
    pgbouncer = compose["services"]["pgbouncer"]["environment"]
    assert pgbouncer["POOL_MODE"] == "transaction"
    assert (pgbouncer["DB_HOST"], pgbouncer["DB_NAME"]) == ("postgres", "humtrack")
    assert int(pgbouncer["DEFAULT_POOL_SIZE"]) <= int(pgbouncer["MAX_DB_CONNECTIONS"]) <= POSTGRESQL_CONNECTIONS
    example = read_env_file()
    url = urlparse(example["DATABASE_URL"])
    assert (url.hostname, url.port) == ("pgbouncer", int(pgbouncer["LISTEN_PORT"]))
    assert example["DATABASE_POOLER"] == "pgbouncer"
    for name in APP_SERVICES:
        assert "DATABASE_URL" not in compose["services"][name].get("environment", {}), name
