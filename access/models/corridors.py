"""Aid corridors: a route through ordered regions, and its append-only status history."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import CorridorStatus
from humtrack.history import audit_history

from .changes import RecordedChange
from .sources import SourcedFact

if TYPE_CHECKING:
    from .regions import Region


class AidCorridor(SourcedFact):
    """A route aid travels, through an ordered list of regions, with its own status history."""

    name = models.CharField(max_length=300)
    origin = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="corridors_from")
    destination = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="corridors_to")
    regions: "models.ManyToManyField[Region, CorridorWaypoint]" = models.ManyToManyField(
        "access.Region", through="CorridorWaypoint", related_name="corridors"
    )
    status = models.CharField(max_length=12, choices=CorridorStatus.choices, editable=False)
    status_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = audit_history()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["updated_at", "id"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.origin_id and self.origin_id == self.destination_id:
            raise ValidationError({"destination": _("A corridor's destination must differ from its origin.")})


class CorridorWaypoint(models.Model):
    corridor = models.ForeignKey(AidCorridor, on_delete=models.CASCADE, related_name="waypoints")
    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["corridor", "position"]
        constraints = [
            models.UniqueConstraint(fields=["corridor", "position"], name="unique_corridor_position"),
        ]

    def __str__(self) -> str:
        return f"{self.corridor_id}#{self.position}: {self.region_id}"


class CorridorStatusChange(RecordedChange):
    """One change of a corridor's status (what every change records: access.models.changes)."""

    corridor = models.ForeignKey(AidCorridor, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=CorridorStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=CorridorStatus.choices)

    class Meta(RecordedChange.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.corridor}: {self.from_status or '—'} → {self.to_status}"
