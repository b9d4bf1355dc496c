from django import forms

from access.models import Region


class SituationFilterForm(forms.Form):
    """The page's filters: a region (`within`, a p-code) and a day (`as_of`)."""

    within = forms.CharField(
        required=False,
        label="Region",
        widget=forms.Select,
        help_text="The region and everything under it.",
    )
    as_of = forms.DateField(
        required=False,
        label="As of",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The picture at the end of that day (UTC). Empty: now.",
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Country and provinces in the list; a deeper region stays selectable when it is the filter.
        choices = Region.objects.filter(admin_level__lte=1)
        wanted = (self.data.get("within") or "").strip().upper()
        if wanted:
            choices = choices | Region.objects.filter(pcode=wanted)
        options = [("", "All regions")] + [
            (region.pcode, f"{'— ' * region.admin_level}{region.name} ({region.pcode})")
            for region in choices.order_by("path").only("pcode", "name", "admin_level", "path")
        ]
        self.fields["within"].widget.choices = options

    def clean_within(self) -> str | None:
        pcode = (self.cleaned_data.get("within") or "").strip().upper()
        if not pcode:
            return None
        if not Region.objects.filter(pcode=pcode).exists():
            raise forms.ValidationError(f"No region has the p-code {pcode}.")
        return pcode
