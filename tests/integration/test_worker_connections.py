"""humtrack/celery.py: a worker keeps its database connection from one task to the next, as a web thread
keeps its own from one request to the next (CONN_MAX_AGE), and replaces one that broke."""

import pytest
from django.db import connection

from access.choices import AccessStatus

from .test_alerts_harness import database_url, wait_for
from .test_alerts_pipeline import all_sent, change_status, subscribe

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# As production.py sets them (CONN_MAX_AGE's default, CONN_HEALTH_CHECKS); each change an email of its own
# (no flood follow-up), so that each reaches the SMTP server.
PRODUCTION_CONNECTIONS = "?conn_max_age=60&conn_health_checks=true"
NO_FLOOD_CONTROL = {"ALERTS_FLOOD_WINDOW_SECONDS": 0}


def worker_connections() -> set[tuple[int, object]]:
    """The test database's other connections, the worker's: (backend pid, when it started)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return set(cursor.fetchall())


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(panjshir, smtp, workers):
    subscribe("panjshir@example.org", panjshir["AF08"])
    workers(DATABASE_URL=database_url() + PRODUCTION_CONNECTIONS, **NO_FLOOD_CONTROL)

    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    wait_for(lambda: all_sent(1), message="the first change's email")
    after_first = worker_connections()
    change_status(panjshir["AF08"], AccessStatus.CONSTRAINED)
    wait_for(lambda: all_sent(2), message="the second change's email")

    # Celery's fixup closed every connection after every task: none outlived the first change's tasks.
    assert after_first & worker_connections()
    assert len(smtp.handler.messages) == 2


def test_a_worker_whose_connection_was_cut_opens_another_and_sends_the_next_alert(panjshir, smtp, workers):
    subscribe("panjshir@example.org", panjshir["AF08"])
    workers(DATABASE_URL=database_url() + PRODUCTION_CONNECTIONS, **NO_FLOOD_CONTROL)
    change_status(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    wait_for(lambda: all_sent(1), message="the first change's email")

    # What a PostgreSQL restart or a pooler closing idle connections does to a kept connection.
    with connection.cursor() as cursor:
        for pid, _ in worker_connections():
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    change_status(panjshir["AF08"], AccessStatus.CONSTRAINED)

    wait_for(lambda: all_sent(2), timeout=20, message="the second change's email, on a new connection")
    assert len(smtp.handler.messages) == 2
