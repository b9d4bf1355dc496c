from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from access.choices import Confidence, CorridorStatus
from humtrack.history import audit_history

from .sources import SourcedFact


class AidCorridor(SourcedFact):
    """A route aid travels, through an ordered list of regions, with its own status history."""

    name = models.CharField(max_length=300)
    origin = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="corridors_from")
    destination = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="corridors_to")
    regions = models.ManyToManyField("access.Region", through="CorridorWaypoint", related_name="corridors")
    status = models.CharField(max_length=12, choices=CorridorStatus.choices, editable=False)
    status_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = audit_history()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["updated_at", "id"])]

    def __str__(self):
        return self.name

    def clean(self):
        if self.origin_id and self.origin_id == self.destination_id:
            raise ValidationError({"destination": "A corridor's destination must differ from its origin."})


class CorridorWaypoint(models.Model):
    corridor = models.ForeignKey(AidCorridor, on_delete=models.CASCADE, related_name="waypoints")
    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["corridor", "position"]
        constraints = [
            models.UniqueConstraint(fields=["corridor", "position"], name="unique_corridor_position"),
        ]

    def __str__(self):
        return f"{self.corridor_id}#{self.position}: {self.region_id}"


class CorridorStatusChange(models.Model):
    """One change of a corridor's status. Append-only, like StatusChange."""

    corridor = models.ForeignKey(AidCorridor, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=CorridorStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=CorridorStatus.choices)
    reason = models.TextField()
    source = models.ForeignKey("access.Source", on_delete=models.PROTECT, related_name="+")
    confidence = models.CharField(max_length=12, choices=Confidence.choices)
    effective_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "humtrack.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    silent = models.BooleanField(default=False)

    class Meta:
        ordering = ["-effective_at", "-id"]

    def __str__(self):
        return f"{self.corridor}: {self.from_status or '—'} → {self.to_status}"
