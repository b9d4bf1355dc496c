import django_filters

from access.api.filters import RegionFilter, WithinFilter
from humtrack.api.filters import BooleanFilter, SyncFilterSet
from needs.models import NeedFigure
from needs.sectors import SECTOR_CHOICES
from needs.selectors import overlapping_period


class NeedFigureFilterSet(SyncFilterSet):
    region = RegionFilter()
    within = WithinFilter()
    sector = django_filters.MultipleChoiceFilter(choices=SECTOR_CHOICES, help_text="Repeat for several sectors.")
    # Together: the figures whose period overlaps [period_start, period_end] (needs.selectors.overlapping_period).
    period_start = django_filters.DateFilter(
        method="filter_period", help_text="Figures whose period ends on or after this date."
    )
    period_end = django_filters.DateFilter(
        method="filter_period", help_text="Figures whose period starts on or before this date."
    )
    is_urgent = BooleanFilter()
    confidence = django_filters.MultipleChoiceFilter(choices=NeedFigure._meta.get_field("confidence").choices)

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
