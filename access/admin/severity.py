"""Coordinators' overrides of a month's access-severity indicator (access.selectors.severity): set with a
reason and a source through access.services.severity, only in their own regions; cleared to let the
computed score stand again. The list shows the computed score beside the override."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from access.models import SeverityOverride
from access.selectors.severity import severities_for_month
from access.services.severity import clear_severity_override, set_severity_override

from .display import SourcedFactColumns
from .filters import ProvinceFilter
from .forms import AuditedModelForm
from .mixins import RegionScopedAdmin, actor_for

NO_INFORMATION = _("X – no information")
SCORE_CHOICES = [("", NO_INFORMATION), *[(str(score), str(score)) for score in range(4)]]


def score_label(score: int | None) -> str:
    return str(NO_INFORMATION) if score is None else str(score)


class SeverityOverrideForm(AuditedModelForm):
    """The score as ACAPS writes it (0–3, or X), the month by its first day; reason and source required."""

    score = forms.TypedChoiceField(
        label=_("score"),
        choices=SCORE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("0 means assessed: no constraint. X means no information, whatever the evidence says."),
    )

    class Meta:
        model = SeverityOverride
        fields = ["region", "month", "indicator", "score", "reason", "source", "confidence"]
        help_texts = {
            "month": _("The month's first day (e.g. 2021-09-01)."),
            "reason": _("Why the score computed from the evidence does not hold; shown beside the score."),
        }


def attach_computed(overrides: list[SeverityOverride]) -> None:
    """Set `computed` on each override: the score the evidence gives its indicator (None: X). One
    computation per month on the page (access.selectors.severity: a few queries each)."""
    for month in {override.month for override in overrides}:
        regions = {o.region_id: o.region for o in overrides if o.month == month}
        severities = severities_for_month(month=month, regions=regions.values())
        for override in overrides:
            if override.month == month:
                override.computed = severities[override.region_id].indicators[override.indicator].computed  # type: ignore[attr-defined]


class OverrideChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        attach_computed(list(self.result_list))


@admin.register(SeverityOverride)
class SeverityOverrideAdmin(SourcedFactColumns, RegionScopedAdmin):
    form = SeverityOverrideForm
    list_display = ["__str__", "score_shown", "computed_score", "reason", "confidence", "source_label"]
    list_filter = ["indicator", "month", "confidence", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "reason"]
    list_select_related = ["region", "source"]
    date_hierarchy = "month"
    fields = ["region", "month", "indicator", "score", "reason", "source", "confidence"]
    actions = ["clear_selected"]

    def get_readonly_fields(self, request, obj=None):
        # An override is of one (region, month, indicator): another one is another override.
        return ["region", "month", "indicator"] if obj is not None else []

    def get_changelist(self, request, **kwargs):
        return OverrideChangeList

    @admin.display(description=_("score"))
    def score_shown(self, override):
        return score_label(override.score)

    @admin.display(description=_("computed from the evidence"))
    def computed_score(self, override):
        return score_label(override.computed) if hasattr(override, "computed") else "—"

    def override_fields(self, form) -> dict:
        data = self.model_fields(form)
        return {name: data[name] for name in ("score", "reason", "source", "confidence")}

    def create_through_service(self, request, form):
        data = self.model_fields(form)
        return set_severity_override(
            actor=actor_for(request),
            region=data["region"],
            month=data["month"],
            indicator=data["indicator"],
            **self.override_fields(form),
        )

    def update_through_service(self, request, stored, form, reason):
        set_severity_override(
            actor=actor_for(request),
            region=stored.region,
            month=stored.month,
            indicator=stored.indicator,
            **self.override_fields(form),
        )

    def delete_model(self, request, obj):
        clear_severity_override(actor=actor_for(request), override=obj)

    def delete_queryset(self, request, queryset):
        for override in queryset:
            clear_severity_override(actor=actor_for(request), override=override)

    @admin.action(description=_("Clear selected overrides (the computed score stands again)"), permissions=["change"])
    def clear_selected(self, request, queryset):
        overrides = list(self.editable(request, queryset).select_related("region"))
        for override in overrides:
            clear_severity_override(actor=actor_for(request), override=override)
        skipped = queryset.count() - len(overrides)
        count = len(overrides)
        self.message_user(
            request,
            ngettext("%(count)d override cleared.", "%(count)d overrides cleared.", count) % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                gettext("%(count)d not in your regions left as they were.") % {"count": skipped},
                messages.WARNING,
            )
