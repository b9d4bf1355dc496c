"""Access restrictions: recorded, changed and ended through the restriction services."""

from django import forms
from django.contrib import admin

from access.models import AccessRestriction
from access.services import end_restrictions, record_restriction, update_restriction

from .forms import AuditedModelForm
from .mixins import OpenFilter, ProvinceFilter, RegionScopedAdmin, SourcedFactColumns, actor_for


class ActiveRestrictionFilter(OpenFilter):
    title = "in force"
    parameter_name = "active"
    end_field = "ends_at"
    labels = ("Active (no end)", "Ended")


@admin.register(AccessRestriction)
class AccessRestrictionAdmin(SourcedFactColumns, RegionScopedAdmin):
    form = AuditedModelForm
    list_display = ["__str__", "severity", "affects", "starts_at", "ends_at", "confidence", "source_label"]
    list_filter = [
        ActiveRestrictionFilter,
        "category",
        "severity",
        "confidence",
        "affected_groups",
        ProvinceFilter,
    ]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "description", "imposed_by"]
    list_select_related = ["region", "source"]
    date_hierarchy = "starts_at"
    fields = [
        "region",
        "corridor",
        "category",
        "severity",
        "affected_groups",
        "description",
        "imposed_by",
        "starts_at",
        "ends_at",
        "source",
        "confidence",
    ]
    actions = ["end_now"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "affected_groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("affected_groups")

    @admin.display(description="affects")
    def affects(self, restriction):
        return ", ".join(str(group) for group in restriction.affected_groups.all())

    def restriction_fields(self, form) -> tuple[list[str], dict]:
        groups = [group.code for group in form.cleaned_data["affected_groups"]]
        return groups, self.model_fields(form)

    def create_through_service(self, request, form):
        groups, fields = self.restriction_fields(form)
        return record_restriction(actor=actor_for(request), affected_groups=groups, **fields)

    def update_through_service(self, request, restriction, form, reason):
        groups, fields = self.restriction_fields(form)
        update_restriction(
            restriction=restriction, actor=actor_for(request), reason=reason, affected_groups=groups, **fields
        )

    @admin.action(description="End selected restrictions now", permissions=["change"])
    def end_now(self, request, queryset):
        selected = queryset.count()
        ended = end_restrictions(restrictions=self.editable(request, queryset), actor=actor_for(request))
        self.report_skipped(request, selected, ended, "ended", "already ended, or outside your regions.")
