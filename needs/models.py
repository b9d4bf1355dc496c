"""Need figures: people in need, targeted and reached per region, sector and period."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from access.models import SourcedFact
from humtrack.history import audit_history

from .sectors import SECTOR_CHOICES

# The largest count (and id) the database keeps: PositiveBigIntegerField and BigAutoField.
MAX_COUNT = 2**63 - 1


class NeedFigure(SourcedFact):
    """People in need, targeted and reached in a region and sector over a period.

    A figure may be left empty when a source names a need urgent but gives no number: humtrack never
    invents one. One figure per region, sector and period (the key partners upsert by).
    """

    region = models.ForeignKey("access.Region", on_delete=models.PROTECT, related_name="need_figures")
    sector = models.CharField(max_length=20, choices=SECTOR_CHOICES)
    people_in_need = models.PositiveBigIntegerField(null=True, blank=True)
    targeted = models.PositiveBigIntegerField(null=True, blank=True)
    reached = models.PositiveBigIntegerField(null=True, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    is_urgent = models.BooleanField(default=False, help_text=_("The source names this need as urgent."))
    notes = models.TextField(blank=True)
    history = audit_history()

    class Meta:
        ordering = ["region__path", "sector", "period_start", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"]),
            models.Index(fields=["sector", "period_start", "period_end"]),
            # A sector's page in the sync order (`?sector=FSC`): read in order, stopped at the page's end,
            # whatever the number of figures of other sectors and periods.
            models.Index(fields=["sector", "updated_at", "id"], name="need_figure_sector_sync"),
            # The roll-up's probe (needs.selectors._chosen_figures): a region's and sector's latest period
            # first, one index step whatever the number of periods held.
            models.Index(fields=["region", "sector", "period_end", "period_start"], name="need_figure_latest_period"),
            # The roll-up's urgent sectors: the few urgent figures, not every figure of the area.
            models.Index(fields=["sector"], condition=models.Q(is_urgent=True), name="need_figure_urgent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "sector", "period_start", "period_end"], name="unique_need_figure_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="need_period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_sector_display()} in {self.region} ({self.period_start} – {self.period_end})"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("A period cannot end before it starts.")})
