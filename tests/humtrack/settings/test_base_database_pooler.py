"""DATABASE_POOLER=pgbouncer (humtrack/settings/base.py): the default database is reached through PgBouncer
in transaction pooling, so nothing may outlive a transaction on its PostgreSQL connection: no server-side
cursors, no prepared statements. Unset, Django's defaults stay; anything else is refused. The last test
shows on a real PgBouncer what goes wrong without it."""

import json
import subprocess
import sys

import psycopg
import pytest
from django.db import DatabaseError, connection, connections

from humtrack.models import Organisation
from tests.deploy.example_env import REPO
from tests.infrastructure import PgBouncer, require_postgresql

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


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("switched_on", [True, False], ids=["DATABASE_POOLER=pgbouncer", "unset"])
def test_iterator_reads_through_a_real_pgbouncer_only_with_the_switch(tmp_path, switched_on):
    """What the switch prevents, shown on a real PgBouncer in transaction pooling: `.iterator()` declares a
    server-side cursor on one PostgreSQL connection, and its next FETCH, a transaction of its own, may be
    handed another connection (here the first is busy with another client's transaction), which has no
    such cursor. With the switch the rows are read from a client-side cursor."""
    require_postgresql()
    for number in range(3):
        Organisation.objects.create(name=f"Partner {number}")
    with PgBouncer(tmp_path, pool_size=2) as bouncer:
        through_pgbouncer = type(connections["default"])(
            {
                **connection.settings_dict,
                "HOST": "127.0.0.1",
                "PORT": bouncer.port,
                "DISABLE_SERVER_SIDE_CURSORS": switched_on,
                "OPTIONS": {"prepare_threshold": None},
            },
            alias="through_pgbouncer",
        )
        connections["through_pgbouncer"] = through_pgbouncer
        other_client = psycopg.connect(bouncer.database_url().replace("postgres://", "postgresql://", 1))
        try:
            rows = Organisation.objects.using("through_pgbouncer").order_by("pk").iterator(chunk_size=1)
            names = [next(rows).name]
            other_client.execute("SELECT 1")  # opens a transaction: holds the PostgreSQL connection just used
            if switched_on:
                names += [organisation.name for organisation in rows]
                assert names == ["Partner 0", "Partner 1", "Partner 2"]
            else:
                # Django's error from the FETCH; psycopg's own from closing the cursor, which is not there either.
                with pytest.raises((DatabaseError, psycopg.Error), match=r"cursor .* does not exist"):
                    list(rows)
        finally:
            other_client.close()
            through_pgbouncer.close()
            del connections["through_pgbouncer"]
