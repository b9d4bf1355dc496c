"""Regions: the list coordinators start from, the region page, and the "Change access status" form."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.choices import SeverityLevel, StatusBasis
from access.models import AccessRestriction, Region, StatusChange, UtilityOutage
from access.policies import can_restructure_regions
from access.selectors.facts import outages_in_force_at, restrictions_in_force_at
from access.selectors.regions import regions_with_summary
from access.selectors.severity import severities_for_month
from access.selectors.status import attach_effective_status, effective_status_of, with_effective_status
from access.services import change_access_status, save_region
from humtrack.admin import ReadOnlyInline

from .display import effective_time, status_badge
from .filters import EffectiveStatusFilter, ProvinceFilter, StaleFilter, StatusBasisFilter
from .forms import AuditedModelForm, RegionStatusChangeForm
from .mixins import RegionScopedAdmin, actor_for
from .status import StatusChangeToolMixin, StatusHistoryInline


def grouped(number) -> str:
    """A count or population with the reader's thousands separators (173,000)."""
    return "—" if number is None else number_format(number, force_grouping=True)


class EffectiveStatusChangeList(ChangeList):
    """The regions list: each row on the page gets its effective status in one query for the page."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = attach_effective_status(self.result_list)
        # This month's computed severity, and whether it asks for a review (access.selectors.severity).
        severities = severities_for_month(month=timezone.now().date(), regions=self.result_list)
        for region in self.result_list:
            region.severity_this_month = severities[region.pk]


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


class RegionStatusHistoryInline(StatusHistoryInline):
    model = StatusChange


class ActiveRestrictionInline(ReadOnlyInline):
    model = AccessRestriction
    verbose_name_plural = _("Active restrictions")
    fields = readonly_fields = ("category", "severity", "affected", "imposed_by", "starts_at", "confidence")
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
    fields = readonly_fields = ("utility", "started_at", "cause", "extent", "confidence")
    show_change_link = True

    def get_queryset(self, request):
        return outages_in_force_at(timezone.now(), super().get_queryset(request))


class FlaggedForReviewFilter(admin.SimpleListFilter):
    """Regions whose access severity computed from this month's evidence disagrees strongly with their
    status (access.selectors.severity, REVIEW_WHEN)."""

    title = _("flagged for review this month")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged for review"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        severities = severities_for_month(month=timezone.now().date(), regions=Region.objects.all())
        return queryset.filter(pk__in=[pk for pk, severity in severities.items() if severity.flagged_for_review])


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
    list_filter = [
        EffectiveStatusFilter,
        StatusBasisFilter,
        "admin_level",
        ProvinceFilter,
        StaleFilter,
        FlaggedForReviewFilter,
    ]
    search_fields = ["name", "^pcode", "alternative_names", "name_fa_af", "name_ps"]
    search_help_text = _("Name in English, Dari or Pashto, another spelling, or the start of a p-code (AF08).")
    list_per_page = 100
    fields = [
        "pcode", "name", "name_fa_af", "name_ps", "alternative_names", "time_zone", "admin_level", "parent",
        "population", "latitude", "longitude",
    ]  # fmt: skip
    inlines = [RegionStatusHistoryInline, ActiveRestrictionInline, ActiveOutageInline]
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
        badge = effective_status_badge(region)
        # Under the status it disagrees with (no column of its own: the list fits a 1,366 px screen).
        severity = getattr(region, "severity_this_month", None)
        if severity is None or not severity.flagged_for_review:
            return badge
        computed = gettext("Computed from this month's evidence: %(level)s") % {
            "level": SeverityLevel(severity.overall).label
        }
        return format_html(
            '{}<br><strong class="flagged-for-review" title="{}">⚑ {}</strong>',
            badge,
            computed,
            gettext("Flagged for review"),
        )

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

    def update_through_service(self, request, stored, form, reason):
        # save_region saves a whole region: the one the form has changed.
        save_region(region=form.instance, actor=actor_for(request), reason=reason)

    def record_status_change(self, request, region, data):
        return change_access_status(region=region, actor=actor_for(request), **data)
