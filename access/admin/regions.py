"""Regions: the list coordinators start from, the region page, and the "Change access status" form."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from access.models import AccessRestriction, CoordinatorAssignment, Region, StatusChange, UtilityOutage
from access.selectors.facts import outages_in_force_at, restrictions_in_force_at
from access.selectors.regions import fresh_regions, regions_with_summary, stale_regions
from access.services import change_access_status, save_region

from .forms import AuditedModelForm, RegionStatusChangeForm
from .mixins import (
    ProvinceFilter,
    RegionScopedAdmin,
    SourcedFactColumns,
    StatusChangeToolMixin,
    actor_for,
    status_badge,
)


class StaleFilter(admin.SimpleListFilter):
    """Regions without a confirmed status update for HUMTRACK_STALE_AFTER_DAYS days (the selectors' rule)."""

    title = "freshness"
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", "Stale (no recent confirmed update)"), ("no", "Recently confirmed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return stale_regions(queryset=queryset)
        if self.value() == "no":
            return fresh_regions(queryset=queryset)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    """Shown on the region page, changed elsewhere (through its own form or admin)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatusHistoryInline(ReadOnlyInline):
    """The region's status changes, latest effective first: append-only, never edited here."""

    model = StatusChange
    verbose_name = "status change"
    verbose_name_plural = "Status history"
    fields = ["effective_at", "change", "reason", "source", "confidence", "recorded", "silent"]
    readonly_fields = fields
    ordering = ["-effective_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "recorded_by", "organisation")

    @admin.display(description="change")
    def change(self, change):
        return format_html(
            "{} → {}",
            status_badge(change.from_status, change.get_from_status_display()),
            status_badge(change.to_status, change.get_to_status_display()),
        )

    @admin.display(description="recorded")
    def recorded(self, change):
        return f"{change.recorded_by_label}, {change.recorded_at:%Y-%m-%d %H:%M}"


class ActiveRestrictionInline(ReadOnlyInline):
    model = AccessRestriction
    verbose_name_plural = "Active restrictions"
    fields = ["category", "severity", "affected", "imposed_by", "starts_at", "confidence"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        # In force now, as the regions list's count (access.models.in_force).
        return restrictions_in_force_at(timezone.now(), super().get_queryset(request)).prefetch_related(
            "affected_groups"
        )

    @admin.display(description="affects")
    def affected(self, restriction):
        return ", ".join(str(group) for group in restriction.affected_groups.all())


class ActiveOutageInline(ReadOnlyInline):
    model = UtilityOutage
    verbose_name_plural = "Active outages"
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
        "admin_level",
        "parent",
        "last_change",
        "last_change_age",
        "active_restriction_count",
        "active_outage_count",
    ]
    list_display_links = ["pcode", "name"]
    list_filter = ["access_status", "admin_level", ProvinceFilter, StaleFilter]
    search_fields = ["name", "^pcode", "alternative_names"]
    search_help_text = "Name, another spelling, or the start of a p-code (AF08)."
    list_per_page = 100
    fields = ["pcode", "name", "alternative_names", "admin_level", "parent", "population", "latitude", "longitude"]
    inlines = [StatusHistoryInline, ActiveRestrictionInline, ActiveOutageInline]
    history_list_display = ["status", "partner"]  # the status is not an editable field: no delta shows it

    status_form_class = RegionStatusChangeForm
    status_tool_label = "Change access status"
    status_permission = "access.add_statuschange"

    def get_queryset(self, request):
        return regions_with_summary(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [("Access status", {"fields": ["current_status"]}), *fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["current_status"]
        # The hierarchy comes from the COD tables (import_regions); coordinators keep names and
        # figures, only a superuser re-parents a region or changes its p-code.
        if obj is not None and not request.user.is_superuser:
            readonly += ["pcode", "admin_level", "parent"]
        return readonly

    # --- list columns --------------------------------------------------------------------------
    @admin.display(description="status", ordering="access_status")
    def status(self, region):
        return status_badge(region.access_status, region.get_access_status_display())

    @admin.display(description="last change", ordering="current_status_change__effective_at")
    def last_change(self, region):
        change = region.current_status_change
        return change.effective_at if change else None

    @admin.display(description="age")
    def last_change_age(self, region):
        change = region.current_status_change
        if change is None:
            return "never"
        return f"{timesince(change.effective_at, timezone.now())} ago"

    @admin.display(description="active restrictions", ordering="active_restriction_count")
    def active_restriction_count(self, region):
        return region.active_restriction_count

    @admin.display(description="active outages", ordering="active_outage_count")
    def active_outage_count(self, region):
        return region.active_outage_count

    @admin.display(description="current status")
    def current_status(self, region):
        if region.pk is None:
            return "Unknown until a first change is recorded."
        change = region.current_status_change
        if change is None:
            return status_badge(region.access_status, region.get_access_status_display())
        return format_html(
            "{} since {} ({} ago) — {}: “{}” ({}, {})",
            status_badge(region.access_status, region.get_access_status_display()),
            f"{change.effective_at:%Y-%m-%d %H:%M} UTC",
            timesince(change.effective_at, timezone.now()),
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: listed and read here, written only by their service."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(SourcedFactColumns, ReadOnlyAdmin):
    """Every region's status changes, newest first: what changed where, who said so, how sure."""

    region_lookup = "region"
    list_display = [
        "effective_at",
        "region_link",
        "change",
        "confidence",
        "source_label",
        "recorded_by_label",
        "silent",
    ]
    list_filter = ["to_status", "confidence", "silent", ProvinceFilter]
    search_fields = ["region__name", "region__alternative_names", "^region__pcode", "reason"]
    date_hierarchy = "effective_at"
    list_select_related = ["region", "source", "recorded_by", "organisation"]

    @admin.display(description="region", ordering="region__path")
    def region_link(self, change):
        url = reverse("admin:access_region_change", args=[change.region_id])
        return format_html('<a href="{}">{}</a>', url, change.region)

    @admin.display(description="change")
    def change(self, change):
        return format_html(
            "{} → {}",
            status_badge(change.from_status, change.get_from_status_display()),
            status_badge(change.to_status, change.get_to_status_display()),
        )

    @admin.display(description="recorded by")
    def recorded_by_label(self, change):
        return change.recorded_by_label


@admin.register(CoordinatorAssignment)
class CoordinatorAssignmentAdmin(admin.ModelAdmin):
    """Which regions each coordinator changes (and everything under them). Managed by superusers."""

    list_display = ["user", "region", "created_at"]
    list_filter = [ProvinceFilter]
    search_fields = ["user__username", "user__email", "region__name", "^region__pcode"]
    list_select_related = ["user", "region"]
