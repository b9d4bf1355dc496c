"""Audit history (django-simple-history) that records the partner organisation and the reason.

Services set `instance._history_user`, `instance._change_reason` and `instance._history_organisation`
before saving; the signal below copies the organisation onto the historical row. Bulk writes record
their history with copy_to_history().
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import Value
from django.dispatch import receiver
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class OrganisationHistoryMixin(models.Model):
    """Extra column on every historical table: the partner organisation that made the change."""

    history_organisation = models.ForeignKey(
        "humtrack.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


def audit_history(**kwargs) -> HistoricalRecords:
    return HistoricalRecords(bases=[OrganisationHistoryMixin], **kwargs)


@receiver(pre_create_historical_record)
def _record_organisation(sender, instance, history_instance, **kwargs):
    organisation = getattr(instance, "_history_organisation", None)
    if organisation is not None and hasattr(history_instance, "history_organisation"):
        history_instance.history_organisation = organisation


def short_reason(reason: str) -> str:
    """The reason as the history keeps it: its column holds 100 characters (the change itself keeps it all)."""
    return Truncator(" ".join(reason.split())).chars(100) if reason else ""


def stamp(instance, actor, reason: str = "") -> None:
    """Attribute the next save of `instance` in its audit history."""
    # Always set, None included: otherwise simple-history falls back to the request's user, which for a
    # partner's token is the organisation's principal (humtrack.api.authentication.Partner), not a User.
    instance._history_user = actor.user
    instance._history_organisation = actor.organisation
    if reason:
        instance._change_reason = short_reason(reason)


def copy_to_history(model, pks, *, history_type: str, actor, reason: str, date, batch_size: int) -> None:
    """Audit-history rows for saved rows of `model`, copied by the database: one INSERT … SELECT per batch.

    The rows simple-history's bulk_history_create would write (every tracked field as stored, who, when,
    why, "+" created or "~" changed), without building a historical object per row in Python and sending
    each value back: for a 10,000-row upload that was about as much work as writing the figures.
    Like bulk_history_create it sends no pre/post_create_historical_record signals.
    """
    if not settings.SIMPLE_HISTORY_ENABLED:
        return
    history = model.history.model
    tracked = [field.attname for field in history.tracked_fields]
    stamped = {
        "history_date": date,
        "history_type": history_type,
        "history_change_reason": short_reason(reason),
        "history_user_id": actor.user.pk if actor.user is not None else None,
        "history_organisation_id": actor.organisation.pk if actor.organisation is not None else None,
    }
    columns = {field.attname: field for field in history._meta.concrete_fields}
    # A column added to the historical model later (a new mixin field) must be filled here too, not
    # left empty in bulk uploads only.
    unfilled = set(columns) - set(tracked) - set(stamped) - {history._meta.pk.attname}
    if unfilled:
        raise ImproperlyConfigured(f"copy_to_history does not fill {sorted(unfilled)} of {history.__name__}.")

    database = router.db_for_write(history)
    rows = (
        model._base_manager.using(database)
        .order_by("pk")
        .annotate(**{name: Value(value, output_field=columns[name]) for name, value in stamped.items()})
    )
    connection = connections[database]
    quote = connection.ops.quote_name
    into = ", ".join(quote(columns[name].column) for name in [*tracked, *stamped])
    max_params = connection.features.max_query_params  # SQLite: 999 a statement
    if max_params is not None:
        batch_size = min(batch_size, max_params - len(stamped))
    pks = list(pks)
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            batch = rows.filter(pk__in=pks[start : start + batch_size]).values_list(*tracked, *stamped)
            select, params = batch.query.get_compiler(using=database).as_sql()
            cursor.execute(f"INSERT INTO {quote(history._meta.db_table)} ({into}) {select}", params)
