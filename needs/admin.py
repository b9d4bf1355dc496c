"""Need figures in the coordinators' admin: scoped to a coordinator's regions, saved by the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from access.admin.display import SourcedFactColumns
from access.admin.filters import ProvinceFilter
from access.admin.forms import AuditedModelForm
from access.admin.mixins import RegionScopedAdmin, actor_for
from needs.models import NeedFigure
from needs.selectors import FIGURE_WARNINGS, figure_warnings
from needs.services import record_need_figure, update_need_figure


def warnings_of(figure: NeedFigure) -> list[str]:
    return figure_warnings(people_in_need=figure.people_in_need, targeted=figure.targeted, reached=figure.reached)


@admin.register(NeedFigure)
class NeedFigureAdmin(SourcedFactColumns, RegionScopedAdmin):
    form = AuditedModelForm
    list_display = [
        "region",
        "sector",
        "people_in_need",
        "targeted",
        "reached",
        "flags",
        "period_start",
        "period_end",
        "is_urgent",
        "confidence",
        "source_label",
    ]
    list_filter = ["sector", "confidence", "is_urgent", "region__admin_level", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "notes"]
    search_help_text = _("Region name, the start of a p-code, or words in the notes.")
    list_select_related = ["region", "source"]
    date_hierarchy = "period_start"
    fields = [
        "region",
        "sector",
        "people_in_need",
        "targeted",
        "reached",
        "period_start",
        "period_end",
        "is_urgent",
        "notes",
        "source",
        "confidence",
    ]

    @admin.display(description=_("flags"))
    def flags(self, figure):
        # Text, not only a sign: the list must read the same without colour or icons.
        return " ".join(f"⚠ {FIGURE_WARNINGS[code]}" for code in warnings_of(figure)) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Saved all the same (a source may count differently); the coordinator sees why it is flagged.
        for code in warnings_of(obj):
            messages.warning(
                request,
                _("%(warning)s Saved, and flagged in the list and the API (%(code)s).")
                % {"warning": FIGURE_WARNINGS[code], "code": code},
            )

    def create_through_service(self, request, form):
        return record_need_figure(actor=actor_for(request), **self.model_fields(form))

    def update_through_service(self, request, stored, form, reason):
        update_need_figure(figure=stored, actor=actor_for(request), reason=reason, **self.model_fields(form))
