"""The whole stored state of humtrack's own tables, to prove a refused write changed nothing."""

from contextlib import contextmanager

from django.apps import apps
from django.db import transaction

# Every table a service can write: the domain, its audit history, the alert outbox, partners.
AUDITED_APPS = ("access", "needs", "humtrack")
# A token's last use is recorded (once a minute) by any authenticated request: a read, not a write.
TOKEN_USE = {"humtrack.ApiToken": {"last_used_at"}}


def database_state(ignore: dict[str, set[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every humtrack table (history and many-to-many tables included), in key order.

    Test databases here hold a handful of rows, so comparing whole rows is cheap, and it catches a
    half-written change that a row count would miss (an update, a moved path, a new status).
    `ignore` names columns that legitimately change on a read ({"humtrack.ApiToken": {"last_used_at"}}).
    """
    ignore = ignore or {}
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in AUDITED_APPS:
            skipped = ignore.get(model._meta.label, set())
            columns = [f.attname for f in model._meta.concrete_fields if f.attname not in skipped]
            state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


@contextmanager
def rolled_back():
    """Run one example in a savepoint that is always rolled back: examples do not see each other."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
