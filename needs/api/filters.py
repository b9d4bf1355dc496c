"""The needs resources' filters: need figures (`NeedFigureFilterSet`) and HDX HAPI's rows (`HapiNeedsFilterSet`)."""

import django_filters
from django.utils.translation import gettext as _

from access.api.filters import RegionFilter, WithinFilter
from access.api.pcodes import pcode_schema
from access.models import Region
from access.selectors.regions import within_filter
from humtrack.api.filters import BooleanFilter, ChoicesFilter, SyncFilterSet
from needs.countries import iso3_by_pcode, pcode_of_iso3
from needs.models import NeedFigure
from needs.sectors import SECTOR_CHOICES
from needs.selectors import overlapping_period
from needs.selectors.hapi import HAPI_ADMIN_LEVELS, POPULATION_STATUSES, hapi_needs_rows


class NeedFigureFilterSet(SyncFilterSet):
    region = RegionFilter()
    within = WithinFilter()
    sector = ChoicesFilter(choices=SECTOR_CHOICES, help_text="Repeat for several sectors.")
    # Together: the figures whose period overlaps [period_start, period_end] (needs.selectors.overlapping_period).
    period_start = django_filters.DateFilter(
        method="filter_period", help_text="Figures whose period ends on or after this date."
    )
    period_end = django_filters.DateFilter(
        method="filter_period", help_text="Figures whose period starts on or before this date."
    )
    is_urgent = BooleanFilter()
    confidence = ChoicesFilter(choices=NeedFigure._meta.get_field("confidence").choices)

    class Meta:
        model = NeedFigure
        fields = [
            "region",
            "within",
            "sector",
            "period_start",
            "period_end",
            "is_urgent",
            "confidence",
            "updated_since",
        ]

    def filter_period(self, queryset, name, value):
        start, end = (value, None) if name == "period_start" else (None, value)
        return overlapping_period(queryset, start, end)


COUNTRY_CHOICES = [(iso3, iso3) for iso3 in sorted(iso3_by_pcode().values())]


@pcode_schema
class AdminCodeFilter(django_filters.CharFilter):
    """The rows of the admin 1 or admin 2 region with this p-code (any case), and of the regions under it.

    A p-code that names no region at this level is a 400 naming the parameter (HapiNeedsFilterSet.is_valid).
    """

    allows_empty = False  # `?admin1_code=` names no region: a 400 (SyncFilterSet.is_valid)

    def __init__(self, *args, admin_level: int, **kwargs):
        super().__init__(*args, strip=False, **kwargs)
        self.admin_level = admin_level

    def filter(self, qs, value):
        return qs.filter(within_filter(value.upper())) if value else qs


class HapiNeedsFilterSet(SyncFilterSet):
    """HDX HAPI's filter names over the rows of needs.selectors.hapi; exact codes, as the schema lists them."""

    location_code = django_filters.ChoiceFilter(
        choices=COUNTRY_CHOICES, method="filter_location", help_text="The country's ISO 3166-1 alpha-3 code (AFG)."
    )
    admin1_code = AdminCodeFilter(admin_level=1, help_text="An admin 1 p-code (AF08): its rows and its districts'.")
    admin2_code = AdminCodeFilter(admin_level=2, help_text="An admin 2 p-code (AF0801).")
    sector_code = django_filters.ChoiceFilter(field_name="sector", choices=SECTOR_CHOICES)
    population_status = django_filters.ChoiceFilter(
        choices=[(code, code) for code in POPULATION_STATUSES],
        method="filter_population_status",
        help_text="INN (in need), TGT (targeted) or REA (reached).",
    )
    admin_level = django_filters.ChoiceFilter(
        field_name="region__admin_level",
        choices=[(level, str(level)) for level in HAPI_ADMIN_LEVELS],
        help_text="0 country, 1 admin 1 (province), 2 admin 2 (district).",
    )
    # Offset pages in HAPI's order, not a sync (the cursor list /needs/ is): django-filter drops a filter set to None.
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = NeedFigure
        fields = ["location_code", "admin1_code", "admin2_code", "sector_code", "population_status", "admin_level"]

    def is_valid(self):
        valid = super().is_valid()
        asked = {
            name: self.form.cleaned_data[name].upper()
            for name in ("admin1_code", "admin2_code")
            if valid and self.form.cleaned_data.get(name)
        }
        if asked:
            levels = dict(Region.objects.filter(pcode__in=asked.values()).values_list("pcode", "admin_level"))
            for name, pcode in asked.items():
                level = self.filters[name].admin_level
                if levels.get(pcode) != level:
                    self.form.add_error(
                        name, _("No admin %(level)s region with p-code %(pcode)r.") % {"level": level, "pcode": pcode}
                    )
                    valid = False
        return valid

    def filter_location(self, queryset, name, value):
        pcode = pcode_of_iso3(value)
        return queryset.filter(within_filter(pcode)) if pcode else queryset.none()

    def filter_population_status(self, queryset, name, value):
        return queryset  # read by filter_queryset, which makes the rows of the statuses asked

    def filter_queryset(self, queryset):
        status = self.form.cleaned_data.get("population_status")
        figures = super().filter_queryset(queryset)
        return hapi_needs_rows(figures, population_statuses=[status] if status else POPULATION_STATUSES)
