"""Admin forms that are not a model's own: changing a status, a corridor's route and first status."""

import re
from typing import TYPE_CHECKING

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import BLANK_CHOICE_DASH
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus, Confidence, CorridorStatus
from access.models import AidCorridor, Region, Source
from access.policies import can_change_route
from humtrack.actor import Actor

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from .refusals import coverage_sentence


def add_service_errors(form: forms.Form, error) -> None:
    """Show a service's ValidationError on the fields it names (the rest above the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class AuditedModelForm(forms.ModelForm):
    """A model form that may say why it changes something; the reason goes to the audit history.

    `service_error` is set by the admin when the service refused the save (a rule only the service
    knows): the form is shown again with that error, and nothing is saved.
    """

    service_error = None

    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=100,
        help_text=_("Optional; shown in the history beside your name."),
    )

    def clean(self):
        cleaned_data = super().clean()
        if self.service_error is not None:
            add_service_errors(self, self.service_error)
        return cleaned_data


class StatusChangeForm(forms.Form):
    """What every status change must say: the new status, why, on whose word, and how sure we are.

    The status and confidence start blank so that nobody records a change by accident. The fields are
    the status services' keywords: the admin hands them the cleaned data as it is.
    """

    status_choices: list = []

    status = forms.ChoiceField()
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("What happened, in a sentence partners will read (e.g. 'The valley is closed by fighting')."),
    )
    source = forms.ModelChoiceField(queryset=Source.objects.order_by("-published_at", "-id"))
    confidence = forms.ChoiceField(
        choices=[*BLANK_CHOICE_DASH, *Confidence.choices],
        help_text=_(
            "Confirmed by the source itself; reported by others; claimed by a party to the conflict; or not verified."
        ),
    )
    effective_at = forms.SplitDateTimeField(
        widget=AdminSplitDateTime,
        initial=timezone.now,
        label=_("Effective at (UTC)"),
        help_text=_("When the change happened on the ground. Back-dating is allowed; the future is not."),
    )
    silent = forms.BooleanField(
        required=False,
        label=_("Silent (no alerts)"),
        help_text=_("Record without alerting subscribers, e.g. when entering old history."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = BLANK_CHOICE_DASH + self.status_choices

    def add_service_errors(self, error) -> None:
        add_service_errors(self, error)


class RegionStatusChangeForm(StatusChangeForm):
    status_choices = AccessStatus.choices


class CorridorStatusChangeForm(StatusChangeForm):
    status_choices = CorridorStatus.choices


def parse_route(text: str) -> list[str]:
    """The p-codes of a route, in order, whatever separates them (spaces, commas, arrows)."""
    return [code.upper() for code in re.findall(r"[A-Za-z0-9]+", text or "")]


class CorridorForm(AuditedModelForm):
    """A corridor's description and route. Its status changes through the "Change corridor status" tool.

    `editor` is set per request by the admin: a coordinator's route must pass through a region they
    cover, or the corridor would not be theirs to change (access.policies.can_change_route).
    """

    editor = None

    route = forms.CharField(
        help_text=_("P-codes from origin to destination, in order, e.g. AF01 → AF0301 → AF08."),
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = AidCorridor
        fields = ["name", "route", "source", "confidence", "last_verified_at", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            pcodes = self.instance.waypoints.order_by("position").values_list("region__pcode", flat=True)
            self.initial["route"] = " → ".join(pcodes)

    def clean_route(self) -> list[Region]:
        pcodes = parse_route(self.cleaned_data["route"])
        if len(pcodes) < 2:
            raise forms.ValidationError(_("A corridor passes through at least two regions."))
        regions = {r.pcode: r for r in Region.objects.filter(pcode__in=pcodes)}
        unknown = [code for code in pcodes if code not in regions]
        if unknown:
            raise forms.ValidationError(_("Unknown p-code(s): %(pcodes)s.") % {"pcodes": ", ".join(unknown)})
        route = [regions[code] for code in pcodes]
        if not can_change_route(Actor(user=self.editor), route):
            must = _("The route must pass through at least one region you coordinate.")
            raise forms.ValidationError(f"{must} {coverage_sentence(self.editor)}")
        return route


class CorridorAddForm(CorridorForm):
    """A new corridor also states its first status, and why (with its source and confidence)."""

    initial_status = forms.ChoiceField(
        label=_("Status"),
        choices=[*BLANK_CHOICE_DASH, *CorridorStatus.choices],
        help_text=_("The corridor's status now."),
    )
    status_reason = forms.CharField(
        label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}), initial="Corridor recorded"
    )

    class Meta(CorridorForm.Meta):
        fields = [
            "name",
            "route",
            "initial_status",
            "status_reason",
            "source",
            "confidence",
            "last_verified_at",
            "notes",
        ]


class FactEndForm(forms.Form):
    """When a fact ended (a restriction) or was restored (an outage), why, and on whose word.

    The time is when it happened on the ground: it starts at now and may be set back (a 2021 internet
    cut restored in 2021), never forward. `time_field` is the service's name for it, so the service's
    errors land on it: the fields are the ending service's keywords.
    """

    time_field = ""
    time_label: "StrOrPromise" = ""
    time_help: "StrOrPromise" = ""

    reason = forms.CharField(
        max_length=100,  # what the audit history keeps (humtrack.history.short_reason)
        widget=forms.TextInput(attrs={"size": 80}),
        label=_("Reason"),
        help_text=_("What happened, in a sentence partners will read; it goes into each record's history."),
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("-published_at", "-id"),
        label=_("Source"),
        help_text=_("Who reports it. It becomes each record's source; the history keeps the earlier one."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        when = forms.SplitDateTimeField(
            widget=AdminSplitDateTime, initial=timezone.now, label=self.time_label, help_text=self.time_help
        )
        self.fields = {self.time_field: when, **self.fields}

    def add_service_errors(self, error) -> None:
        add_service_errors(self, error)


class RestrictionEndForm(FactEndForm):
    time_field = "ended_at"
    time_label = _("Ended at (UTC)")
    time_help = _("When the restriction ended on the ground: now or earlier, not later.")


class OutageRestoreForm(FactEndForm):
    time_field = "restored_at"
    time_label = _("Restored at (UTC)")
    time_help = _("When the service came back: now or earlier, not later.")
