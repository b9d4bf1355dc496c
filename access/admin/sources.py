"""Sources: shared by every region, so any coordinator records and corrects them."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access.models import Source
from access.services import create_source, update_source

from .forms import AuditedModelForm
from .mixins import ServiceSaveAdmin, actor_for


@admin.register(Source)
class SourceAdmin(ServiceSaveAdmin):
    form = AuditedModelForm
    list_display = ["publisher", "title", "kind", "reliability", "published_at", "link"]
    list_filter = ["kind", "reliability", "organisation"]
    search_fields = ["publisher", "title", "url"]
    date_hierarchy = "published_at"
    fields = ["publisher", "title", "url", "published_at", "kind", "reliability"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # "news.un.org/…" means https, as Django 6 will assume
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("link"))
    def link(self, source):
        if not source.url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">open</a>', source.url)

    def create_through_service(self, request, form):
        return create_source(actor=actor_for(request), **self.model_fields(form))

    def update_through_service(self, request, stored, form, reason):
        update_source(source=stored, actor=actor_for(request), reason=reason, **self.model_fields(form))
