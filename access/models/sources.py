"""Sources, the facts that cite them, and what every record a partner may write carries: the partner
organisation it was written for."""

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import Confidence, Reliability, SourceKind
from humtrack.history import audit_history

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def partner_organisation(help_text: "StrOrPromise" = "") -> "models.ForeignKey[Any, Any]":
    """The partner organisation (humtrack.models.Organisation) a record was written for through the API,
    if any. An organisation with records is never deleted from under them."""
    return models.ForeignKey(
        "humtrack.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text=help_text
    )


class PartnerRecord(models.Model):
    """A record partners may write through the API: for which organisation, when it was recorded, and
    when it last changed (what a syncing partner's cursor reads)."""

    organisation = partner_organisation(_("The partner organisation that recorded it through the API, if any."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Source(PartnerRecord):
    """Where a fact comes from: a UN statement, an agency report, a news item, a post."""

    publisher = models.CharField(max_length=300)
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    history = audit_history()

    class Meta:
        ordering = ["-published_at", "id"]
        indexes = [models.Index(fields=["updated_at", "id"])]

    def __str__(self) -> str:
        date = f" ({self.published_at:%d %b %Y})" if self.published_at else ""
        return f"{self.publisher}: {self.title}{date}"


class SourcedFact(PartnerRecord):
    """Every fact carries its source and how far it can be trusted, and who recorded it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    confidence = models.CharField(max_length=12, choices=Confidence.choices)

    class Meta:
        abstract = True
