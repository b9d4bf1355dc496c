"""What the needs resources show and take. The list's fast path (needs.api.views) gives the same items."""

from rest_framework import serializers

from access.api.serializers import OrganisationName, RegionRef, SourceRef, WriteSerializer, hierarchy_of
from access.choices import Confidence
from humtrack.api import fields
from needs.models import NeedFigure
from needs.sectors import SECTOR_CHOICES

# The keys of a need figure in a response, in order; the list's fast path builds exactly these.
NEED_FIGURE_FIELDS = [
    "id", "region", "region_hierarchy", "sector", "people_in_need", "targeted", "reached", "period_start",
    "period_end", "is_urgent", "notes", "source", "confidence", "organisation", "created_at", "updated_at",
]  # fmt: skip


class NeedFigureSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.pcode", read_only=True)
    region_hierarchy = serializers.SerializerMethodField(help_text="The p-codes from the country down.")
    organisation = OrganisationName()

    class Meta:
        model = NeedFigure
        fields = NEED_FIGURE_FIELDS
        read_only_fields = fields

    def get_region_hierarchy(self, figure) -> list[str]:
        return hierarchy_of(figure.region.path)


class NeedFigureWriteSerializer(WriteSerializer):
    region = RegionRef()
    source = SourceRef()
    reason = fields.CharField(required=False, max_length=10_000, help_text="Why, for the audit history.")

    class Meta:
        model = NeedFigure
        fields = [
            "region", "sector", "people_in_need", "targeted", "reached", "period_start", "period_end",
            "is_urgent", "notes", "source", "confidence", "reason",
        ]  # fmt: skip
        # One figure per region, sector and period: the service's full_clean names the clash (400).
        validators = []


class BulkRowSerializer(serializers.Serializer):
    """One row of a bulk upload (documentation; the rows are read by needs.api.bulk)."""

    region = serializers.CharField(help_text="p-code")
    sector = serializers.ChoiceField(choices=SECTOR_CHOICES)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    people_in_need = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    targeted = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    reached = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    is_urgent = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    source = serializers.IntegerField(help_text="The id of a source.")
    confidence = serializers.ChoiceField(choices=Confidence.choices)


class BulkUploadSerializer(serializers.Serializer):
    rows = BulkRowSerializer(
        many=True,
        min_length=1,
        max_length=10_000,
        help_text="Up to 10,000 figures, keyed by region, sector and period.",
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RolledFigureSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    regions = serializers.ListField(child=serializers.CharField(), help_text="p-codes whose figures made it.")
    rule = serializers.ChoiceField(choices=["reported", "sum_of_children", "max_over_sectors"])


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
    intersectoral = MetricsSerializer(help_text="Reported intersectoral figures, else the max over sectors.")
