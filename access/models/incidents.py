"""Access incidents (OCHA's Access Monitoring and Reporting Framework) and the coordinators' overrides of a
month's access-severity indicator (access.selectors.severity).

An incident is what a source says happened, no more precise than the source: a region (a district where
known), a point only where the source gives one, counts only where the source gives them (None: not said,
never 0). Its category is one of ACAPS's nine indicators and its type one of that category's short list
(access.choices.INCIDENT_TYPES_BY_CATEGORY); its perpetrator a type, never a named person. Its
`sensitivity` says who may read its description and point (access.policies.can_read_incident_details).
"""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from access.choices import (
    INCIDENT_TYPES_BY_CATEGORY,
    ConstraintCategory,
    IncidentType,
    PerpetratorType,
    Sensitivity,
)
from humtrack.history import audit_history

from .changes import is_future
from .restrictions import AffectedGroup
from .sources import SourcedFact

if TYPE_CHECKING:
    from .regions import Region

OCCURRED_IN_THE_FUTURE = _("An incident cannot have happened in the future.")


def outline_containing(region: "Region") -> tuple["Region", dict[str, Any]] | None:
    """The nearest loaded outline on the way up from `region` (its own, else its province's, else its
    country's): a district's outline is often not loaded, and a point in it must at least lie in its province."""
    from .regions import Region

    if region.boundary:
        return region, region.boundary
    codes = [code for code in region.path.split("/") if code][:-1]
    ancestors = Region.objects.filter(pcode__in=codes, boundary__isnull=False).order_by("-admin_level")
    for ancestor in ancestors.only("pcode", "name", "boundary", "admin_level"):
        if ancestor.boundary:
            return ancestor, ancestor.boundary
    return None


def point_outside_outline(region: "Region", latitude: float, longitude: float) -> "Region | None":
    """The region whose loaded outline the point lies outside of, or None when it lies inside (or no
    outline is loaded). GeoJSON is (longitude, latitude)."""
    from shapely.geometry import Point, shape

    found = outline_containing(region)
    if found is None:
        return None
    outline_region, outline = found
    return None if shape(outline).covers(Point(longitude, latitude)) else outline_region


class Incident(SourcedFact):
    """A thing that happened to humanitarian access in a region, on a source's word."""

    region = models.ForeignKey(
        "access.Region", on_delete=models.PROTECT, related_name="incidents", help_text=_("A district where known.")
    )
    occurred_at = models.DateTimeField(help_text=_("When it happened (its first day, when the source gives a span)."))
    occurred_until = models.DateTimeField(
        null=True, blank=True, help_text=_("Its last day, when the source gives a span; empty for a single moment.")
    )
    reported_at = models.DateTimeField(null=True, blank=True, help_text=_("When it was first reported, if known."))
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("Only where the source gives a place more precise than the region."),
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    category = models.CharField(max_length=40, choices=ConstraintCategory.choices)
    incident_type = models.CharField(max_length=40, choices=IncidentType.choices)
    perpetrator_type = models.CharField(max_length=30, choices=PerpetratorType.choices, default=PerpetratorType.UNKNOWN)
    # Impact, as far as the source says; None is "not said", never 0.
    activities_suspended = models.BooleanField(null=True, blank=True)
    people_unable_to_receive_aid = models.PositiveIntegerField(null=True, blank=True)
    aid_workers_affected = models.PositiveIntegerField(null=True, blank=True)
    affected_groups = models.ManyToManyField(AffectedGroup, related_name="incidents", blank=True)
    description = models.TextField(blank=True)
    sensitivity = models.CharField(max_length=12, choices=Sensitivity.choices, default=Sensitivity.PARTNERS)
    # The fact it evidences, if any.
    restriction = models.ForeignKey(
        "access.AccessRestriction", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    corridor = models.ForeignKey(
        "access.AidCorridor", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    outage = models.ForeignKey(
        "access.UtilityOutage", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    history = audit_history(m2m_fields=[affected_groups])

    class Meta:
        ordering = ["-occurred_at", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"]),  # the sync cursor
            models.Index(fields=["occurred_at", "region"]),  # a month's incidents (the snapshot, severity)
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="incident_point_has_both_coordinates",
            ),
            models.CheckConstraint(
                condition=Q(occurred_until__isnull=True) | Q(occurred_until__gte=models.F("occurred_at")),
                name="incident_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_incident_type_display()} in {self.region} ({self.occurred_at:%d %b %Y})"

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if is_future(self.occurred_at):
            errors["occurred_at"] = OCCURRED_IN_THE_FUTURE
        if is_future(self.occurred_until):
            errors["occurred_until"] = OCCURRED_IN_THE_FUTURE
        elif self.occurred_at and self.occurred_until and self.occurred_until < self.occurred_at:
            errors["occurred_until"] = _("An incident cannot end before it starts.")
        if is_future(self.reported_at):
            errors["reported_at"] = _("An incident cannot be reported in the future.")
        elif self.occurred_at and self.reported_at and self.reported_at < self.occurred_at:
            errors["reported_at"] = _("An incident cannot be reported before it happened.")
        if self.category and self.incident_type:
            if self.incident_type not in INCIDENT_TYPES_BY_CATEGORY.get(self.category, ()):
                errors["incident_type"] = _("“%(type)s” is not a type of incident under “%(category)s”.") % {
                    "type": self.get_incident_type_display(),
                    "category": self.get_category_display(),
                }
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        elif self.has_point and self.region_id and "latitude" not in errors:
            outside = point_outside_outline(self.region, float(self.latitude), float(self.longitude))  # type: ignore[arg-type]
            if outside is not None:
                errors["latitude"] = _("The point lies outside the outline of %(region)s.") % {"region": outside}
        if errors:
            raise ValidationError(errors)


class SeverityOverride(SourcedFact):
    """A coordinator's own score for one access-severity indicator of a region in a month, replacing the
    one computed from the evidence (access.selectors.severity), with the reason and the source."""

    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="severity_overrides")
    month = models.DateField(help_text=_("The month's first day."))
    indicator = models.CharField(max_length=40, choices=ConstraintCategory.choices)
    # 0–3 as ACAPS scores an indicator; None is "no information" (ACAPS's X).
    score = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(3)])
    reason = models.TextField()
    history = audit_history()

    class Meta:
        ordering = ["-month", "region", "indicator"]
        indexes = [models.Index(fields=["updated_at", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "indicator"], name="one_override_per_indicator"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=3), name="override_score_0_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} in {self.region}, {self.month:%Y-%m}"

    def clean(self) -> None:
        super().clean()
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("Give the month's first day.")})
        if not (self.reason or "").strip():
            raise ValidationError({"reason": _("Say why the computed score is overridden.")})
