"""Readiness checks that django-health-check does not ship: the Celery broker and the migrations.

The database and the cache use the library's own `health_check.Database` and `health_check.Cache`.
"""

import dataclasses

from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from health_check import HealthCheck
from health_check.exceptions import ServiceUnavailable
from kombu.exceptions import KombuError

# Once a process has seen every migration applied it stops asking: migrations are not rolled back
# under a running release, and loading the migration graph on every probe costs tens of milliseconds.
_migrated_aliases: set[str] = set()


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection, so that enqueued work (alerts) is not lost.

    It does not ping the workers: a web process is ready to serve even while the workers restart;
    the queue holds the work until they are back.
    """

    def run(self):
        from humtrack.celery import BRIEF_TRANSPORT_OPTIONS, app

        try:
            # Brief timeouts: a frozen broker makes the probe fail, not hang (and hold a web thread).
            with app.connection_for_write(transport_options=BRIEF_TRANSPORT_OPTIONS) as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
                # Redis connects lazily: a round trip on the default channel proves it answers.
                _ = connection.default_channel
        except (OSError, KombuError) as error:
            raise ServiceUnavailable(f"Broker unreachable: {type(error).__name__}") from error


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration in the code is applied to the database: the new release can serve.

    During a rolling deploy the migrate Job runs first; new web pods stay unready until it is done.
    """

    alias: str = "default"

    def run(self):
        if self.alias in _migrated_aliases:
            return
        connection = connections[self.alias]
        try:
            with connection.temporary_connection():
                executor = MigrationExecutor(connection)
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise ServiceUnavailable("Database unreachable while reading migrations") from error
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied, e.g. {plan[0][0]}")
        _migrated_aliases.add(self.alias)
