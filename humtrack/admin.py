"""Partner organisations and their API tokens (a token's key is shown once, when it is created), and
the admin bases the apps share: read-only ones for records written only by their services.

Organisations and tokens grant rights, so the admin changes them only through humtrack.tokens
(audited, like every record) and shows their history.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from humtrack import tokens
from humtrack.actor import Actor
from humtrack.models import ApiToken, Organisation, TokenScope


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: listed and read here, written only by their service."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Shown on a parent record's page (a region's, a corridor's), changed elsewhere (its own form or admin)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def change_reason(form) -> str:
    return "Changed in the admin: " + ", ".join(form.changed_data) if form.changed_data else "Saved in the admin"


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    can_delete = False
    fields = readonly_fields = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class AuditedAdmin(SimpleHistoryAdmin):
    """History pages are an audit trail: read them, never revert around the services."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(_("History is read-only; change the record itself."))
        return super().history_form_view(request, object_id, version_id, extra_context)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [ApiTokenInline]

    def save_model(self, request, obj, form, change):
        actor = Actor(user=request.user)
        if change:
            tokens.update_organisation(organisation=obj, actor=actor, reason=change_reason(form))
        else:
            created = tokens.create_organisation(name=obj.name, actor=actor, reason="Created in the admin")
            obj.pk = created.pk  # the admin goes on with the instance it built (for the log and the redirect)
            obj.refresh_from_db()

    def delete_model(self, request, obj):
        tokens.delete_organisation(organisation=obj, actor=Actor(user=request.user), reason="Deleted in the admin")


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Read: the API's GET endpoints. Write: record facts. Alerts: manage alert subscriptions."),
    )

    class Meta:
        model = ApiToken
        fields = ["organisation", "name", "scopes", "revoked_at"]


class RevokedFilter(admin.SimpleListFilter):
    title = _("revoked")
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return [("no", _("In use")), ("yes", _("Revoked"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(revoked_at__isnull=self.value() == "no")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Only the key's hash is stored: the key is shown once, on the page that follows "Save"."""

    form = ApiTokenForm
    list_display = ["prefix_display", "organisation", "name", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = [RevokedFilter, "organisation"]
    search_fields = ["name", "prefix", "organisation__name"]
    list_select_related = ["organisation"]
    readonly_fields = ["prefix_display", "created_at", "last_used_at"]
    actions = ["revoke_now"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name", "scopes"]
        return ["organisation", "prefix_display", "name", "scopes", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        # A token stays with the organisation it was issued to.
        return [*self.readonly_fields, "organisation"] if obj is not None else self.readonly_fields

    @admin.display(description=_("key"), ordering="prefix")
    def prefix_display(self, token):
        return f"{token.prefix}…" if token.prefix else "—"

    def save_model(self, request, obj, form, change):
        actor = Actor(user=request.user)
        if change:
            tokens.update_token(token=obj, actor=actor, reason=change_reason(form))
            return
        token, key = tokens.issue_token(
            organisation=obj.organisation, name=obj.name, scopes=obj.scopes, actor=actor, reason="Issued in the admin"
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        obj.new_key = key  # for response_add only; never stored

    def delete_model(self, request, obj):
        tokens.delete_token(token=obj, actor=Actor(user=request.user), reason="Deleted in the admin")

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "title": _("API token created"),
            "opts": self.opts,
            "token": obj,
            "key": obj.new_key,
        }
        response = TemplateResponse(request, "admin/humtrack/apitoken/key_created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Revoke selected tokens now"), permissions=["change"])
    def revoke_now(self, request, queryset):
        revoked = tokens.revoke_tokens(queryset, actor=Actor(user=request.user), reason="Revoked in the admin")
        message = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked) % {"count": revoked}
        self.message_user(request, message, level=messages.SUCCESS)
