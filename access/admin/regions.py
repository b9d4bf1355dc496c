"""Regions: the list coordinators start from, the region page, and the "Change access status" form."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus, StatusBasis
from access.models import AccessRestriction, CoordinatorAssignment, Region, StatusChange, UtilityOutage
from access.policies import can_restructure_regions
from access.selectors.facts import outages_in_force_at, restrictions_in_force_at
from access.selectors.regions import fresh_regions, regions_with_summary, stale_regions
from access.selectors.status import attach_effective_status, effective_status_of, with_effective_status
from access.services import change_access_status, save_region
from access.services.coordinators import assign_coordinator, unassign_coordinator, update_coordinator_assignment
from humtrack.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline

from .forms import AuditedModelForm, RegionStatusChangeForm
from .mixins import (
    ProvinceFilter,
    RegionScopedAdmin,
    SourcedFactColumns,
    StatusChangeToolMixin,
    actor_for,
    change_badges,
    effective_time,
    recorded_time,
    silent_mark,
    status_badge,
)


def grouped(number) -> str:
    """A count or population with the reader's thousands separators (173,000)."""
    return "—" if number is None else number_format(number, force_grouping=True)


class EffectiveStatusFilter(admin.SimpleListFilter):
    """The status a region is in: its own record, else inherited from its nearest recorded ancestor."""

    title = _("effective status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*AccessStatus.choices, ("none", _("No information recorded"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(effective_status__isnull=True)
        if self.value() in AccessStatus.values:
            return queryset.filter(effective_status=self.value())
        return queryset


class StatusBasisFilter(admin.SimpleListFilter):
    title = _("status basis")
    parameter_name = "basis"

    def lookups(self, request, model_admin):
        return StatusBasis.choices

    def queryset(self, request, queryset):
        if self.value() == StatusBasis.RECORDED:
            return queryset.filter(current_status_change__isnull=False)
        if self.value() == StatusBasis.INHERITED:
            return queryset.filter(current_status_change__isnull=True, effective_change_id__isnull=False)
        if self.value() == StatusBasis.NONE:
            return queryset.filter(effective_change_id__isnull=True)
        return queryset


class EffectiveStatusChangeList(ChangeList):
    """The regions list: each row on the page gets its effective status in one query for the page."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = attach_effective_status(self.result_list)


def effective_status_badge(region) -> str:
    """ "Inaccessible" (own record), "Inaccessible · inherited from Panjsher (AF08)", or "No information
    recorded" — never "Unknown" for a region nothing was recorded for."""
    change = region.effective_change
    if change is None:
        return format_html('<span class="status-none">{}</span>', gettext("No information recorded"))
    badge = status_badge(change.to_status, change.get_to_status_display())
    if region.status_basis == StatusBasis.INHERITED:
        inherited = gettext("inherited from %(region)s") % {"region": region.status_from}
        return format_html('{} <span class="status-basis">({})</span>', badge, inherited)
    return badge


class StaleFilter(admin.SimpleListFilter):
    """Regions without a confirmed status update for HUMTRACK_STALE_AFTER_DAYS days (the selectors' rule)."""

    title = _("freshness")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", _("Stale (no recent confirmed update)")), ("no", _("Recently confirmed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return stale_regions(queryset=queryset)
        if self.value() == "no":
            return fresh_regions(queryset=queryset)
        return queryset


class StatusHistoryInline(ReadOnlyInline):
    """The region's status changes, latest effective first: append-only, never edited here."""

    model = StatusChange
    verbose_name = _("status change")
    verbose_name_plural = _("Status history")
    fields = ["took_effect", "change", "reason", "source", "confidence", "recorded", "silent_change"]
    readonly_fields = fields
    ordering = ["-effective_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "recorded_by", "organisation")

    @admin.display(description=_("took effect"))
    def took_effect(self, change):
        return effective_time(change.effective_at)

    @admin.display(description=_("change"))
    def change(self, change):
        return change_badges(change)

    @admin.display(description=_("recorded"))
    def recorded(self, change):
        return recorded_time(change.recorded_at, change.recorded_by_label)

    @admin.display(description=_("silent"))
    def silent_change(self, change):
        return silent_mark(change.silent)


class ActiveRestrictionInline(ReadOnlyInline):
    model = AccessRestriction
    verbose_name_plural = _("Active restrictions")
    fields = ["category", "severity", "affected", "imposed_by", "starts_at", "confidence"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        # In force now, as the regions list's count (access.models.in_force).
        return restrictions_in_force_at(timezone.now(), super().get_queryset(request)).prefetch_related(
            "affected_groups"
        )

    @admin.display(description=_("affects"))
    def affected(self, restriction):
        return ", ".join(str(group) for group in restriction.affected_groups.all())


class ActiveOutageInline(ReadOnlyInline):
    model = UtilityOutage
    verbose_name_plural = _("Active outages")
    fields = ["utility", "started_at", "cause", "extent", "confidence"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return outages_in_force_at(timezone.now(), super().get_queryset(request))


@admin.register(Region)
class RegionAdmin(StatusChangeToolMixin, RegionScopedAdmin):
    """Regions with their status. The status changes only through "Change access status"."""

    region_lookup = ""
    form = AuditedModelForm
    list_display = [
        "pcode",
        "name",
        "status",
        "status_since",
        "status_source",
        "status_confidence",
        "admin_level",
        "population_display",
        "active_restriction_count",
        "active_outage_count",
    ]
    list_display_links = ["pcode", "name"]
    list_filter = [EffectiveStatusFilter, StatusBasisFilter, "admin_level", ProvinceFilter, StaleFilter]
    search_fields = ["name", "^pcode", "alternative_names"]
    search_help_text = _("Name, another spelling, or the start of a p-code (AF08).")
    list_per_page = 100
    fields = ["pcode", "name", "alternative_names", "admin_level", "parent", "population", "latitude", "longitude"]
    inlines = [StatusHistoryInline, ActiveRestrictionInline, ActiveOutageInline]
    # The status is not an editable field (no delta shows it): each version shows its own recorded
    # status and when that took effect, before the history's own recorded time.
    history_list_display = ["recorded_status", "took_effect", "partner"]

    status_form_class = RegionStatusChangeForm
    status_tool_label = _("Change access status")
    status_permission = "access.add_statuschange"

    def get_queryset(self, request):
        return with_effective_status(regions_with_summary(super().get_queryset(request)))

    def get_changelist(self, request, **kwargs):
        return EffectiveStatusChangeList

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [(_("Access status"), {"fields": ["current_status"]}), *fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["current_status"]
        # The hierarchy comes from the COD tables (import_regions); coordinators keep names and
        # figures, only a superuser re-parents a region or changes its p-code.
        if obj is not None and not can_restructure_regions(actor_for(request)):
            readonly += ["pcode", "admin_level", "parent"]
        return readonly

    # --- list columns: the effective status, its basis, since when, on whose word ------------------
    @admin.display(description=_("status"), ordering="effective_status")
    def status(self, region):
        return effective_status_badge(region)

    @admin.display(description=_("since"))
    def status_since(self, region):
        change = region.effective_change
        if change is None:
            return "—"
        return format_html(
            '<span title="{}" style="white-space:nowrap">{}</span><br><span class="quiet">{}</span>',
            f"{change.effective_at:%Y-%m-%d %H:%M} UTC",
            f"{change.effective_at:%Y-%m-%d}",
            gettext("%(age)s ago") % {"age": timesince(change.effective_at, timezone.now(), depth=1)},
        )

    @admin.display(description=_("source"))
    def status_source(self, region):
        change = region.effective_change
        if change is None:
            return "—"
        # The full citation is long; the list shows its start (the whole on hover and on the region's page).
        return format_html('<span title="{}">{}</span>', change.source, Truncator(str(change.source)).chars(40))

    @admin.display(description=_("confidence"))
    def status_confidence(self, region):
        change = region.effective_change
        return change.get_confidence_display() if change else "—"

    @admin.display(description=_("population"), ordering="population")
    def population_display(self, region):
        return grouped(region.population)

    @admin.display(description=_("active restrictions"), ordering="active_restriction_count")
    def active_restriction_count(self, region):
        return grouped(region.active_restriction_count)

    @admin.display(description=_("active outages"), ordering="active_outage_count")
    def active_outage_count(self, region):
        return grouped(region.active_outage_count)

    # --- the history page ----------------------------------------------------------------------
    @admin.display(description=_("status recorded for it"))
    def recorded_status(self, record):
        if not record.access_status:
            return gettext("no record of its own")
        return status_badge(record.access_status, record.get_access_status_display())

    @admin.display(description=_("took effect"))
    def took_effect(self, record):
        change = record.current_status_change
        return effective_time(change.effective_at if change else None)

    # --- the region's page ---------------------------------------------------------------------
    @admin.display(description=_("current status"))
    def current_status(self, region):
        if region.pk is None:
            return gettext("No information recorded until a first change is recorded.")
        region = effective_status_of(region)
        change = region.effective_change
        if change is None:
            return effective_status_badge(region)
        return format_html(
            "{} — {} ({}) — {}: “{}” ({}, {})",
            effective_status_badge(region),
            gettext("since %(when)s") % {"when": f"{change.effective_at:%Y-%m-%d %H:%M} UTC"},
            gettext("%(age)s ago") % {"age": timesince(change.effective_at, timezone.now())},
            change.recorded_by_label,
            change.reason,
            change.source,
            change.get_confidence_display(),
        )

    def current_status_display(self, region):
        return self.current_status(region)

    # --- writes --------------------------------------------------------------------------------
    def create_through_service(self, request, form):
        region = Region(**self.model_fields(form))
        return save_region(region=region, actor=actor_for(request), reason="Region added in the admin")

    def update_through_service(self, request, region, form, reason):
        save_region(region=region, actor=actor_for(request), reason=reason)

    def record_status_change(self, request, region, data):
        return change_access_status(
            region=region,
            status=data["status"],
            reason=data["reason"],
            source=data["source"],
            confidence=data["confidence"],
            effective_at=data["effective_at"],
            silent=data["silent"],
            actor=actor_for(request),
        )


@admin.register(StatusChange)
class StatusChangeAdmin(SourcedFactColumns, ReadOnlyAdmin):
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

    @admin.display(description=_("took effect"), ordering="effective_at")
    def took_effect(self, change):
        return effective_time(change.effective_at)

    @admin.display(description=_("region"), ordering="region__path")
    def region_link(self, change):
        url = reverse("admin:access_region_change", args=[change.region_id])
        return format_html('<a href="{}">{}</a>', url, change.region)

    @admin.display(description=_("change"))
    def change(self, change):
        return change_badges(change)

    @admin.display(description=_("recorded"), ordering="recorded_at")
    def recorded(self, change):
        return recorded_time(change.recorded_at, change.recorded_by_label)

    @admin.display(description=_("silent"), ordering="silent")
    def silent_change(self, change):
        return silent_mark(change.silent)


@admin.register(CoordinatorAssignment)
class CoordinatorAssignmentAdmin(AuditedAdmin):
    """Which regions each coordinator changes (and everything under them). Managed by superusers.

    Assignments grant rights: they change only through access.services.coordinators, audited.
    """

    list_display = ["user", "region", "created_at"]
    list_filter = [ProvinceFilter]
    search_fields = ["user__username", "user__email", "region__name", "^region__pcode"]
    list_select_related = ["user", "region"]

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        if change:
            changed = ", ".join(form.changed_data) or "nothing"
            update_coordinator_assignment(assignment=obj, actor=actor, reason=f"Changed in the admin: {changed}")
            return
        created = assign_coordinator(user=obj.user, region=obj.region, actor=actor, reason="Assigned in the admin")
        obj.pk = created.pk  # the admin goes on with the instance it built (for the log and the redirect)
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        unassign_coordinator(assignment=obj, actor=actor_for(request), reason="Unassigned in the admin")
