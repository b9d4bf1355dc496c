"""bench/database.py: `make bench` runs case after case, each on a database of its own, some named (a worker
opens it too), some not; every one is made afresh and dropped after.

In a process of its own, as `make bench` runs: pytest's own test database is not one to make and drop.
"""

import os
import subprocess
import sys

from bench.alerts import ROOT

CASES_ONE_AFTER_ANOTHER = """
from pathlib import Path
import tempfile
from bench.database import own_database, shared_database_name
from django.db import connection

names = []
workdir = Path(tempfile.mkdtemp())
with own_database(shared_database_name("named", workdir)):
    names.append(connection.settings_dict["NAME"])
with own_database():
    from needs.models import NeedFigure
    assert NeedFigure.objects.count() == 0
    names.append(connection.settings_dict["NAME"])
with own_database(shared_database_name("again", Path(tempfile.mkdtemp()))):
    names.append(connection.settings_dict["NAME"])
print(names)
"""


def environment() -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "humtrack.settings.test"}
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        # Another name than the suite's: the unnamed case makes and drops test_<name>, which with the suite's
        # DATABASE_URL is this test run's own database.
        env["DATABASE_URL"] = url.split("?", 1)[0].rsplit("/", 1)[0] + "/bench_database_check"
    return env


def test_cases_one_after_another_each_get_a_database_of_their_own():
    done = subprocess.run(
        [sys.executable, "-c", CASES_ONE_AFTER_ANOTHER],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    named, unnamed, named_again = eval(done.stdout.strip().splitlines()[-1])  # noqa: S307  (our own list of str)
    assert len({named, unnamed, named_again}) == 3
