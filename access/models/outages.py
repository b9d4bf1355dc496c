"""Utility outages: a cut in a region, in force from its start until it is restored."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import OutageCause, OutageExtent, Utility
from humtrack.history import audit_history

from .changes import is_future
from .in_force import TimeBoundFact, ends_after_start, time_bound_indexes

RESTORED_IN_THE_FUTURE = _("An outage cannot be restored in the future; record the restoration when it happens.")


class UtilityOutage(TimeBoundFact):
    """Electricity, internet, telecom, water or fuel cut in a region. Active from its start until restored.

    A restoration is recorded when it happens, never in advance (nobody knows a cut will be mended):
    `restored_at` is now or earlier, as the end of a status change (access.models.changes).
    """

    START_FIELD, END_FIELD = "started_at", "restored_at"
    ENDS_BEFORE_START = _("An outage cannot be restored before it started.")

    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="outages")
    utility = models.CharField(max_length=20, choices=Utility.choices)
    started_at = models.DateTimeField()
    restored_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=20, choices=OutageCause.choices, default=OutageCause.UNKNOWN)
    cause_detail = models.TextField(blank=True)
    extent = models.CharField(max_length=10, choices=OutageExtent.choices, default=OutageExtent.UNKNOWN)
    history = audit_history()

    class Meta:
        ordering = ["-started_at", "id"]
        # What the sync cursor and the sweep look for (access.services.sync).
        indexes = time_bound_indexes("started_at", "restored_at", prefix="outage")
        constraints = [ends_after_start("started_at", "restored_at", name="outage_restored_after_start")]

    def __str__(self) -> str:
        return f"{self.get_utility_display()} outage in {self.region}"

    def clean(self) -> None:
        super().clean()
        if is_future(self.restored_at):
            raise ValidationError({"restored_at": RESTORED_IN_THE_FUTURE})
