"""A region's access-status history: one append-only StatusChange per change."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus

from .changes import RecordedChange


class StatusChange(RecordedChange):
    """One change of a region's access status (what every change records: access.models.changes).

    `from_status` is the region's own recorded status in force at `effective_at` when the change was
    recorded, or "" when it had no record of its own then (it inherited its ancestor's status, or had
    none): an explicit `unknown` is a record, not the absence of one. The region's current status is
    the change with the latest `effective_at` (ties: the latest recorded).
    """

    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(
        max_length=24, choices=AccessStatus.choices, blank=True, help_text=_("Empty: no record of its own before.")
    )
    to_status = models.CharField(max_length=24, choices=AccessStatus.choices)
    # Indexed here only: the API pages a region's status history by when each change was recorded
    # (its cursor, access.api.views); a corridor's history has no such list.
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta(RecordedChange.Meta):
        get_latest_by = ["effective_at", "id"]
        indexes = [
            # The change in force at a moment, per region: one backward step (selectors.status._in_force_id).
            models.Index(fields=["region", "effective_at", "id"]),
            # The latest changes anywhere, newest first (the situation page's "what changed", the last day's
            # changes): read from the newest end and stopped at the limit, not sorted out of all history.
            models.Index(fields=["effective_at", "id"], name="status_change_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")), name="status_change_changes"
            ),
        ]

    def __str__(self) -> str:
        before = self.get_from_status_display() if self.from_status else "—"
        return f"{self.region}: {before} → {self.get_to_status_display()}"
