"""The situation page's forms: its filters (a region, a day) and the search for a region by name."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from access.models import Region


class SituationFilterForm(forms.Form):
    """The page's filters: a region (`within`, a p-code) and a day (`as_of`)."""

    within = forms.CharField(
        required=False,
        label=_("Region"),
        widget=forms.Select,
        help_text=_("The region and everything under it."),
    )
    as_of = forms.DateField(
        required=False,
        label=_("As of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The picture at the end of that day (UTC). Empty: now."),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Country and provinces in the list; a deeper region stays selectable when it is the filter.
        choices = Region.objects.filter(admin_level__lte=1)
        wanted = (self.data.get("within") or "").strip().upper()
        if wanted:
            choices = choices | Region.objects.filter(pcode=wanted)
        language = get_language() or "en"
        options = [("", _("All regions"))] + [
            (region.pcode, f"{'— ' * region.admin_level}{region.localised_name(language)} ({region.pcode})")
            for region in choices.order_by("path").only("pcode", "name", "name_fa_af", "name_ps", "admin_level", "path")
        ]
        self.fields["within"].widget.choices = options

    def clean_within(self) -> str | None:
        pcode = (self.cleaned_data.get("within") or "").strip().upper()
        if not pcode:
            return None
        if not Region.objects.filter(pcode=pcode).exists():
            raise forms.ValidationError(_("No region has the p-code %(pcode)s."), params={"pcode": pcode})
        return pcode


class RegionSearchForm(forms.Form):
    """Find a region by its name in English, Dari or Pashto, another spelling, or its p-code."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Find a region"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or p-code, e.g. Panjshir or AF08")}),
    )
