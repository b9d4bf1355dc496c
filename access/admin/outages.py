"""Utility outages: recorded, changed and marked restored through the outage services."""

from django.contrib import admin

from access.models import UtilityOutage
from access.services import record_outage, restore_outages, update_outage

from .forms import AuditedModelForm
from .mixins import OpenFilter, ProvinceFilter, RegionScopedAdmin, SourcedFactColumns, actor_for


class OpenOutageFilter(OpenFilter):
    title = "restored"
    parameter_name = "open"
    end_field = "restored_at"
    labels = ("Still out", "Restored")


@admin.register(UtilityOutage)
class UtilityOutageAdmin(SourcedFactColumns, RegionScopedAdmin):
    form = AuditedModelForm
    list_display = ["utility", "region", "started_at", "restored_at", "cause", "extent", "confidence", "source_label"]
    list_filter = [OpenOutageFilter, "utility", "cause", "extent", "confidence", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "cause_detail"]
    list_select_related = ["region", "source"]
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
    actions = ["restore_now"]

    def create_through_service(self, request, form):
        return record_outage(actor=actor_for(request), **self.model_fields(form))

    def update_through_service(self, request, outage, form, reason):
        update_outage(outage=outage, actor=actor_for(request), reason=reason, **self.model_fields(form))

    @admin.action(description="Mark selected outages restored now", permissions=["change"])
    def restore_now(self, request, queryset):
        selected = queryset.count()
        restored = restore_outages(outages=self.editable(request, queryset), actor=actor_for(request))
        why = "already restored, or outside your regions."
        self.report_skipped(request, selected, restored, "marked restored", why)
