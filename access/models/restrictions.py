from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from access.choices import AffectedGroupCode, ConstraintCategory, Severity
from humtrack.history import audit_history

from .in_force import due_index, in_force
from .sources import SourcedFact


class AffectedGroup(models.Model):
    """Who a restriction affects: all aid workers, women aid workers, … (rows seeded by migration)."""

    code = models.CharField(max_length=30, primary_key=True, choices=AffectedGroupCode.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.get_code_display()


class AccessRestriction(SourcedFact):
    """An access constraint in a region (optionally on a corridor). Active from its start until its end."""

    START_FIELD, END_FIELD = "starts_at", "ends_at"

    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="restrictions")
    corridor = models.ForeignKey(
        "access.AidCorridor", null=True, blank=True, on_delete=models.SET_NULL, related_name="restrictions"
    )
    category = models.CharField(max_length=40, choices=ConstraintCategory.choices)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    affected_groups = models.ManyToManyField(AffectedGroup, related_name="restrictions")
    description = models.TextField(blank=True)
    imposed_by = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    history = audit_history(m2m_fields=[affected_groups])

    class Meta:
        ordering = ["-starts_at", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"]),
            # What the sweep looks for (access.services.sync).
            due_index("starts_at", name="restriction_start_due"),
            due_index("ends_at", name="restriction_end_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gte=models.F("starts_at")),
                name="restriction_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} in {self.region}"

    @property
    def is_active(self) -> bool:
        """In force now: started and not yet ended (an end recorded in advance takes effect when it comes)."""
        return in_force(self.starts_at, self.ends_at, timezone.now())

    def clean(self):
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": "A restriction cannot end before it starts."})
