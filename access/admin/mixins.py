"""What every coordinators' admin shares: service saves, per-region change rights, status forms.

A coordinator sees everything but changes only what lies in their assigned regions and below
(access.policies, the rule the API applies too; its queryset form is access.selectors.coordinators).
The rule is enforced here once: per object
(`has_change_permission`, `has_delete_permission`), in the choices a form offers (and so accepts),
and in actions (which keep only the selected records the user may change). Superusers change
everything. Saves go through the services, so the admin validates and records history exactly as
the API does.
"""

from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from access.choices import AccessStatus, CorridorStatus
from access.models import AidCorridor, Region, StatusChange
from access.models.in_force import in_force_q
from access.policies import can_change_region, is_superuser
from access.selectors.coordinators import editable_region_filter, regions_editable_by
from access.selectors.regions import within_filter
from humtrack.actor import Actor

from .ending import wrap_source_widget
from .refusals import coverage_sentence, refusal_response

# Colour helps the eye; the label carries the meaning (colour is never the only cue).
BADGE_COLOURS = {
    AccessStatus.ACCESSIBLE: ("#1e7b34", "#fff"),
    AccessStatus.CONSTRAINED: ("#f2c200", "#000"),
    AccessStatus.SEVERELY_CONSTRAINED: ("#d9531e", "#fff"),
    AccessStatus.INACCESSIBLE: ("#a4001d", "#fff"),
    AccessStatus.UNKNOWN: ("#5a6268", "#fff"),
    CorridorStatus.OPEN: ("#1e7b34", "#fff"),
    CorridorStatus.RESTRICTED: ("#f2c200", "#000"),
    CorridorStatus.CLOSED: ("#a4001d", "#fff"),
}


def status_badge(value: str, label: str):
    background, colour = BADGE_COLOURS.get(value, ("#5a6268", "#fff"))
    return format_html(
        '<span class="status-badge status-{}" style="background:{};color:{};padding:2px 8px;'
        'border-radius:10px;white-space:nowrap;font-weight:600">{}</span>',
        value,
        background,
        colour,
        label,
    )


def change_badges(change) -> str:
    """ "Inaccessible → Accessible"; a first record of a region (or corridor) starts from "no record"."""
    if change.from_status:
        before = status_badge(change.from_status, change.get_from_status_display())
    else:
        before = format_html('<span class="status-none">{}</span>', gettext("no record"))
    return format_html("{} → {}", before, status_badge(change.to_status, change.get_to_status_display()))


def effective_time(moment) -> str:
    """When something took effect on the ground: the time histories show first."""
    if moment is None:
        return "—"
    return format_html(
        '<span class="effective-time" style="white-space:nowrap">{} UTC</span>', f"{moment:%Y-%m-%d %H:%M}"
    )


def recorded_time(moment, who: str = "") -> str:
    """When (and by whom) it was recorded, beside the effective time: muted, it is the lesser fact."""
    text = f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"
    if who:
        text = gettext("%(when)s by %(who)s") % {"when": text, "who": who}
    return format_html('<span class="recorded-time" style="color:var(--body-quiet-color)">{}</span>', text)


def in_force_span(start, end) -> str:
    """When a fact held on the ground: "2021-09-01 08:00 UTC → 2021-09-05 14:30 UTC" (→ … while it holds)."""
    return format_html("{} → {}", effective_time(start), effective_time(end) if end else "…")


def silent_mark(silent: bool) -> str:
    """Only a silent change is marked; a normal, alerted change shows nothing (no red cross)."""
    if not silent:
        return ""
    title = gettext("Recorded without alerting subscribers")
    return format_html(
        '<span class="silent-mark" title="{}" style="color:var(--body-quiet-color);font-style:italic">{}</span>',
        title,
        gettext("silent"),
    )


def actor_for(request) -> Actor:
    return Actor(user=request.user)


def editable_corridors(user) -> QuerySet[AidCorridor]:
    """Corridors whose route passes through a region the user covers (all of them for a superuser)."""
    corridors = AidCorridor.objects.all()
    if is_superuser(Actor(user=user)):
        return corridors
    return corridors.filter(pk__in=AidCorridor.objects.filter(editable_region_filter(user, "regions")).values("pk"))


