"""Audit history (django-simple-history) that records the partner organisation and the reason.

Services set `instance._history_user`, `instance._change_reason` and `instance._history_organisation`
before saving; the signal below copies the organisation onto the historical row.
"""

from django.db import models
from django.dispatch import receiver
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class OrganisationHistoryMixin(models.Model):
    """Extra column on every historical table: the partner organisation that made the change."""

    history_organisation = models.ForeignKey(
        "humtrack.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


def audit_history(**kwargs) -> HistoricalRecords:
    return HistoricalRecords(bases=[OrganisationHistoryMixin], **kwargs)


@receiver(pre_create_historical_record)
def _record_organisation(sender, instance, history_instance, **kwargs):
    organisation = getattr(instance, "_history_organisation", None)
    if organisation is not None and hasattr(history_instance, "history_organisation"):
        history_instance.history_organisation = organisation


def stamp(instance, actor, reason: str = "") -> None:
    """Attribute the next save of `instance` in its audit history."""
    stamp_all([instance], actor, reason)


def stamp_all(instances, actor, reason: str = "") -> None:
    """stamp() for many instances at once (a bulk upload): the reason is shortened once, not per row."""
    # The history's reason column holds 100 characters; the full reason stays on the change itself.
    short_reason = Truncator(" ".join(reason.split())).chars(100) if reason else ""
    for instance in instances:
        # Always set, None included: otherwise simple-history falls back to the request's user, which for
        # a partner's token is the organisation's principal (humtrack.api.authentication.Partner).
        instance._history_user = actor.user
        instance._history_organisation = actor.organisation
        if short_reason:
            instance._change_reason = short_reason
