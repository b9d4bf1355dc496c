"""Regions (p-coded administrative areas, a materialised path from the country down) and who coordinates them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus
from humtrack.history import audit_history

PATH_SEPARATOR = "/"

# Two letters (the country's ISO code), then letters and digits: 20 in all at most (the column's max_length).
PCODE_PATTERN = r"^[A-Z]{2}[A-Z0-9]{0,18}$"
pcode_validator = RegexValidator(PCODE_PATTERN, _("A p-code is upper-case letters and digits, e.g. AF08."))


class Region(models.Model):
    """A p-coded administrative area: country (0), province (1), district (2).

    `path` holds the p-codes from the country down ("AF/AF08/AF0806/"), so "this region and
    everything under it" is one indexed prefix query (see selectors.regions_within).
    `access_status` is a copy of the region's own latest StatusChange ("" while it has none), kept by
    the service that writes changes. What people and partners see is the *effective* status
    (access.selectors.status.with_effective_status): the own record, else the nearest ancestor's.
    """

    class Level(models.IntegerChoices):
        COUNTRY = 0, _("Country")
        PROVINCE = 1, _("Province")
        DISTRICT = 2, _("District")

    pcode = models.CharField("p-code", max_length=20, unique=True, validators=[pcode_validator])
    name = models.CharField(max_length=200)
    # The name in Dari and in Pashto where known (access/fixtures/SOURCES.md); blank: the English name
    # stands (localised_name). Searched like `name`.
    name_fa_af = models.CharField(_("name in Dari"), max_length=200, blank=True)
    name_ps = models.CharField(_("name in Pashto"), max_length=200, blank=True)
    alternative_names = models.CharField(
        max_length=500, blank=True, help_text=_("Other spellings, comma-separated (e.g. Panjshir for Panjsher).")
    )
    admin_level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, unique=True, editable=False)
    population = models.PositiveBigIntegerField(null=True, blank=True)
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    # A country's IANA time zone (Asia/Kabul): the default zone of a subscription to a region in it.
    time_zone = models.CharField(max_length=64, blank=True, help_text=_("For a country: its IANA time zone."))
    boundary = models.JSONField(null=True, blank=True, help_text=_("GeoJSON geometry, if a boundary is loaded."))
    access_status = models.CharField(
        max_length=24, choices=AccessStatus.choices, blank=True, default="", editable=False
    )
    current_status_change = models.ForeignKey(
        "access.StatusChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = audit_history(excluded_fields=["boundary"])

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["updated_at", "id"]), models.Index(fields=["access_status"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(admin_level__lte=5), name="region_admin_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.pcode})"

    def localised_name(self, language: str) -> str:
        """The region's name in `language` (en, fa-af, ps), or its English name where none is known."""
        return {"fa-af": self.name_fa_af, "ps": self.name_ps}.get(language, "") or self.name

    def build_path(self) -> str:
        prefix = self.parent.path if self.parent is not None else ""
        return f"{prefix}{self.pcode}{PATH_SEPARATOR}"

    def clean(self) -> None:
        parent = self.parent
        if parent is None:
            return
        if parent.pk == self.pk or (self.path and parent.path.startswith(self.path)):
            raise ValidationError({"parent": _("A region cannot be its own ancestor.")})
        if self.admin_level is not None and parent.admin_level >= self.admin_level:
            raise ValidationError(
                {"parent": _("The parent must be at a higher administrative level (a lower number).")}
            )


class CoordinatorAssignment(models.Model):
    """A coordinator changes the regions assigned here and everything under them; sees all."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_regions")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="coordinators")
    created_at = models.DateTimeField(auto_now_add=True)
    # An assignment grants rights: who assigned or removed a coordinator is audited.
    history = audit_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="unique_coordinator_region")]

    def __str__(self) -> str:
        return f"{self.user} → {self.region}"
