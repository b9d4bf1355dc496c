"""Statuses in the admin, for regions and corridors alike: the "Change … status" tool (the admin's only
way to change one), a record's status history, and the list of every region's status changes."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.models import CorridorStatusChange, StatusChange
from access.models.changes import RecordedChange
from humtrack.admin import ReadOnlyAdmin, ReadOnlyInline

from .display import SourcedFactColumns, change_badges, effective_time, recorded_time, silent_mark, status_badge
from .ending import wrap_source_widget
from .filters import ProvinceFilter

if TYPE_CHECKING:
    # The mixin is only ever mixed into a ModelAdmin; the type checker is told so, the runtime is not.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class ChangeColumns:
    """The columns of a status change: when it took effect, what changed, when and by whom (for which
    partner organisation) it was recorded, and whether it was silent."""

    @admin.display(description=_("took effect"), ordering="effective_at")
    def took_effect(self, change: RecordedChange) -> str:
        return effective_time(change.effective_at)

    @admin.display(description=_("change"))
    def change(self, change: StatusChange | CorridorStatusChange) -> str:
        return change_badges(change)

    @admin.display(description=_("recorded"), ordering="recorded_at")
    def recorded(self, change: RecordedChange) -> str:
        return recorded_time(change.recorded_at, change.recorded_by_label)

    @admin.display(description=_("silent"), ordering="silent")
    def silent_change(self, change: RecordedChange) -> str:
        return silent_mark(change.silent)


class StatusHistoryInline(ChangeColumns, ReadOnlyInline):
    """A record's status changes, latest effective first: append-only, never edited here. Subclasses
    name the change model (a region's StatusChange, a corridor's CorridorStatusChange)."""

    verbose_name = _("status change")
    verbose_name_plural = _("Status history")
    fields = readonly_fields = ("took_effect", "change", "reason", "source", "confidence", "recorded", "silent_change")
    ordering = ["-effective_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "recorded_by", "organisation")


class StatusChangeToolMixin(_AdminBase):
    """An object tool "Change … status": a dedicated form that calls the status service.

    The status itself is never an editable field; this view is the admin's only way to change it.
    Subclasses set `status_form_class`, `status_tool_label`, `status_permission` and implement
    `record_status_change(request, obj, data)` (returns the change, or None for a no-op).
    """

    status_form_class: type[forms.Form] | None = None
    status_tool_label = _("Change status")
    status_permission = ""
    change_form_template = "admin/access/change_form_with_status_tool.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/change-status/",
                self.admin_site.admin_view(self.change_status_view),
                name="{}_{}_change_status".format(*info),
            ),
            *super().get_urls(),
        ]

    def can_change_status(self, request, obj) -> bool:
        return request.user.has_perm(self.status_permission) and self.has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "status_tool_label": self.status_tool_label,
            "can_change_status": obj is not None and self.can_change_status(request, obj),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def record_status_change(self, request, obj, data: dict):
        raise NotImplementedError

    def current_status_display(self, obj) -> str:
        return status_badge(obj.status, obj.get_status_display())

    def change_status_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.can_change_status(request, obj):
            if not request.user.has_perm(self.status_permission):
                what = gettext("Only coordinators change a status.")
            else:
                what = gettext("You cannot change the status of %(record)s.") % {"record": obj}
            return self.refusal(request, obj, what)
        form = self.status_form_class(request.POST if request.method == "POST" else None)
        wrap_source_widget(form, request, self.admin_site, StatusChange)
        if request.method == "POST" and form.is_valid():
            try:
                change = self.record_status_change(request, obj, form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if change is None:
                    self.message_user(
                        request,
                        gettext("%(record)s already had that status then: nothing recorded.") % {"record": obj},
                        level=messages.WARNING,
                    )
                else:
                    self.message_user(request, gettext("Recorded: %(change)s.") % {"change": change}, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{self.status_tool_label}: {obj}",
            "subtitle": None,
            "form": form,
            "object": obj,
            "current_status": self.current_status_display(obj),
            "opts": self.opts,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/access/change_status.html", context)


@admin.register(StatusChange)
class StatusChangeAdmin(ChangeColumns, SourcedFactColumns, ReadOnlyAdmin):
    """Every region's status changes, newest first: what changed where, who said so, how sure."""

    region_lookup = "region"
    list_display = [
        "took_effect",
        "region_link",
        "change",
        "confidence",
        "source_label",
        "recorded",
        "silent_change",
    ]
    list_filter = ["to_status", "confidence", "silent", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "reason"]
    date_hierarchy = "effective_at"
    list_select_related = ["region", "source", "recorded_by", "organisation"]

    @admin.display(description=_("region"), ordering="region__path")
    def region_link(self, change: StatusChange) -> str:
        url = reverse("admin:access_region_change", args=[change.region_id])
        return format_html('<a href="{}">{}</a>', url, change.region)
