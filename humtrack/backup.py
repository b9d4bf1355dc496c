"""Backup and restore of humtrack's whole state, history included, with Django's serialisers.

What is exported: the partner organisations and tokens (hashes only), users and groups, and every model
of `access` and `needs` with their audit-history tables. Sessions, login-attempt records and caches
are left out: they are not state anyone would restore.
"""

import gzip
import io
from pathlib import Path

from django.apps import apps
from django.core import management
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

EXPORTED = ["auth.group", "auth.user", "humtrack", "access", "needs"]


def _open(path: Path, mode: str):
    return gzip.open(path, mode + "t", encoding="utf-8") if path.suffix == ".gz" else open(path, mode, encoding="utf-8")


def export_state(path: Path) -> None:
    """Write the whole state as XML (gzipped if the name ends in .gz).

    XML, not JSON: Django's JSON encoder cuts timestamps to milliseconds, and a restore must give back
    every record exactly (history order and sync cursors depend on the microseconds).
    """
    buffer = io.StringIO()
    management.call_command(
        "dumpdata", *EXPORTED, format="xml", natural_foreign=True, natural_primary=True, stdout=buffer
    )
    with _open(path, "w") as handle:
        handle.write(buffer.getvalue())


def state_is_empty() -> bool:
    return not any(
        model._default_manager.exists()
        for label in ("humtrack", "access", "needs")
        for model in apps.get_app_config(label).get_models()
        if model._meta.model_name != "affectedgroup"  # seeded by migration
    )


def restore_state(path: Path) -> None:
    """Load an export into a freshly migrated database. All or nothing; refuses a database with data."""
    if not state_is_empty():
        raise ValidationError("The database already holds data: restore into a freshly migrated database.")
    # loaddata needs a file name it recognises; it resets PostgreSQL sequences after loading.
    # The history rows come from the export itself: simple-history must not add its own while
    # loaddata sets many-to-many fields (its m2m_changed handler would write extra history rows).
    with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        management.call_command("loaddata", str(path), verbosity=0)
