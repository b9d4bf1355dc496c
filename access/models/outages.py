from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from access.choices import OutageCause, OutageExtent, Utility
from humtrack.history import audit_history

from .in_force import due_index, in_force
from .sources import SourcedFact


class UtilityOutage(SourcedFact):
    """Electricity, internet, telecom, water or fuel cut in a region. Active from its start until restored."""

    START_FIELD, END_FIELD = "started_at", "restored_at"

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
        indexes = [
            models.Index(fields=["updated_at", "id"]),
            # What the sweep looks for (access.services.sync).
            due_index("started_at", name="outage_start_due"),
            due_index("restored_at", name="outage_end_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(restored_at__isnull=True) | models.Q(restored_at__gte=models.F("started_at")),
                name="outage_restored_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_utility_display()} outage in {self.region}"

    @property
    def is_active(self) -> bool:
        """Out now: started and not yet restored (a restore recorded in advance takes effect when it comes)."""
        return in_force(self.started_at, self.restored_at, timezone.now())

    def clean(self):
        if self.restored_at and self.started_at and self.restored_at < self.started_at:
            raise ValidationError({"restored_at": "An outage cannot be restored before it started."})
