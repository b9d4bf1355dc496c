"""Access restrictions (ACAPS constraint categories) and the groups they affect."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import AffectedGroupCode, ConstraintCategory, Severity
from humtrack.history import audit_history

from .in_force import TimeBoundFact, ends_after_start, time_bound_indexes


class AffectedGroup(models.Model):
    """Who a restriction affects: all aid workers, women aid workers, … (rows seeded by migration)."""

    code = models.CharField(max_length=30, primary_key=True, choices=AffectedGroupCode.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


class AccessRestriction(TimeBoundFact):
    """An access constraint in a region (optionally on a corridor). Active from its start until its end,
    which may be announced in advance."""

    START_FIELD, END_FIELD = "starts_at", "ends_at"
    ENDS_BEFORE_START = _("A restriction cannot end before it starts.")

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
        # What the sync cursor and the sweep look for (access.services.sync).
        indexes = time_bound_indexes("starts_at", "ends_at", prefix="restriction")
        constraints = [ends_after_start("starts_at", "ends_at", name="restriction_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} in {self.region}"
