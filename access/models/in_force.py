"""In force at a moment: started by then and not yet ended. Written once, in its two forms, and the
facts it judges (TimeBoundFact: a restriction, an outage).

The rule behind a restriction's and an outage's `is_active` (at now), a region's active counts, the
API's `active` and `in_force_at` filters, the situation page's past days, and the sweep that touches
the facts whose start or end has come (access.services.sync). The Python form judges one loaded
record; the Q form the same thing in a query. Change one, change the other beside it.
"""

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, F, Index, Q
from django.utils import timezone

from .sources import SourcedFact

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


def time_bound_indexes(start_field: str, end_field: str, prefix: str) -> list[Index]:
    """A time-bound fact's indexes: the sync cursor's, and the sweep's for its start and its end."""
    return [
        Index(fields=["updated_at", "id"]),
        due_index(start_field, name=f"{prefix}_start_due"),
        due_index(end_field, name=f"{prefix}_end_due"),
    ]


def ends_after_start(start_field: str, end_field: str, name: str) -> CheckConstraint:
    """The database's half of TimeBoundFact.clean(): no end, or an end at or after the start."""
    return CheckConstraint(
        condition=Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": F(start_field)}), name=name
    )


class TimeBoundFact(SourcedFact):
    """A sourced fact in force from its start until its end (none while it holds).

    Subclasses name the two fields (`START_FIELD`, `END_FIELD`) and say, in `ENDS_BEFORE_START`, why an
    end before the start is refused; their Meta takes time_bound_indexes() and ends_after_start() with
    their own names (the names are in the migrations).
    """

    START_FIELD: ClassVar[str]
    END_FIELD: ClassVar[str]
    ENDS_BEFORE_START: ClassVar["StrOrPromise"]

    class Meta:
        abstract = True

    @property
    def start(self) -> datetime | None:
        start: datetime | None = getattr(self, self.START_FIELD)
        return start

    @property
    def end(self) -> datetime | None:
        end: datetime | None = getattr(self, self.END_FIELD)
        return end

    @property
    def is_active(self) -> bool:
        """In force now: started and not yet ended (an end recorded in advance takes effect when it comes)."""
        return in_force(self.start, self.end, timezone.now())

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({self.END_FIELD: self.ENDS_BEFORE_START})
