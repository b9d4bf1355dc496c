"""Utility outages: recorded, changed and marked restored through the outage services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from access.models import UtilityOutage
from access.services import record_outage, restore_outages, update_outage

from .display import SourcedFactColumns, in_force_span
from .ending import EndFactsActionMixin
from .filters import InForceFilter, ProvinceFilter
from .forms import AuditedModelForm, OutageRestoreForm
from .mixins import RegionScopedAdmin, actor_for


class OpenOutageFilter(InForceFilter):
    title = _("restored")
    parameter_name = "open"
    labels = (_("Out now"), _("Not out now (restored or not yet started)"))


@admin.register(UtilityOutage)
class UtilityOutageAdmin(EndFactsActionMixin, SourcedFactColumns, RegionScopedAdmin):
    form = AuditedModelForm
    list_display = ["utility", "region", "started_at", "restored_at", "cause", "extent", "confidence", "source_label"]
    list_filter = [OpenOutageFilter, "utility", "cause", "extent", "confidence", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "cause_detail"]
    list_select_related = ["region", "source"]
    # Each version shows when the fact held on the ground first; the history's own time is when it was recorded.
    history_list_display = ["in_force", "partner"]
    date_hierarchy = "started_at"
    fields = [
        "region",
        "utility",
        "started_at",
        "restored_at",
        "cause",
        "cause_detail",
        "extent",
        "source",
        "confidence",
    ]
    actions = ["restore_selected"]

    @admin.display(description=_("in force (took effect → ended)"))
    def in_force(self, record):
        return in_force_span(record.started_at, record.restored_at)

    def create_through_service(self, request, form):
        return record_outage(actor=actor_for(request), **self.model_fields(form))

    def update_through_service(self, request, stored, form, reason):
        update_outage(outage=stored, actor=actor_for(request), reason=reason, **self.model_fields(form))

    end_form_class = OutageRestoreForm
    end_title = _("Mark the selected outages restored")
    end_submit_label = _("Mark them restored")
    end_done_verb = _("marked restored")

    def end_records(self, request, outages, data) -> int:
        return restore_outages(outages=outages, actor=actor_for(request), **data)

    @admin.action(description=_("Mark selected outages restored…"), permissions=["change"])
    def restore_selected(self, request, queryset):
        return self.end_with_form(request, queryset)
