"""One FilterSet per access resource, and the region filters (`within`, `region`) needs shares;
`updated_since` comes from humtrack.api.filters."""

from datetime import date

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    CorridorStatus,
    IncidentType,
    OutageCause,
    OutageExtent,
    PerpetratorType,
    Reliability,
    Sensitivity,
    Severity,
    SourceKind,
    StatusBasis,
    Utility,
)
from access.models import AccessRestriction, AidCorridor, Incident, Region, Source, UtilityOutage
from access.selectors.facts import outages_in_force_at, restrictions_in_force_at
from access.selectors.incidents import incidents_in_month
from access.selectors.regions import fresh_regions, search_regions, stale_regions, within_region_filter
from access.selectors.status import status_basis_in, with_effective_status
from humtrack.api.filters import BooleanFilter, ChoicesFilter, DateTimeFilter, IntegerFilter, SyncFilterSet

from .pcodes import pcode_schema, region_for_parameter

# The largest id a bigint holds: a larger one is a 400 rather than a database error.
MAX_ID = 2**63 - 1


@pcode_schema
class PcodeFilter(django_filters.CharFilter):
    """Records by the p-code (any case) of the region in `region_field` ("" when the records are regions);
    a p-code that names no region is a 400 naming the parameter (access.api.pcodes.region_for_parameter)."""

    default_help_text = ""
    allows_empty = False  # `?within=` names no region: a 400 (SyncFilterSet.is_valid)

    def __init__(self, *args, region_field: str = "region", **kwargs):
        kwargs.setdefault("help_text", self.default_help_text)
        kwargs.setdefault("strip", False)  # " AF08" is not a p-code: the schema's pattern says so
        super().__init__(*args, **kwargs)
        self.region_field = region_field

    def condition(self, region: Region) -> Q:
        raise NotImplementedError

    def filter(self, qs, value):
        if not value:
            return qs
        region = region_for_parameter(self.field_name, value)
        # Several waypoints of one corridor may match: distinct keeps each record once.
        condition = self.condition(region)
        return qs.filter(condition).distinct() if "__" in self.region_field else qs.filter(condition)


class WithinFilter(PcodeFilter):
    """The records in the region with this p-code or anywhere under it (`region_field`'s path)."""

    default_help_text = "A p-code: records in that region and every region under it."

    def condition(self, region: Region) -> Q:
        return within_region_filter(region, region_field=self.region_field)


class RegionFilter(PcodeFilter):
    """The records of exactly this region (by p-code)."""

    default_help_text = "A p-code: records of exactly that region."

    def condition(self, region: Region) -> Q:
        return Q(**{f"{self.region_field}__pcode": region.pcode})


class RegionFilterSet(SyncFilterSet):
    """Regions, annotated with their effective status (now, or at `as_of`) before any filter runs."""

    status = ChoicesFilter(
        field_name="effective_status",
        choices=AccessStatus.choices,
        help_text="The effective status (at `as_of` if given, else now): a region's own record or the one it "
        "inherits; add `status_basis=recorded` for own records only. `unknown` is an explicit, recorded unknown: "
        "a region with no record on it or above it matches no status (ask `status_basis=none`). Repeat for several.",
    )
    status_basis = ChoicesFilter(
        method="filter_status_basis",
        choices=StatusBasis.choices,
        help_text="recorded (its own record), inherited (its nearest ancestor's) or none; repeat for several.",
    )
    level = IntegerFilter(
        field_name="admin_level", min_value=0, max_value=5, help_text="0 country, 1 province, 2 district."
    )
    within = WithinFilter(region_field="")
    parent = RegionFilter(region_field="parent", help_text="Only the direct children of this p-code.")
    stale = BooleanFilter(
        method="filter_stale", help_text="true: no confirmed status update within the staleness window."
    )
    as_of = DateTimeFilter(method="filter_as_of", help_text="Show the statuses in force at this moment (ISO 8601).")
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Regions whose p-code is this, or whose name in English, Dari or Pashto, or another spelling, "
        "contains it (`Panjshir`, `پنجشیر` and `AF08` all find Panjsher).",
    )

    class Meta:
        model = Region
        fields = ["status", "status_basis", "level", "within", "parent", "stale", "as_of", "search", "updated_since"]

    def filter_queryset(self, queryset):
        # One annotation, at `as_of` or now, that the status filters, the view and the serializer share.
        return super().filter_queryset(with_effective_status(queryset, at=self.form.cleaned_data.get("as_of")))

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        return stale_regions(queryset=queryset) if value else fresh_regions(queryset=queryset)

    def filter_status_basis(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status_basis_in(value))

    def filter_search(self, queryset, name, value):
        return search_regions(value, queryset=queryset) if value.strip() else queryset

    def filter_as_of(self, queryset, name, value):
        return queryset  # read by filter_queryset, which annotates the statuses in force then


