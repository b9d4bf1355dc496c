"""The list filters of the coordinators' admin: by province, in force now, and a region's status."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus, StatusBasis
from access.models import Region
from access.models.in_force import in_force_q
from access.selectors.regions import fresh_regions, stale_regions, within_filter


class ProvinceFilter(admin.SimpleListFilter):
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


class InForceFilter(admin.SimpleListFilter):
    """In force now or not, by the rule `is_active` and the API's `active` follow (access.models.in_force):
    an end announced for later is still in force, a start announced for later is not yet. For a
    time-bound fact (its START_FIELD and END_FIELD); subclasses word it."""

    labels = (_("Active"), _("Not in force"))

    def lookups(self, request, model_admin):
        return [("yes", self.labels[0]), ("no", self.labels[1])]

    def queryset(self, request, queryset):
        model = queryset.model
        in_force_now = in_force_q(model.START_FIELD, model.END_FIELD, timezone.now())
        if self.value() == "yes":
            return queryset.filter(in_force_now)
        if self.value() == "no":
            return queryset.exclude(in_force_now)
        return queryset


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
