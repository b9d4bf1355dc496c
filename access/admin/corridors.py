"""Aid corridors: route, description and the "Change corridor status" form."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access.models import AidCorridor, CorridorStatusChange
from access.services import change_corridor_status, create_corridor, update_corridor

from .display import effective_time, status_badge
from .filters import ProvinceFilter
from .forms import CorridorAddForm, CorridorForm, CorridorStatusChangeForm
from .mixins import RegionScopedAdmin, actor_for
from .status import StatusChangeToolMixin, StatusHistoryInline


class CorridorHistoryInline(StatusHistoryInline):
    model = CorridorStatusChange


@admin.register(AidCorridor)
class AidCorridorAdmin(StatusChangeToolMixin, RegionScopedAdmin):
    """A corridor is a coordinator's when its route passes through one of their regions."""

    region_lookup = "regions"
    list_display = ["name", "status_display", "route", "status_since", "last_verified_at", "confidence"]
    list_filter = ["status", "confidence", ProvinceFilter]
    search_fields = ["name", "notes", "regions__name", "^regions__pcode"]
    list_select_related = ["origin", "destination"]
    # The status is not an editable field (no delta shows it): each version shows its status and when
    # that took effect, before the history's own recorded time.
    history_list_display = ["status", "took_effect", "partner"]
    inlines = [CorridorHistoryInline]

    status_form_class = CorridorStatusChangeForm
    status_tool_label = _("Change corridor status")
    status_permission = "access.add_corridorstatuschange"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("waypoints__region")

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(CorridorAddForm._meta.fields)
        return ["status_display", *CorridorForm._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return ["status_display"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = CorridorForm if obj is not None else CorridorAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.editor = request.user
        return form

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, corridor):
        return status_badge(corridor.status, corridor.get_status_display())

    def status(self, record):
        """The history page's status column (a historical record has the model's choices)."""
        return self.status_display(record)

    @admin.display(description=_("took effect"))
    def took_effect(self, record):
        return effective_time(record.status_since)

    @admin.display(description=_("route"))
    def route(self, corridor):
        return " → ".join(f"{w.region.name} ({w.region.pcode})" for w in corridor.waypoints.all())

    def current_status_display(self, corridor):
        since = f" since {corridor.status_since:%Y-%m-%d %H:%M} UTC" if corridor.status_since else ""
        return format_html("{}{}", self.status_display(corridor), since)

    # --- writes --------------------------------------------------------------------------------
    def description_fields(self, form) -> dict:
        data = form.cleaned_data
        return {name: data[name] for name in ("name", "source", "confidence", "last_verified_at", "notes")}

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return create_corridor(
            actor=actor_for(request),
            regions=data["route"],
            status=data["initial_status"],
            reason=(data.get("status_reason") or "").strip() or "Corridor recorded",
            **self.description_fields(form),
        )

    def update_through_service(self, request, stored, form, reason):
        update_corridor(
            corridor=stored,
            actor=actor_for(request),
            reason=reason,
            regions=form.cleaned_data["route"],
            **self.description_fields(form),
        )

    def record_status_change(self, request, corridor, data):
        return change_corridor_status(corridor=corridor, actor=actor_for(request), **data)