class SourceFilterSet(SyncFilterSet):
    kind = ChoicesFilter(choices=SourceKind.choices)
    reliability = ChoicesFilter(choices=Reliability.choices)
    publisher = django_filters.CharFilter(lookup_expr="icontains")
    published_after = DateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = DateTimeFilter(field_name="published_at", lookup_expr="lte")

    class Meta:
        model = Source
        fields = ["kind", "reliability", "publisher", "published_after", "published_before", "updated_since"]


class ActiveFilter(BooleanFilter):
    """true: in force now (started, not yet ended: the rule of `is_active`); false: not in force now."""

    def __init__(self, *args, in_force_at, **kwargs):
        kwargs.setdefault("help_text", _("true: in force now (started and not yet ended); false: not in force now."))
        super().__init__(*args, **kwargs)
        self.in_force_at = in_force_at

    def filter(self, qs, value):
        if value is None:
            return qs
        now = timezone.now()
        if value:
            return self.in_force_at(now, qs)
        return qs.exclude(pk__in=self.in_force_at(now, qs.model.objects.all()).values("pk"))


class RestrictionFilterSet(SyncFilterSet):
    region = RegionFilter()
    within = WithinFilter()
    corridor = IntegerFilter(field_name="corridor_id", min_value=1, max_value=MAX_ID)
    category = ChoicesFilter(choices=ConstraintCategory.choices)
    severity = ChoicesFilter(choices=Severity.choices)
    affected_group = ChoicesFilter(field_name="affected_groups", choices=AffectedGroupCode.choices, distinct=True)
    active = ActiveFilter(in_force_at=restrictions_in_force_at)
    starts_after = DateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = DateTimeFilter(field_name="starts_at", lookup_expr="lte")
    in_force_at = DateTimeFilter(method="filter_in_force_at", help_text="In force at this moment.")

    class Meta:
        model = AccessRestriction
        fields = [
            "region", "within", "corridor", "category", "severity", "affected_group", "active", "starts_after",
            "starts_before", "in_force_at", "updated_since",
        ]  # fmt: skip

    def filter_in_force_at(self, queryset, name, value):
        return restrictions_in_force_at(value, queryset)


class OutageFilterSet(SyncFilterSet):
    region = RegionFilter()
    within = WithinFilter()
    utility = ChoicesFilter(choices=Utility.choices)
    cause = ChoicesFilter(choices=OutageCause.choices)
    extent = ChoicesFilter(choices=OutageExtent.choices)
    active = ActiveFilter(in_force_at=outages_in_force_at)
    started_after = DateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = DateTimeFilter(field_name="started_at", lookup_expr="lte")
    in_force_at = DateTimeFilter(method="filter_in_force_at", help_text="Cut at this moment.")

    class Meta:
        model = UtilityOutage
        fields = [
            "region", "within", "utility", "cause", "extent", "active", "started_after", "started_before",
            "in_force_at", "updated_since",
        ]  # fmt: skip

    def filter_in_force_at(self, queryset, name, value):
        return outages_in_force_at(value, queryset)


class CorridorFilterSet(SyncFilterSet):
    status = ChoicesFilter(choices=CorridorStatus.choices)
    region = RegionFilter(region_field="waypoints__region", help_text="Corridors passing through this p-code.")
    within = WithinFilter(region_field="waypoints__region", help_text="Corridors passing through this area.")

    class Meta:
        model = AidCorridor
        fields = ["status", "region", "within", "updated_since"]


# A month as `YYYY-MM` (the monthly snapshot's unit).
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class MonthField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [RegexValidator(MONTH_PATTERN, _("A month: YYYY-MM, e.g. 2021-09."))])
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        return date(int(text[:4]), int(text[5:7]), 1) if text else None


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2021-09"})
class MonthFilter(django_filters.Filter):
    """Incidents under way in the month (access.selectors.incidents.incidents_in_month: a span over two
    months counts in both)."""

    field_class = MonthField
    allows_empty = False  # `?month=` names no month: a 400 (SyncFilterSet.is_valid)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(pk__in=incidents_in_month(value).values("pk"))


class IncidentFilterSet(SyncFilterSet):
    region = RegionFilter()
    within = WithinFilter()
    category = ChoicesFilter(choices=ConstraintCategory.choices)
    incident_type = ChoicesFilter(choices=IncidentType.choices)
    perpetrator_type = ChoicesFilter(choices=PerpetratorType.choices)
    confidence = ChoicesFilter(choices=Confidence.choices)
    sensitivity = ChoicesFilter(choices=Sensitivity.choices)
    affected_group = ChoicesFilter(field_name="affected_groups", choices=AffectedGroupCode.choices, distinct=True)
    occurred_after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte", help_text="Began at or after.")
    occurred_before = DateTimeFilter(field_name="occurred_at", lookup_expr="lt", help_text="Began before.")
    month = MonthFilter(help_text="YYYY-MM: incidents under way in that month (UTC), a span over two months in both.")

    class Meta:
        model = Incident
        fields = [
            "region", "within", "category", "incident_type", "perpetrator_type", "confidence", "sensitivity",
            "affected_group", "occurred_after", "occurred_before", "month", "updated_since",
        ]  # fmt: skip
