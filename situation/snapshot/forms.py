"""The snapshot's query: which month (YYYY-MM), where (`within`, a p-code) and in what form."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FORMATS = ("html", "pdf", "csv", "xlsx")


class SnapshotForm(forms.Form):
    month = forms.CharField(
        required=False,
        label=_("Month"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2021-09"}),
        help_text=_("Year and month, e.g. 2021-09. Empty: the last complete month."),
    )
    within = forms.CharField(required=False, label=_("Region (p-code)"), max_length=20)
    format = forms.ChoiceField(required=False, choices=[(f, f) for f in FORMATS])

    def clean_month(self) -> date | None:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        found = MONTH_PATTERN.match(text)
        if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
            raise forms.ValidationError(_("Give the month as year and month, e.g. 2021-09."), code="invalid")
        return date(int(found.group(1)), int(found.group(2)), 1)

    def clean_within(self) -> str:
        return (self.cleaned_data.get("within") or "").strip().upper()

    def clean_format(self) -> str:
        return self.cleaned_data.get("format") or "html"
