"""Need figures in the coordinators' admin: scoped to a coordinator's regions, saved by the services."""

from django.contrib import admin

from access.admin.forms import AuditedModelForm
from access.admin.mixins import ProvinceFilter, RegionScopedAdmin, SourcedFactColumns, actor_for
from needs.models import NeedFigure
from needs.services import record_need_figure, update_need_figure


@admin.register(NeedFigure)
class NeedFigureAdmin(SourcedFactColumns, RegionScopedAdmin):
    form = AuditedModelForm
    list_display = [
        "region",
        "sector",
        "people_in_need",
        "targeted",
        "reached",
        "period_start",
        "period_end",
        "is_urgent",
        "confidence",
        "source_label",
    ]
    list_filter = ["sector", "confidence", "is_urgent", "region__admin_level", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "notes"]
    search_help_text = "Region name, the start of a p-code, or words in the notes."
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

    def create_through_service(self, request, form):
        return record_need_figure(actor=actor_for(request), **self.model_fields(form))

    def update_through_service(self, request, figure, form, reason):
        update_need_figure(figure=figure, actor=actor_for(request), reason=reason, **self.model_fields(form))
