"""The severity API's shapes: the query (`month`, and for many regions `within` and `level`) and a region's
month as access.selectors.severity computes it (RegionSeverity), indicators first, then pillars and the
overall level, with coverage and the flag for review."""

import re
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.choices import ConstraintCategory, ConstraintPillar, SeverityLevel
from access.selectors.severity import RegionSeverity

from .pcodes import PcodeField

# The years humtrack records (a bound the schema states, so a valid-looking 9999-12 is no surprise).
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2021-09"})
class MonthField(serializers.Field):
    """A month as YYYY-MM (2021-09), read as its first day."""

    default_error_messages = {"invalid": gettext_lazy("A month as YYYY-MM, from 1900-01 to 2099-12, e.g. 2021-09.")}

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(MONTH_PATTERN, data):
            self.fail("invalid")
        year, month = data.split("-")
        return date(int(year), int(month), 1)

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class MonthQuerySerializer(serializers.Serializer):
    month = MonthField(help_text="The month, as YYYY-MM (2021-09).")


class SeverityListQuerySerializer(MonthQuerySerializer):
    within = PcodeField(required=False, help_text="Only this region and the regions under it (a p-code).")
    level = serializers.ChoiceField(
        choices=SeverityLevel.choices, required=False, help_text="Only regions at this overall level (0–5)."
    )


class OverrideSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    publisher = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="Empty when there is none.")


class OverrideSerializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True, min_value=0, max_value=3, help_text="null: no information (X).")
    reason = serializers.CharField()
    source = OverrideSourceSerializer()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    confidence = serializers.CharField()
    updated_at = serializers.DateTimeField()


class IndicatorSerializer(serializers.Serializer):
    indicator = serializers.ChoiceField(choices=ConstraintCategory.choices)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # declared field (stubs gap)
    score = serializers.IntegerField(
        allow_null=True, min_value=0, max_value=3, help_text="0–3 as shown; null: no information (ACAPS's X)."
    )
    computed = serializers.IntegerField(
        allow_null=True, min_value=0, max_value=3, help_text="From the evidence, before any override."
    )
    incidents = serializers.IntegerField(min_value=0, help_text="Incidents of the month on the region and under it.")
    restrictions = serializers.IntegerField(
        min_value=0, help_text="Restrictions in force in the month on the region and under it."
    )
    override = OverrideSerializer(allow_null=True, help_text="A coordinator's score replacing the computed one.")

    def get_label(self, score) -> str:
        return str(ConstraintCategory(score.indicator).label)


class PillarSerializer(serializers.Serializer):
    pillar = serializers.ChoiceField(choices=ConstraintPillar.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # declared field (stubs gap)
    score = serializers.FloatField(
        allow_null=True, min_value=0, max_value=3, help_text="Mean of its indicators, X left out; null: all X."
    )


class RegionSeveritySerializer(serializers.Serializer):
    """A region's access severity for a month (docs/severity.md has the rules)."""

    pcode = serializers.CharField(source="region.pcode")
    name = serializers.CharField(source="region.name")
    admin_level = serializers.IntegerField(source="region.admin_level")
    month = MonthField()
    indicators = serializers.SerializerMethodField()
    pillars = serializers.SerializerMethodField()
    overall = serializers.ChoiceField(
        choices=SeverityLevel.choices, allow_null=True, help_text="ACAPS's 0–5; null: no information at all."
    )
    overall_label = serializers.SerializerMethodField()
    districts_with_information = serializers.IntegerField(
        min_value=0, help_text="Coverage: districts with at least one indicator that is not X."
    )
    districts = serializers.IntegerField(min_value=0, help_text="Districts in the region (1 for a district).")
    flagged_for_review = serializers.BooleanField(
        help_text="The computed level and the region's effective status disagree strongly."
    )

    @extend_schema_field(IndicatorSerializer(many=True))
    def get_indicators(self, severity: RegionSeverity) -> list[dict]:
        indicators = IndicatorSerializer(list(severity.indicators.values()), many=True).data
        return indicators  # type: ignore[return-value]  # a list serializer's data is a list

    @extend_schema_field(PillarSerializer(many=True))
    def get_pillars(self, severity: RegionSeverity) -> list[dict]:
        rows = [
            {"pillar": pillar, "label": str(ConstraintPillar(pillar).label), "score": score}
            for pillar, score in severity.pillars.items()
        ]
        return PillarSerializer(rows, many=True).data  # type: ignore[return-value]  # a list, as above

    def get_overall_label(self, severity: RegionSeverity) -> str:
        return str(SeverityLevel(severity.overall).label) if severity.overall is not None else _("No information")
