"""A database of a bench case's own, made and dropped with Django's test utilities.

`make bench` never touches var/humtrack.sqlite3 or a real database: each case runs on a fresh test
database (an in-memory SQLite database by default; with DATABASE_URL, `test_<name>` on that server, or
the name a case asks for when it runs processes of its own against it), with Django's test environment
set (DEBUG off, so no query log; email kept in memory).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def shared_database_name(kind: str, workdir: Path) -> str:
    """A name the processes a case starts (a Celery worker) can open too: on SQLite a file in the case's
    folder (the in-memory default is the bench process's alone), on a server `bench_<kind>_<database>`."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return str(workdir / "bench.sqlite3")
    return f"bench_{kind}_{connection.settings_dict['NAME']}"


@contextmanager
def own_database(name: str | None = None) -> Iterator[None]:
    """Run the block on a fresh database called `name` (Django's test name by default); drop it after."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    try:
        setup_test_environment()
        own_environment = True
    except RuntimeError:  # another bench module set it up already
        own_environment = False
    original_name = connection.settings_dict["NAME"]
    # Django fills in TEST["NAME"] (None: "test_<NAME>") and reads it as a key: put back what was there.
    test_settings = connection.settings_dict["TEST"]
    original_test_name = test_settings["NAME"]
    if name is not None:
        test_settings["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = original_test_name
        if own_environment:
            teardown_test_environment()
