from django.conf import settings
from django.db import models

from access.choices import AccessStatus, Confidence


class StatusChange(models.Model):
    """One change of a region's access status. Append-only: history is never edited, only added to.

    `from_status` is the region's own recorded status in force at `effective_at` when the change was
    recorded, or "" when it had no record of its own then (it inherited its ancestor's status, or had
    none): an explicit `unknown` is a record, not the absence of one. The region's current status is
    the change with the latest `effective_at` (ties: the latest recorded).
    """

    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(
        max_length=24, choices=AccessStatus.choices, blank=True, help_text="Empty: no record of its own before."
    )
    to_status = models.CharField(max_length=24, choices=AccessStatus.choices)
    reason = models.TextField()
    source = models.ForeignKey("access.Source", on_delete=models.PROTECT, related_name="status_changes")
    confidence = models.CharField(max_length=12, choices=Confidence.choices)
    effective_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "humtrack.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A coordinator may record a bulk import without alerting anyone; the admin shows it was silent.
    silent = models.BooleanField(default=False)

    class Meta:
        ordering = ["-effective_at", "-id"]
        get_latest_by = ["effective_at", "id"]
        indexes = [models.Index(fields=["region", "effective_at", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")), name="status_change_changes"
            ),
        ]

    def __str__(self):
        before = self.get_from_status_display() if self.from_status else "—"
        return f"{self.region}: {before} → {self.get_to_status_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Status changes are append-only; record a new change instead.")
        super().save(*args, **kwargs)

    @property
    def recorded_by_label(self) -> str:
        parts = [p for p in (self.recorded_by and self.recorded_by.get_username(), self.organisation) if p]
        return " for ".join(str(p) for p in parts) or "system"
