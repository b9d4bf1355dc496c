"""The bases every coordinators' admin builds on: saves through the services, per-region change rights.

A coordinator sees everything but changes only what lies in their assigned regions and below
(access.policies, the rule the API applies too; its queryset form is access.selectors.coordinators).
The rule is enforced here once: per object
(`has_change_permission`, `has_delete_permission`), in the choices a form offers (and so accepts),
and in actions (which keep only the selected records the user may change). Superusers change
everything. Saves go through the services, so the admin validates and records history exactly as
the API does.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.models import AidCorridor, Region
from access.policies import can_change_region, is_superuser
from access.selectors.coordinators import editable_region_filter, regions_editable_by
from humtrack.actor import Actor
from humtrack.admin import AuditedAdmin

from .refusals import coverage_sentence, refusal_response


def actor_for(request) -> Actor:
    return Actor(user=request.user)


def editable_corridors(user) -> QuerySet[AidCorridor]:
    """Corridors whose route passes through a region the user covers (all of them for a superuser)."""
    corridors = AidCorridor.objects.all()
    if is_superuser(Actor(user=user)):
        return corridors
    return corridors.filter(pk__in=AidCorridor.objects.filter(editable_region_filter(user, "regions")).values("pk"))


class ServiceSaveAdmin(AuditedAdmin):
    """A model admin whose saves go through the services, with a read-only audit history (AuditedAdmin).

    Subclasses implement `create_through_service(request, form)` and
    `update_through_service(request, stored, form, reason)`, where `stored` is the record as the
    database holds it and the form's values are in `form.cleaned_data` (`form.instance` holds them
    applied). On a change form the user may say why (the `change_reason` field of
    forms.AuditedModelForm); it lands in the history's reason column.
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

    # --- saves go through the services ---------------------------------------------------------
    def model_fields(self, form) -> dict:
        """The form's cleaned values for the model's own (non many-to-many) fields."""
        names = {f.name for f in self.model._meta.concrete_fields}
        return {name: value for name, value in form.cleaned_data.items() if name in names}

    def save_model(self, request, obj, form, change):
        if change:
            reason = (form.cleaned_data.get("change_reason") or "").strip() or "Changed in the admin"
            # The form has already put its values on `obj`: an update service compares what it is given
            # with the record as stored (humtrack.services.model_update), so it gets that.
            stored = self.model._default_manager.get(pk=obj.pk)
            self.update_through_service(request, stored, form, reason)
            obj.refresh_from_db()
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

    def update_through_service(self, request, stored, form, reason: str):
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
