"""The forms of the pages people use without an account: get alerts, and manage my alerts.

Forms check shape and resolve what was typed (region names, p-codes); the services in self_service.py
and subscriptions.py make the writes.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from access.models import Region, Subscription
from access.selectors.regions import ARABIC_TO_PERSIAN_LETTERS, search_regions

from .choices import AlertLanguage, AlertMode, AlertTrigger
from .zones import default_time_zone, time_zone_names

# The zones field staff and their colleagues most often read in, first; then every IANA name.
COMMON_TIME_ZONES = [
    "Asia/Kabul",
    "UTC",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Tehran",
    "Asia/Dushanbe",
    "Asia/Tashkent",
    "Asia/Kolkata",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
]
# Region names typed in a list: commas (Latin and Arabic), semicolons (Latin and Arabic), new lines.
REGION_SEPARATORS = re.compile(r"[,،;؛\n]+")
MAX_REGIONS_PER_REQUEST = 20


def time_zone_choices() -> list[tuple[str, str]]:
    names = time_zone_names()
    common = [name for name in COMMON_TIME_ZONES if name in names]
    return [(name, name) for name in [*common, *sorted(names - set(common))]]


def threshold_choices() -> list[tuple[str, str]]:
    return [("", "—"), *(Subscription._meta.get_field("threshold_status").choices or [])]


def resolve_region(text: str) -> Region:
    """The one region `text` names: a p-code, or a name in English, Dari or Pashto (search_regions);
    among several matches the one whose name is exactly `text`. Raises ValidationError otherwise."""
    matches = list(search_regions(text).order_by("admin_level", "path")[:10])
    if len(matches) == 1:
        return matches[0]
    local = text.translate(ARABIC_TO_PERSIAN_LETTERS)
    exact = [
        region
        for region in matches
        if text.casefold() in {region.pcode.casefold(), region.name.casefold()}
        or local in {region.name_fa_af, region.name_ps}
    ]
    if len(exact) == 1:
        return exact[0]
    if not matches:
        raise forms.ValidationError(
            _(
                "No region is called “%(text)s”. Write its name in English, Dari or Pashto, "
                "or its p-code (such as AF08)."
            ),
            code="unknown_region",
            params={"text": text},
        )
    raise forms.ValidationError(
        _("“%(text)s” matches several regions (%(names)s): write its p-code."),
        code="ambiguous_region",
        params={"text": text, "names": ", ".join(f"{region.name} ({region.pcode})" for region in matches[:5])},
    )


class GetAlertsForm(forms.Form):
    """The public page: an address, the regions, and how to be told. Nothing here looks up the address."""

    email = forms.EmailField(label=_("Your email address"))
    regions = forms.CharField(
        label=_("Regions"),
        max_length=1000,
        help_text=_("Names in English, Dari or Pashto, or p-codes, separated by commas (for example: Panjshir, AF03)."),
    )
    language = forms.ChoiceField(label=_("Language of the emails"), choices=AlertLanguage.choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Times in the emails are shown in this zone, with UTC beside."),
    )
    mode = forms.ChoiceField(label=_("When"), choices=AlertMode.choices, initial=AlertMode.IMMEDIATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", _("The regions' own (Asia/Kabul in Afghanistan)")),
            *time_zone_choices(),
        ]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_regions(self) -> list[Region]:
        texts = [part.strip() for part in REGION_SEPARATORS.split(self.cleaned_data["regions"]) if part.strip()]
        if not texts:
            raise forms.ValidationError(_("Name at least one region."), code="required")
        if len(texts) > MAX_REGIONS_PER_REQUEST:
            raise forms.ValidationError(
                _("At most %(count)s regions at once."), code="too_many", params={"count": MAX_REGIONS_PER_REQUEST}
            )
        regions, errors = [], []
        for text in texts:
            try:
                regions.append(resolve_region(text))
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return list({region.pk: region for region in regions}.values())


class FollowSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a region to follow"), max_length=100, required=False)

    def results(self) -> list[Region]:
        text = self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
        return list(search_regions(text).order_by("admin_level", "path")[:20]) if text else []


class PreferencesForm(forms.Form):
    """How a subscriber is told: the fields update_own_subscription takes, apart from regions and active."""

    mode = forms.ChoiceField(label=_("When"), choices=AlertMode.choices)
    trigger = forms.ChoiceField(label=_("Which changes"), choices=AlertTrigger.choices)
    threshold_status = forms.ChoiceField(
        label=_("Level (for “crossing”)"),
        required=False,
        help_text=_("Alert when a region enters this level or a worse one."),
    )
    include_corridors = forms.BooleanField(label=_("Also aid corridors through these regions"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=AlertLanguage.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["threshold_status"].choices = threshold_choices()
        self.fields["time_zone"].choices = time_zone_choices()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("trigger") == AlertTrigger.CROSSING and not cleaned.get("threshold_status"):
            self.add_error("threshold_status", _("Choose the level whose crossing triggers an alert."))
        if cleaned.get("trigger") != AlertTrigger.CROSSING:
            cleaned["threshold_status"] = ""
        return cleaned

    @classmethod
    def for_subscription(cls, subscription: Subscription, data=None) -> "PreferencesForm":
        initial = {
            "mode": subscription.mode,
            "trigger": subscription.trigger,
            "threshold_status": subscription.threshold_status,
            "include_corridors": subscription.include_corridors,
            "language": subscription.language,
            "time_zone": subscription.time_zone or default_time_zone(subscription.regions.all()),
        }
        return cls(data, initial=initial)