class ServiceSaveAdmin(SimpleHistoryAdmin):
    """A model admin whose saves go through the services, with a read-only audit history.

    Subclasses implement `create_through_service(request, form)` and
    `update_through_service(request, obj, form, reason)`. On a change form the user may say why
    (the `change_reason` field of forms.AuditedModelForm); it lands in the history's reason column.
    """

    # Columns of the history page (admin methods, so they read well): who acted for which partner.
    history_list_display = ["partner"]
    object_history_list_template = "admin/access/object_history_list.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            fieldsets = [*fieldsets, (_("Why"), {"fields": ["change_reason"]})]
        return fieldsets

    def partner(self, record) -> str:
        """The partner organisation a historical record was made for (API writes), if any."""
        return str(record.history_organisation) if record.history_organisation_id else "—"

    # --- history is an audit trail: read it, never "revert" around the services -----------------
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only; change the record itself.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- saves go through the services ---------------------------------------------------------
    def model_fields(self, form) -> dict:
        """The form's cleaned values for the model's own (non many-to-many) fields."""
        names = {f.name for f in self.model._meta.concrete_fields}
        return {name: value for name, value in form.cleaned_data.items() if name in names}

    def save_model(self, request, obj, form, change):
        if change:
            reason = (form.cleaned_data.get("change_reason") or "").strip() or "Changed in the admin"
            self.update_through_service(request, obj, form, reason)
            return
        created = self.create_through_service(request, form)
        # The admin goes on with the instance it built (for the log and the redirect).
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields were set by the service; only inline formsets are left to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def create_through_service(self, request, form):
        raise NotImplementedError

    def update_through_service(self, request, obj, form, reason: str):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        service_error = getattr(request, "_humtrack_service_error", None)
        if service_error is not None:
            form = type(form.__name__, (form,), {"service_error": service_error})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form validates with the model's rules first; this is the net for a rule only a
        # service knows. The transaction has rolled back, so nothing is saved; the form is shown
        # again with the service's message (AuditedModelForm.service_error), the user's input kept.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or getattr(request, "_humtrack_service_error", None) is not None:
                raise
            request._humtrack_service_error = error
            return super().changeform_view(request, object_id, form_url, extra_context)


