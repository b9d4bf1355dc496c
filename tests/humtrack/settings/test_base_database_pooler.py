"""DATABASE_POOLER=pgbouncer (humtrack/settings/base.py): the default database is reached through PgBouncer
in transaction pooling, so nothing may outlive a transaction on its PostgreSQL connection: no server-side
cursors, no prepared statements. Unset, Django's defaults stay; anything else is refused."""

import json
import subprocess
import sys

import pytest

from tests.deploy.example_env import REPO

PROGRAM = """
import json
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({
    "disable_server_side_cursors": database.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "options": database.get("OPTIONS", {}),
}))
"""
DATABASE_URL = "postgres://humtrack:secret@pgbouncer:6432/humtrack"


def database_settings(tmp_path, **environment: str) -> subprocess.CompletedProcess:
    """Import the base settings with only these variables set (not this process's DATABASE_URL)."""
    return subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "humtrack.settings.base",
            "HUMTRACK_VAR_DIR": str(tmp_path / "var"),
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def read(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_through_pgbouncer_server_side_cursors_and_prepared_statements_are_off(tmp_path):
    database = read(database_settings(tmp_path, DATABASE_URL=DATABASE_URL, DATABASE_POOLER="pgbouncer"))
    assert database == {"disable_server_side_cursors": True, "options": {"prepare_threshold": None}}


def test_the_url_cannot_turn_prepared_statements_back_on_through_pgbouncer(tmp_path):
    url = DATABASE_URL + "?prepare_threshold=5&connect_timeout=3"
    database = read(database_settings(tmp_path, DATABASE_URL=url, DATABASE_POOLER="pgbouncer"))
    assert database["options"]["prepare_threshold"] is None
    assert database["options"]["connect_timeout"] in (3, "3")  # the URL's other options stay


def test_without_a_pooler_django_keeps_its_defaults(tmp_path):
    assert read(database_settings(tmp_path, DATABASE_URL=DATABASE_URL)) == {
        "disable_server_side_cursors": False,
        "options": {},
    }


@pytest.mark.parametrize("pooler", ["pgpool", "PgBouncer", "1"])
def test_an_unknown_pooler_is_refused(tmp_path, pooler):
    result = database_settings(tmp_path, DATABASE_URL=DATABASE_URL, DATABASE_POOLER=pooler)
    assert result.returncode != 0
    assert "DATABASE_POOLER must be one of" in result.stderr
