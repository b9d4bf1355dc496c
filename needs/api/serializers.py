"""What the needs resources show and take. The list's fast path (needs.api.views) gives the same items."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.api.pcodes import PcodeField
from access.api.serializers import RegionRef, SourceRef, hierarchy_of
from access.choices import Confidence
from humtrack.api import fields
from humtrack.api.serializers import OrganisationName, WriteSerializer
from needs.countries import iso3_by_pcode
from needs.models import MAX_COUNT, NeedFigure
from needs.sectors import SECTOR_CHOICES, SECTOR_NAMES
from needs.selectors import FIGURE_WARNING_CODES, RULES, figure_warnings
from needs.selectors.hapi import POPULATION_STATUSES

WARNINGS_FIELD = serializers.ListField(
    child=serializers.ChoiceField(choices=FIGURE_WARNING_CODES),
    help_text="What the figure is flagged for (it is saved all the same): `targeted_exceeds_people_in_need`, "
    "`reached_exceeds_people_in_need`. Empty when nothing is.",
)

# The keys of a need figure in a response, in order; the list's fast path builds exactly these.
NEED_FIGURE_FIELDS = [
    "id", "region", "region_hierarchy", "sector", "people_in_need", "targeted", "reached", "warnings", "period_start",
    "period_end", "is_urgent", "notes", "source", "confidence", "organisation", "created_at", "updated_at",
]  # fmt: skip


class NeedFigureSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.pcode", read_only=True)
    region_hierarchy = serializers.SerializerMethodField(help_text="The p-codes from the country down.")
    warnings = serializers.SerializerMethodField()
    organisation = OrganisationName()

    class Meta:
        model = NeedFigure
        fields = NEED_FIGURE_FIELDS
        read_only_fields = fields

    def get_region_hierarchy(self, figure) -> list[str]:
        return list(hierarchy_of(figure.region.path))  # a copy: the cached tuple is shared

    @extend_schema_field(WARNINGS_FIELD)
    def get_warnings(self, figure) -> list[str]:
        return figure_warnings(people_in_need=figure.people_in_need, targeted=figure.targeted, reached=figure.reached)


class NeedFigureWriteSerializer(WriteSerializer):
    region = RegionRef()
    source = SourceRef()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    reason = fields.CharField(required=False, max_length=10_000, help_text="Why, for the audit history.")

    class Meta:
        model = NeedFigure
        fields = [
            "region", "sector", "people_in_need", "targeted", "reached", "period_start", "period_end",
            "is_urgent", "notes", "source", "confidence", "reason",
        ]  # fmt: skip
        # One figure per region, sector and period: the service's full_clean names the clash (400).
        validators: list[Callable[..., Any]] = []


class BulkRowSerializer(serializers.Serializer):
    """One row of a bulk upload (documentation; the rows are read by needs.api.bulk)."""

    closed = True  # needs.api.bulk refuses a field it does not know (humtrack.api.schema)

    region = PcodeField(help_text="p-code")
    sector = serializers.ChoiceField(choices=SECTOR_CHOICES)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    people_in_need = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, allow_null=True)
    targeted = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, allow_null=True)
    reached = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, allow_null=True)
    is_urgent = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    source = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, help_text="The id of a source.")  # type: ignore[assignment]  # declared field (stubs gap)
    confidence = serializers.ChoiceField(choices=Confidence.choices)


class BulkUploadSerializer(serializers.Serializer):
    # many=True makes a ListSerializer, which takes min_length and max_length; the stubs type the call
    # as BaseSerializer.__init__, which does not.
    rows = BulkRowSerializer(  # type: ignore[call-arg]
        many=True,
        min_length=1,
        max_length=10_000,
        help_text="Up to 10,000 figures, keyed by region, sector and period.",
    )


class BulkRowWarningSerializer(serializers.Serializer):
    row = serializers.IntegerField(min_value=0, help_text="The row's position in the upload, from 0.")
    field = serializers.CharField(help_text="The count that exceeds people in need: targeted or reached.")
    code = serializers.ChoiceField(choices=FIGURE_WARNING_CODES)
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    warnings = BulkRowWarningSerializer(
        many=True, help_text="Rows saved but flagged (targeted or reached above people in need), each named."
    )


class CoverageSerializer(serializers.Serializer):
    with_figure = serializers.IntegerField(
        min_value=0, help_text="How many of the region's direct children have a figure."
    )
    children = serializers.IntegerField(min_value=0, help_text="How many direct children the region has.")


class ChildrenSumSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=0, help_text="The sum of the direct children's figures.")
    coverage = CoverageSerializer()
    lower_bound = serializers.BooleanField(
        help_text="True when not every child has a figure, or a child's figure is itself a lower bound."
    )
    regions = serializers.ListField(child=serializers.CharField(), help_text="p-codes whose figures made the sum.")


class RolledFigureSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=0)
    rule = serializers.ChoiceField(
        choices=list(RULES),
        help_text="reported: the region's own figure, never replaced by a sum of parts; sum_of_children: no "
        "reported figure, the sum of the children's; max_over_sectors (intersectoral only): the region's "
        "largest sector figure, never the sum over sectors.",
    )
    lower_bound = serializers.BooleanField(help_text='True: the figure is a lower bound, shown "at least".')
    coverage = CoverageSerializer(
        help_text="How many of the region's direct children have a figure (for a reported figure too)."
    )
    regions = serializers.ListField(child=serializers.CharField(), help_text="p-codes whose figures made it.")
    children_sum = ChildrenSumSerializer(
        allow_null=True, help_text="Where the children's figures sum to something other than `value`; else null."
    )
    sector = serializers.CharField(
        allow_null=True, help_text="For max_over_sectors: the sector whose figure it is; else null."
    )


class MetricsSerializer(serializers.Serializer):
    people_in_need = RolledFigureSerializer(allow_null=True)
    targeted = RolledFigureSerializer(allow_null=True)
    reached = RolledFigureSerializer(allow_null=True)


class SectorRollupSerializer(serializers.Serializer):
    sector = serializers.CharField()
    sector_name = serializers.CharField()
    is_urgent = serializers.BooleanField()
    metrics = MetricsSerializer()


class NeedsSummarySerializer(serializers.Serializer):
    area = serializers.CharField(source="area.pcode")
    area_name = serializers.CharField(source="area.name")
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    sectors = SectorRollupSerializer(many=True)
    intersectoral = MetricsSerializer(
        help_text="The reported intersectoral figure; else the larger of the children's intersectoral sum and the "
        "largest sector figure, a lower bound. Never the sum over sectors."
    )


class HapiNeedSerializer(serializers.Serializer):
    """A row of HDX HAPI's humanitarian needs (needs.selectors.hapi): one figure's count for one population
    status, with humtrack's source and confidence. Admin codes and names are null above the row's level."""

    location_code = serializers.SerializerMethodField(
        help_text="The country's ISO 3166-1 alpha-3 code (AFG); null for a country not in needs/fixtures/countries.csv."
    )
    location_name = serializers.CharField()
    admin1_code = serializers.CharField(allow_null=True, help_text="p-code; null for a country's row.")
    admin1_name = serializers.CharField(allow_null=True)
    admin2_code = serializers.CharField(allow_null=True, help_text="p-code; null above admin 2.")
    admin2_name = serializers.CharField(allow_null=True)
    admin_level = serializers.IntegerField(min_value=0, max_value=2, help_text="0 country, 1 province, 2 district.")
    sector_code = serializers.ChoiceField(choices=SECTOR_CHOICES)
    sector_name = serializers.SerializerMethodField()
    population_status = serializers.ChoiceField(
        choices=list(POPULATION_STATUSES), help_text="INN in need, TGT targeted, REA reached."
    )
    population = serializers.IntegerField(min_value=0)
    reference_period_start = serializers.DateField()
    reference_period_end = serializers.DateField()
    # HAPI's column name; the stubs take the attribute for DRF's Field.source.
    source = serializers.IntegerField(help_text="The id of the figure's source (see /api/v1/sources/).")  # type: ignore[assignment]
    confidence = serializers.ChoiceField(choices=Confidence.choices)

    @extend_schema_field(serializers.CharField(allow_null=True, min_length=3, max_length=3))
    def get_location_code(self, row) -> str | None:
        return iso3_by_pcode().get(row["location_pcode"])

    def get_sector_name(self, row) -> str:
        return str(SECTOR_NAMES[row["sector_code"]])
