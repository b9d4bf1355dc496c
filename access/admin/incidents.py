"""The incident log in the admin: recorded and changed through access.services.incidents, by coordinators in
their regions, and uploaded in bulk from a partner's monthly CSV export (all or nothing, errors by row).

A coordinator sees every incident, but the description and point of one whose `sensitivity` they may not
read (a restricted incident of another province) are left off its page, its history and the search
(access.policies.can_read_incident_details).
"""

import csv
import io
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import TruncMonth
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from access.models import Incident
from access.policies import can_read_incident_details
from access.selectors.incidents import details_visible_filter, incidents_in_month
from access.services.incidents import (
    IMPORT_COLUMNS,
    IncidentImportError,
    import_incidents,
    record_incident,
    update_incident,
)

from .display import SourcedFactColumns
from .filters import ProvinceFilter
from .forms import AuditedModelForm
from .mixins import RegionScopedAdmin, actor_for

DETAILS = ("description", "latitude", "longitude")
# An upload is a month's export, not a database dump: a bound keeps one request short.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class MonthFilter(admin.SimpleListFilter):
    """Incidents under way in a month (access.selectors.incidents.incidents_in_month), the latest first."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        # The months incidents began or ended in (a span's middle months are rare; ?month= takes any).
        months: set = set()
        for field in ("occurred_at", "occurred_until"):
            starts = Incident.objects.filter(**{f"{field}__isnull": False}).annotate(month=TruncMonth(field))
            months.update(starts.values_list("month", flat=True).distinct())
        latest = sorted(months, reverse=True)[:36]
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in latest]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            month = datetime.strptime(self.value(), "%Y-%m").date()
        except ValueError:
            return queryset.none()  # a hand-edited address: no month, no incidents
        return queryset.filter(pk__in=incidents_in_month(month).values("pk"))


class IncidentUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, with a header row naming the columns."))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_("Optional, e.g. “Monthly incident export, September 2021”; kept in each incident's history."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; upload it in parts."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("The file is not UTF-8 text; save it as “CSV UTF-8”.")) from error
        reader = csv.DictReader(io.StringIO(text))
        rows = [row for row in reader if any((cell or "").strip() for cell in row.values() if isinstance(cell, str))]
        if rows and all((cell or "").startswith("#") for cell in rows[0].values() if isinstance(cell, str)):
            rows = rows[1:]  # an HXL hashtag row under the header
        if not rows:
            raise forms.ValidationError(_("The file has no rows under its header."))
        if any(None in row for row in rows):
            raise forms.ValidationError(_("A row has more cells than the header has columns."))
        return rows


@admin.register(Incident)
class IncidentAdmin(SourcedFactColumns, RegionScopedAdmin):
    form = AuditedModelForm
    change_list_template = "admin/access/incident/change_list.html"
    list_display = [
        "__str__", "occurred_at", "category", "perpetrator_type", "sensitivity", "confidence", "source_label",
    ]  # fmt: skip
    list_filter = [
        MonthFilter, "category", "incident_type", "sensitivity", "confidence", "perpetrator_type", ProvinceFilter,
    ]  # fmt: skip
    # The description is searched too, but only where the user may read it (get_search_results).
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "source__title"]
    list_select_related = ["region", "source"]
    fields = [
        "region",
        "occurred_at",
        "occurred_until",
        "reported_at",
        "category",
        "incident_type",
        "perpetrator_type",
        "activities_suspended",
        "people_unable_to_receive_aid",
        "aid_workers_affected",
        "affected_groups",
        "description",
        "latitude",
        "longitude",
        "sensitivity",
        "restriction",
        "corridor",
        "outage",
        "source",
        "confidence",
    ]
    raw_id_fields = ["restriction", "outage"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "affected_groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("affected_groups")

    # --- the details a reader may not read stay off every page --------------------------------------
    def details_readable(self, request, obj) -> bool:
        return obj is None or can_read_incident_details(actor_for(request), obj)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.details_readable(request, obj):
            return fields
        return [name for name in fields if name not in DETAILS]

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            readable = Q(description__icontains=search_term.strip()) & details_visible_filter(actor_for(request))
            results = results | queryset.filter(readable)
        return results, may_have_duplicates

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version shows every field as it was: only to a reader of the incident's details now.
        incident = self.get_object(request, object_id)
        if incident is not None and not self.details_readable(request, incident):
            raise PermissionDenied(gettext("You may not read this incident's details (its sensitivity)."))
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- saves go through the services ---------------------------------------------------------------
    def incident_fields(self, form) -> tuple[list[str], dict]:
        groups = [group.code for group in form.cleaned_data.get("affected_groups") or []]
        return groups, self.model_fields(form)

    def create_through_service(self, request, form):
        groups, fields = self.incident_fields(form)
        return record_incident(actor=actor_for(request), affected_groups=groups, **fields)

    def update_through_service(self, request, stored, form, reason):
        groups, fields = self.incident_fields(form)
        update_incident(incident=stored, actor=actor_for(request), reason=reason, affected_groups=groups, **fields)

    # --- the CSV upload ------------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="{}_{}_upload".format(*info))
        return [upload, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self.has_add_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IncidentUploadForm(request.POST or None, request.FILES or None)
        row_errors: list[tuple[int, str, str]] = []
        if request.method == "POST" and form.is_valid():
            try:
                recorded = import_incidents(
                    rows=form.cleaned_data["file"],
                    actor=actor_for(request),
                    reason=form.cleaned_data["reason"].strip() or "Incident upload in the admin",
                    first_row=2,  # the header is the file's first row
                )
            except IncidentImportError as error:
                row_errors = [
                    (number, column, message)
                    for number, columns in sorted(error.rows.items())
                    for column, column_messages in columns.items()
                    for message in column_messages
                ]
            else:
                done = ngettext("%(count)d incident recorded.", "%(count)d incidents recorded.", len(recorded))
                self.message_user(request, done % {"count": len(recorded)}, messages.SUCCESS)
                return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Upload incidents from a CSV file"),
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "row_errors": row_errors,
            "columns": IMPORT_COLUMNS,
        }
        return TemplateResponse(request, "admin/access/incident/upload.html", context)
