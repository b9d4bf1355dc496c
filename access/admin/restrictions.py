"""Access restrictions: recorded, changed and ended through the restriction services."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from access.models import AccessRestriction
from access.services import end_restrictions, record_restriction, update_restriction

from .display import SourcedFactColumns, in_force_span
from .ending import EndFactsActionMixin
from .filters import InForceFilter, ProvinceFilter
from .forms import AuditedModelForm, RestrictionEndForm
from .mixins import RegionScopedAdmin, actor_for


class ActiveRestrictionFilter(InForceFilter):
    title = _("in force")
    parameter_name = "active"
    labels = (_("In force now"), _("Not in force (ended or not yet started)"))


@admin.register(AccessRestriction)
class AccessRestrictionAdmin(EndFactsActionMixin, SourcedFactColumns, RegionScopedAdmin):
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
    # Each version shows when the fact held on the ground first; the history's own time is when it was recorded.
    history_list_display = ["in_force", "partner"]
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
    actions = ["end_selected"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "affected_groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("affected_groups")

    @admin.display(description=_("affects"))
    def affects(self, restriction):
        return ", ".join(str(group) for group in restriction.affected_groups.all())

    def restriction_fields(self, form) -> tuple[list[str], dict]:
        groups = [group.code for group in form.cleaned_data["affected_groups"]]
        return groups, self.model_fields(form)

    @admin.display(description=_("in force (took effect → ended)"))
    def in_force(self, record):
        return in_force_span(record.starts_at, record.ends_at)

    def create_through_service(self, request, form):
        groups, fields = self.restriction_fields(form)
        return record_restriction(actor=actor_for(request), affected_groups=groups, **fields)

    def update_through_service(self, request, stored, form, reason):
        groups, fields = self.restriction_fields(form)
        update_restriction(
            restriction=stored, actor=actor_for(request), reason=reason, affected_groups=groups, **fields
        )

    end_form_class = RestrictionEndForm
    end_title = _("End the selected restrictions")
    end_submit_label = _("End them")
    end_done_verb = _("ended")

    def end_records(self, request, restrictions, data) -> int:
        return end_restrictions(restrictions=restrictions, actor=actor_for(request), **data)

    @admin.action(description=_("End selected restrictions…"), permissions=["change"])
    def end_selected(self, request, queryset):
        return self.end_with_form(request, queryset)
