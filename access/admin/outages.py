"""Utility outages: recorded, changed and marked restored through the outage services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from access.models import UtilityOutage
from access.services import record_outage, restore_outages, update_outage

from .ending import EndFactsActionMixin
from .forms import AuditedModelForm, OutageRestoreForm
from .mixins import OpenFilter, ProvinceFilter, RegionScopedAdmin, SourcedFactColumns, actor_for, in_force_span


class OpenOutageFilter(OpenFilter):
    title = _("restored")
    parameter_name = "open"
    start_field, end_field = "started_at", "restored_at"
    labels = (_("Out now"), _("Not out now (restored or not yet started)"))


@admin.register(UtilityOutage)
class UtilityOutageAdmin(EndFactsActionMixin, SourcedFactColumns, RegionScopedAdmin):
    start_field, end_field = "started_at", "restored_at"
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

    def update_through_service(self, request, outage, form, reason):
        update_outage(outage=outage, actor=actor_for(request), reason=reason, **self.model_fields(form))

    @admin.action(description=_("Mark selected outages restored…"), permissions=["change"])
    def restore_selected(self, request, queryset):
        def restore(outages, data):
            return restore_outages(
                outages=outages,
                actor=actor_for(request),
                restored_at=data["restored_at"],
                reason=data["reason"],
                source=data["source"],
            )

        return self.end_with_form(
            request,
            queryset,
            form_class=OutageRestoreForm,
            end=restore,
            title=_("Mark the selected outages restored"),
            submit_label=_("Mark them restored"),
            done_verb=_("marked restored"),
        )