class RegionScopedAdmin(ServiceSaveAdmin):
    """A model admin whose records belong to a region: changed only by that region's coordinators.

    `region_lookup` is the path from the model to its Region ("region" for facts, "" for Region,
    "regions" for a corridor's route).
    """

    region_lookup = "region"

    def editable(self, request, queryset: QuerySet) -> QuerySet:
        """The part of `queryset` the user may change (the queryset form of access.policies.can_change_region)."""
        if is_superuser(actor_for(request)):
            return queryset
        allowed = self.model._default_manager.filter(editable_region_filter(request.user, self.region_lookup))
        return queryset.filter(pk__in=allowed.values("pk"))

    def is_editable(self, request, obj) -> bool:
        if is_superuser(actor_for(request)):
            return True
        if isinstance(obj, Region):
            return can_change_region(actor_for(request), obj)
        # The admin asks several times per page: one query per record and request.
        cache = request.__dict__.setdefault("_humtrack_editable", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            cache[key] = self.editable(request, self.model._default_manager.filter(pk=obj.pk)).exists()
        return cache[key]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or obj.pk is None:
            return allowed
        return self.is_editable(request, obj)

    # --- refusals that say why -----------------------------------------------------------------
    def regions_of(self, obj) -> list[Region]:
        """The regions a record belongs to (a corridor: its route)."""
        if self.region_lookup == "":
            return [obj]
        if self.region_lookup == "regions":
            return list(obj.regions.order_by("path"))
        return [getattr(obj, self.region_lookup)]

    def regions_outside(self, request, obj) -> list[Region]:
        """The record's regions the user may not change (access.policies.can_change_region)."""
        actor = actor_for(request)
        return [region for region in self.regions_of(obj) if not can_change_region(actor, region)]

    def refusal(self, request, obj, what: str):
        """A 403 page naming the regions the user covers and the record's regions outside them."""
        outside = self.regions_outside(request, obj)
        back_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        return refusal_response(request, outside=outside, what=what, admin_site=self.admin_site, back_url=back_url)

    def refused_change(self, request, object_id, view, *args):
        """Run an admin view; a refusal for a record outside the user's regions says why."""
        try:
            return view(request, object_id, *args)
        except PermissionDenied:
            obj = self.get_object(request, unquote(object_id)) if object_id else None
            # Only a record outside the user's regions is refused for that reason; a missing permission
            # (coordinators never delete) stays Django's own refusal.
            if obj is None or is_superuser(actor_for(request)) or self.is_editable(request, obj):
                raise
            return self.refusal(request, obj, gettext("%(record)s is not yours to change.") % {"record": obj})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self.refused_change(request, object_id, super().changeform_view, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self.refused_change(request, object_id, super().delete_view, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A record outside the user's regions opens read-only; say why rather than leave them guessing.
        if request.method == "GET" and not is_superuser(actor_for(request)) and super().has_change_permission(request):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and not self.is_editable(request, obj):
                outside = self.regions_outside(request, obj)
                read_only = gettext("Read-only for you.")
                self.message_user(request, f"{read_only} {coverage_sentence(request.user, outside)}", messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None or obj.pk is None:
            return allowed
        return self.is_editable(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the regions (and corridors) a coordinator covers are offered, and so accepted: a
        # crafted POST naming another region fails the form's validation.
        if not is_superuser(actor_for(request)):
            choose = gettext("Choose one of your regions.")
            if db_field.related_model is Region:
                kwargs["queryset"] = regions_editable_by(request.user)
                kwargs["error_messages"] = {"invalid_choice": f"{coverage_sentence(request.user)} {choose}"}
            elif db_field.related_model is AidCorridor:
                kwargs["queryset"] = editable_corridors(request.user)
                choose = gettext("Choose a corridor through one of your regions.")
                kwargs["error_messages"] = {"invalid_choice": f"{coverage_sentence(request.user)} {choose}"}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SourcedFactColumns:
    """List columns every sourced fact shares."""

    @admin.display(description=_("source"), ordering="source__publisher")
    def source_label(self, fact):
        # The full citation is long; the list shows its start, the record its whole.
        return Truncator(str(fact.source)).chars(60)


class StatusChangeToolMixin:
    """An object tool "Change … status": a dedicated form that calls the status service.

    The status itself is never an editable field; this view is the admin's only way to change it.
    Subclasses set `status_form_class`, `status_tool_label`, `status_permission` and implement
    `record_status_change(request, obj, data)` (returns the change, or None for a no-op).
    """

    status_form_class = None
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


class ProvinceFilter(SimpleListFilter):
    """Records in a province (itself or its districts), for any admin with a `region_lookup`."""

    title = _("province")
    parameter_name = "province"

    def __init__(self, request, params, model, model_admin):
        self.region_lookup = getattr(model_admin, "region_lookup", "region")
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        provinces = Region.objects.filter(admin_level=Region.Level.PROVINCE).order_by("name")
        return [(p.pcode, str(p)) for p in provinces]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # Through a many-to-many (a corridor's route) the join repeats rows: filter by ids instead.
        within = queryset.model._default_manager.filter(within_filter(self.value(), self.region_lookup))
        return queryset.filter(pk__in=within.values("pk"))


class OpenFilter(SimpleListFilter):
    """In force now or not, by the rule `is_active` and the API's `active` follow (access.models.in_force):
    an end announced for later is still in force, a start announced for later is not yet. Subclasses
    name the start and end fields."""

    start_field = ""
    end_field = ""
    labels = (_("Active"), _("Not in force"))

    def lookups(self, request, model_admin):
        return [("yes", self.labels[0]), ("no", self.labels[1])]

    def queryset(self, request, queryset):
        in_force_now = in_force_q(self.start_field, self.end_field, timezone.now())
        if self.value() == "yes":
            return queryset.filter(in_force_now)
        if self.value() == "no":
            return queryset.exclude(in_force_now)
        return queryset
