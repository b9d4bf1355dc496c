"""Webhook endpoints and their deliveries in the admin: superusers only (access.policies).

An endpoint's secret is shown once, on the page that follows "Save" (as an API token's key is), and
again only when it is rotated; never on its page or in its history. Every change goes through
access.alerts.webhooks.endpoints; deliveries are the pipeline's record, read-only here, with one action,
"redeliver", through the same service. Registered by access/admin/__init__.py.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.admin.mixins import actor_for
from access.models import WebhookDelivery, WebhookEndpoint
from access.policies import can_manage_webhook_endpoint, is_superuser
from humtrack.actor import Actor
from humtrack.admin import AuditedAdmin, ReadOnlyAdmin, change_reason

from . import endpoints
from .choices import WebhookEventType

BACKFILL_WINDOW = timedelta(hours=24)
SECRETS_TEMPLATE = "admin/access/webhookendpoint/secrets_shown.html"


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", label=_("URL"))
    event_types = forms.MultipleChoiceField(
        choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple, label=_("event types")
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["organisation", "url", "description", "event_types", "active"]

    # The services' rules, checked here too so that a refusal is the field's error on the form.
    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if self.instance.pk is not None and url == self.instance.url:
            return url
        try:
            return endpoints.checked_url(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from exc

    def clean_event_types(self) -> list[str]:
        try:
            return endpoints.checked_event_types(self.cleaned_data["event_types"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["event_types"]) from exc


def superuser_only(request) -> bool:
    return is_superuser(Actor(user=request.user))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "organisation", "active", "followed", "failing_since", "disabled_at", "updated_at"]
    list_filter = ["active", "organisation"]
    search_fields = ["url", "description", "organisation__name"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "disabled_at", "disabled_reason", "failing_since", "previous_secret_expires_at", "created_by", "created_at",
        "updated_at",
    ]  # fmt: skip
    actions = ["rotate_secrets", "enable_selected", "disable_selected", "backfill_last_day"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "url", "description", "event_types"]
        return ["organisation", "url", "description", "event_types", "active", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # An endpoint stays with the organisation it was registered for.
        return [*self.readonly_fields, "organisation"] if obj is not None else []

    def has_module_permission(self, request):
        return superuser_only(request)

    def has_view_permission(self, request, obj=None):
        return superuser_only(request) and (obj is None or can_manage_webhook_endpoint(actor_for(request), obj))

    def has_add_permission(self, request):
        return superuser_only(request)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @admin.display(description=_("event types"))
    def followed(self, endpoint):
        return ", ".join(endpoint.event_types)

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        if change:
            stored = WebhookEndpoint.objects.get(pk=obj.pk)
            data = {name: form.cleaned_data[name] for name in ("url", "description", "event_types", "active")}
            endpoints.update_endpoint(endpoint=stored, actor=actor, reason=change_reason(form), **data)
            obj.refresh_from_db()
            return
        endpoint, secret = endpoints.register_endpoint(
            organisation=form.cleaned_data["organisation"],
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["event_types"],
            description=form.cleaned_data["description"],
            actor=actor,
        )
        obj.pk = endpoint.pk
        obj.refresh_from_db()
        obj.new_secret = secret  # for response_add only

    def get_deleted_objects(self, objs, request):
        # Deleting an endpoint deletes its delivery log (delete_endpoint), which is read-only on its own.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(str(WebhookDelivery._meta.verbose_name))
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        endpoints.delete_endpoint(endpoint=obj, actor=actor_for(request), reason="Deleted in the admin")

    def response_add(self, request, obj, post_url_continue=None):
        return self.secrets_page(request, gettext("Webhook endpoint registered"), [(obj, obj.new_secret)])

    def secrets_page(self, request, title: str, shown: list) -> TemplateResponse:
        """The secrets just made, this once: never cached, never put in a message (messages go in a cookie)."""
        context = {**self.admin_site.each_context(request), "title": title, "opts": self.opts, "shown": shown}
        response = TemplateResponse(request, SECRETS_TEMPLATE, context)
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Rotate the signing secret (the old one signs too for 24 hours)"))
    def rotate_secrets(self, request, queryset):
        actor = actor_for(request)
        shown = [(endpoint, endpoints.rotate_secret(endpoint=endpoint, actor=actor)) for endpoint in queryset]
        return self.secrets_page(request, gettext("Signing secrets rotated"), shown)

    @admin.action(description=_("Enable (send what they missed)"))
    def enable_selected(self, request, queryset):
        for endpoint in queryset:
            endpoints.enable_endpoint(endpoint=endpoint, actor=actor_for(request))
        self.message_user(request, gettext("%(count)d endpoint(s) enabled.") % {"count": len(queryset)})

    @admin.action(description=_("Disable (hold their deliveries)"))
    def disable_selected(self, request, queryset):
        reason = gettext("Disabled in the admin by %(user)s.") % {"user": request.user.get_username()}
        for endpoint in queryset:
            endpoints.disable_endpoint(endpoint=endpoint, actor=actor_for(request), reason=reason)
        self.message_user(request, gettext("%(count)d endpoint(s) disabled.") % {"count": len(queryset)})

    @admin.action(description=_("Send again every event of the last 24 hours"))
    def backfill_last_day(self, request, queryset):
        since = timezone.now() - BACKFILL_WINDOW
        count = sum(
            endpoints.backfill(endpoint=endpoint, since=since, actor=actor_for(request)) for endpoint in queryset
        )
        self.message_user(request, gettext("%(count)d deliveries due again.") % {"count": count}, messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "endpoint", "event_type", "status", "attempts", "last_response_code", "error"]
    list_filter = ["status", "endpoint__organisation", "event__event_type"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["endpoint__organisation", "event"]
    fields = readonly_fields = (
        "message_id", "endpoint", "event", "status", "attempts", "next_attempt_at", "last_attempt_at",
        "last_response_code", "last_duration_ms", "last_error", "delivered_at", "created_at", "updated_at",
    )  # fmt: skip
    actions = ["redeliver_selected"]

    def has_module_permission(self, request):
        return superuser_only(request)

    def has_view_permission(self, request, obj=None):
        return superuser_only(request)

    @admin.display(description=_("event"), ordering="event__event_type")
    def event_type(self, delivery):
        return delivery.event.event_type

    @admin.display(description=_("last error"))
    def error(self, delivery):
        return Truncator(delivery.last_error).chars(80)

    @admin.action(description=_("Redeliver (the same webhook-id)"))
    def redeliver_selected(self, request, queryset):
        for delivery in queryset:
            endpoints.redeliver(delivery=delivery, actor=actor_for(request))
        self.message_user(request, gettext("%(count)d deliveries due again.") % {"count": len(queryset)})
