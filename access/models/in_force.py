"""In force at a moment: started by then and not yet ended. Written once, in its two forms.

The rule behind a restriction's and an outage's `is_active` (at now), a region's active counts, the
API's `active` and `in_force_at` filters, the situation page's past days, and the sweep that touches
the facts whose start or end has come (access.services.sync). The Python form judges one loaded
record; the Q form the same thing in a query. Change one, change the other beside it.
"""

from datetime import datetime

from django.db.models import F, Index, Q


def in_force(start: datetime | None, end: datetime | None, at: datetime) -> bool:
    """Started by `at` and not yet ended at `at` (an end at `at` itself has ended it)."""
    return start is not None and start <= at and (end is None or end > at)


def in_force_q(start_field: str, end_field: str, at: datetime, prefix: str = "") -> Q:
    """The same rule as a filter; `prefix` reaches the fact through a relation ("restrictions__")."""
    return Q(**{f"{prefix}{start_field}__lte": at}) & (
        Q(**{f"{prefix}{end_field}__isnull": True}) | Q(**{f"{prefix}{end_field}__gt": at})
    )


def due_index(moment_field: str, name: str) -> Index:
    """An index of the rows whose `moment_field` is still to come, or came since they were last touched
    (`updated_at` before it): what the sweep looks for, without reading the rest of history."""
    return Index(fields=[moment_field], condition=Q(updated_at__lt=F(moment_field)), name=name)
