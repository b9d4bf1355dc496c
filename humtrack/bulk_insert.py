"""Inserting thousands of new rows at once: PostgreSQL's COPY, ids taken from the table's sequence.

`bulk_create` compiles one INSERT per batch, preparing every value of every row through its field
(`get_db_prep_save`) and sending them as parameters: for a 10,000-row upload of need figures that
was 0.4 s, more than everything else the upload does. COPY streams the rows as they are; the ids
come first, from the column's own sequence in one query, so the rows' ids are known to whoever
writes their history and webhook events next, as after `bulk_create`. Other databases (SQLite in
development) take `bulk_create`.
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router

BATCH_SIZE = 500  # rows per statement where COPY is not there (SQLite's 999 parameters a statement)

# Fields whose Python value psycopg sends as the column's type as it is: no field-level preparation
# (an encoder, a JSON dump, a timezone conversion) is skipped by writing them straight to COPY.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,  # and its subclasses (EmailField, SlugField, URLField …)
    models.DateField,  # and DateTimeField: aware datetimes under USE_TZ, as Django would send
    models.ForeignKey,
    models.IntegerField,  # and its subclasses (PositiveBigIntegerField …)
    models.TextField,
    models.UUIDField,  # psycopg sends uuid.UUID as uuid
)


def insert_new(model: type[models.Model], objects: Sequence[models.Model], *, now: datetime) -> None:
    """Insert unsaved `objects` of `model`, setting their ids (as `bulk_create` does on PostgreSQL).

    `auto_now` and `auto_now_add` fields are set to `now`, one time for the whole upload (bulk_create
    asks the clock once per row). Sends no signals, as bulk_create.
    """
    if not objects:
        return
    database = router.db_for_write(model)
    connection = connections[database]
    fields = model._meta.concrete_fields
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    if connection.vendor != "postgresql":
        rows = model._base_manager.using(database)
        rows.bulk_create(objects, batch_size=BATCH_SIZE)
        # bulk_create stamps each row with its own clock reading; the rows are the upload's, at `now`.
        pks = [instance.pk for instance in objects]
        for start in range(0, len(pks), BATCH_SIZE) if stamped else ():
            rows.filter(pk__in=pks[start : start + BATCH_SIZE]).update(**dict.fromkeys(stamped, now))
        _stamp(objects, stamped, now)
        return
    unplain = [field.name for field in fields if not isinstance(field, _PLAIN_FIELDS)]
    if unplain:
        raise ImproperlyConfigured(f"insert_new does not prepare {unplain} of {model.__name__}; use bulk_create.")
    _stamp(objects, stamped, now)

    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk
    attnames = [field.attname for field in fields]
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objects)],
        )
        for instance, (pk_value,) in zip(objects, cursor.fetchall(), strict=True):
            instance.pk = pk_value
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for instance in objects:
                copy.write_row([getattr(instance, name) for name in attnames])
    for instance in objects:
        instance._state.adding = False
        instance._state.db = database


def _stamp(objects: Sequence[models.Model], attnames: list[str], now: datetime) -> None:
    for instance in objects:
        for name in attnames:
            setattr(instance, name, now)
