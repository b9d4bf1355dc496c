"""A recorded change of a status, once: what a region's and a corridor's status changes both are.

A change says what the status became, why, on whose word (source, confidence), when it took effect on
the ground and who recorded it for which partner organisation. It is append-only: history is never
edited, only added to. It cannot take effect in the future; FUTURE_TOLERANCE and `is_future` are also
the rule for the end of a fact (access.services.ending).
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.choices import Confidence
from humtrack.actor import Actor

from .sources import partner_organisation

# Clocks drift: a change "effective now" from a partner a little ahead of us is not in the future.
FUTURE_TOLERANCE = timedelta(minutes=5)

FUTURE_CHANGE = _("A change cannot take effect in the future; record it when it happens.")


def is_future(moment: datetime | None) -> bool:
    """Later than now, beyond the clock drift FUTURE_TOLERANCE allows."""
    return moment is not None and moment > timezone.now() + FUTURE_TOLERANCE


class RecordedChange(models.Model):
    """What every status change records besides its subject and its from/to statuses (the subclass's)."""

    reason = models.TextField()
    source = models.ForeignKey("access.Source", on_delete=models.PROTECT, related_name="+")
    confidence = models.CharField(max_length=12, choices=Confidence.choices)
    effective_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = partner_organisation()
    recorded_at = models.DateTimeField(auto_now_add=True)
    # A coordinator may record a bulk import without alerting anyone; the admin shows it was silent.
    silent = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["-effective_at", "-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Status changes are append-only; record a new change instead.")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if is_future(self.effective_at):
            raise ValidationError({"effective_at": FUTURE_CHANGE})

    @property
    def recorded_by_label(self) -> str:
        """ "coordinator for OCHA", "OCHA" (a partner's token), "coordinator", or "system"."""
        return Actor(user=self.recorded_by, organisation=self.organisation).label
