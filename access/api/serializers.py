"""What the access resources show (output) and what partners send (input: shape only).

Rules (a status cannot take effect in the future, a restriction cannot end before it starts, …) are
the services' and the models'; these serializers check types and choices and name the fields.
"""

import re
from functools import lru_cache

from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.choices import AccessStatus, AffectedGroupCode, Confidence, CorridorStatus, StatusBasis
from access.models import AccessRestriction, AidCorridor, Region, Source, StatusChange, UtilityOutage
from access.models.regions import PATH_SEPARATOR
from humtrack.api import fields
from humtrack.api.serializers import OrganisationName, WriteSerializer

from .pcodes import is_pcode, pcode_schema

# A region's `names`: one key per language of settings.LANGUAGES; null where not known.
REGION_NAMES_SCHEMA = {
    "type": "object",
    "properties": {
        "en": {"type": "string"},
        "fa-af": {"type": "string", "nullable": True},
        "ps": {"type": "string", "nullable": True},
    },
    "required": ["en", "fa-af", "ps"],
}


@lru_cache(maxsize=4096)  # a country has a few hundred regions; every list row asks for one of them
def hierarchy_of(path: str) -> tuple[str, ...]:
    """The p-codes from the country down, from a region's path ("AF/AF08/AF0801/")."""
    return tuple(pcode for pcode in path.split(PATH_SEPARATOR) if pcode)


@pcode_schema
class RegionRef(serializers.SlugRelatedField):
    """A region given by its p-code (case does not matter; nothing around it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("error_messages", {"does_not_exist": _("No region with p-code {value}.")})
        super().__init__(slug_field="pcode", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.upper()
        if not isinstance(data, str) or not is_pcode(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


class SourceRef(fields.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Source.objects.all())
        kwargs.setdefault("help_text", "The id of a source (see /api/v1/sources/).")
        super().__init__(**kwargs)


# Outputs -------------------------------------------------------------------------------------------


class StatusOrNone(serializers.ChoiceField):
    """A status, or null where there is none: a region with no record on it or above it, or a change
    with no record of its own before it (stored as ""). Null, never "", so partners test one value."""

    def __init__(self, **kwargs):
        super().__init__(choices=AccessStatus.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class RegionSerializer(serializers.Serializer):
    """A region with its effective access status (now, or in force at `as_of`) and what is active there.

    The effective status (access.selectors.status) is the region's own record, else its nearest
    ancestor's (`status_basis` inherited, `status_from` that ancestor), else none (status null).
    """

    pcode = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    names = serializers.SerializerMethodField(
        help_text="The name in each language humtrack speaks: `en` (the COD's), `fa-af` (Dari), `ps` (Pashto); "
        "null where the name in that language is not known (show `en` then)."
    )
    alternative_names = serializers.CharField(read_only=True)
    admin_level = serializers.IntegerField(read_only=True, help_text="0 country, 1 province, 2 district.")
    # A declared field named like Field.parent: DRF's metaclass pops it off the class (a stubs gap).
    parent = serializers.CharField(source="parent.pcode", read_only=True, allow_null=True)  # type: ignore[assignment]
    hierarchy = serializers.SerializerMethodField(help_text="The p-codes from the country down to this region.")
    population = serializers.IntegerField(read_only=True, allow_null=True)
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)
    status = StatusOrNone(
        source="effective_status",
        help_text="The effective status: the region's own record, else its nearest ancestor's; "
        "null when nothing is recorded on it or above it (not `unknown`, which is a recorded statement).",
    )
    status_basis = serializers.ChoiceField(
        choices=StatusBasis.choices,
        read_only=True,
        help_text="recorded: the region's own record; inherited: its nearest ancestor's (`status_from`); "
        "none: no record on it or above it.",
    )
    status_from = serializers.CharField(
        source="status_from.pcode",
        read_only=True,
        allow_null=True,
        help_text="The p-code of the region whose record the status is (this one when recorded); null for none.",
    )
    status_since = serializers.DateTimeField(source="effective_change.effective_at", read_only=True, allow_null=True)
    status_confidence = serializers.CharField(source="effective_change.confidence", read_only=True, allow_null=True)
    status_source = serializers.IntegerField(source="effective_change.source_id", read_only=True, allow_null=True)
    status_source_title = serializers.CharField(source="effective_change.source", read_only=True, allow_null=True)
    status_change = serializers.IntegerField(
        source="effective_change.pk",
        read_only=True,
        allow_null=True,
        help_text="The id of the status change in force (of `status_from`'s history).",
    )
    active_restriction_count = serializers.IntegerField(read_only=True)
    active_outage_count = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_hierarchy(self, region) -> list[str]:
        return list(hierarchy_of(region.path))  # a copy: the cached tuple is shared

    @extend_schema_field(REGION_NAMES_SCHEMA)
    def get_names(self, region) -> dict[str, str | None]:
        # null, not the English name, for an unknown one: a client can tell "not translated" from a
        # name that is the same in both (Kabul). A name change saves the region: updated_at and the ETag move.
        return {"en": region.name, "fa-af": region.name_fa_af or None, "ps": region.name_ps or None}


class StatusChangeSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.pcode", read_only=True)
    from_status = StatusOrNone(help_text="The region's own status before; null when it had no record of its own.")
    source_title = serializers.CharField(source="source", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by_label", read_only=True)
    organisation = OrganisationName()

    class Meta:
        model = StatusChange
        fields = [
            "id", "region", "from_status", "to_status", "reason", "source", "source_title", "confidence",
            "effective_at", "recorded_at", "recorded_by", "organisation", "silent",
        ]  # fmt: skip
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer):
    organisation = OrganisationName()
    url = serializers.CharField(read_only=True, help_text="A link to the source; empty when there is none.")

    class Meta:
        model = Source
        fields = [
            "id", "publisher", "title", "url", "published_at", "kind", "reliability", "organisation",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class FactSerializer(serializers.ModelSerializer):
    """Fields every sourced fact in a region shows."""

    region = serializers.CharField(source="region.pcode", read_only=True)
    region_hierarchy = serializers.SerializerMethodField(help_text="The p-codes from the country down.")
    organisation = OrganisationName()

    def get_region_hierarchy(self, fact) -> list[str]:
        return list(hierarchy_of(fact.region.path))


class RestrictionSerializer(FactSerializer):
    affected_groups = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = AccessRestriction
        fields = [
            "id", "region", "region_hierarchy", "corridor", "category", "severity", "affected_groups",
            "description", "imposed_by", "starts_at", "ends_at", "is_active", "source", "confidence",
            "organisation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_affected_groups(self, restriction) -> list[str]:
        return sorted(group.code for group in restriction.affected_groups.all())


class OutageSerializer(FactSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = UtilityOutage
        fields = [
            "id", "region", "region_hierarchy", "utility", "started_at", "restored_at", "is_active", "cause",
            "cause_detail", "extent", "source", "confidence", "organisation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CorridorSerializer(serializers.ModelSerializer):
    origin = serializers.CharField(source="origin.pcode", read_only=True)
    destination = serializers.CharField(source="destination.pcode", read_only=True)
    regions = serializers.SerializerMethodField(help_text="The p-codes of the route, origin first.")
    organisation = OrganisationName()

    class Meta:
        model = AidCorridor
        fields = [
            "id", "name", "origin", "destination", "regions", "status", "status_since", "last_verified_at",
            "notes", "source", "confidence", "organisation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_regions(self, corridor) -> list[str]:
        return [waypoint.region.pcode for waypoint in corridor.waypoints.all()]


class CorridorStatusChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    corridor = serializers.IntegerField(source="corridor_id", read_only=True)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    reason = fields.CharField(read_only=True)
    source = serializers.IntegerField(source="source_id", read_only=True)  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    confidence = serializers.CharField(read_only=True)
    effective_at = serializers.DateTimeField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


# Inputs --------------------------------------------------------------------------------------------


class StatusChangeWriteSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AccessStatus.choices)
    reason = fields.CharField(max_length=10_000)
    source = SourceRef()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    confidence = serializers.ChoiceField(choices=Confidence.choices)
    effective_at = fields.DateTimeField(required=False, help_text="When it took effect; default now.")


class CorridorStatusWriteSerializer(StatusChangeWriteSerializer):
    status = serializers.ChoiceField(choices=CorridorStatus.choices)


# A source's link (or "": none), as the schema states it and the server keeps it: http(s), a host name with a dot
# (labels of up to 50 characters, at most four), then a path of printable ASCII (anything else is
# percent-encoded). Django's URLValidator takes more (ports, IP addresses, ftp); a schema that says
# exactly what is taken serves partners better, and everything this takes, the model's URLValidator
# takes too. No `\s` and no trailing-newline `$`: a schema's patterns are ECMA 262's, not Python's.
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?"
SOURCE_URL_PATTERN = rf"^https?://{LABEL}(?:\.{LABEL}){{0,2}}\.[A-Za-z]{{2,63}}(?:/[!-~]*)?$"
SOURCE_URL = re.compile(SOURCE_URL_PATTERN.removesuffix("$") + r"\Z")  # as ECMA's `$`: the very end


@extend_schema_field({"type": "string", "pattern": SOURCE_URL_PATTERN, "maxLength": 1000})
class SourceUrlField(fields.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [RegexValidator(SOURCE_URL, _("An http(s) link: https://host.example/path."))])
        # Nothing trimmed: " https://…" is not a link the schema allows.
        super().__init__(required=False, allow_blank=True, max_length=1000, trim_whitespace=False, **kwargs)


class SourceWriteSerializer(WriteSerializer):
    url = SourceUrlField(help_text="A link to the source (http or https), or empty.")

    class Meta:
        model = Source
        fields = ["publisher", "title", "url", "published_at", "kind", "reliability"]


class CorridorWriteSerializer(WriteSerializer):
    regions = serializers.ListField(
        child=RegionRef(), min_length=2, max_length=100, help_text="p-codes of the route, origin first."
    )
    status = serializers.ChoiceField(
        choices=CorridorStatus.choices, help_text="On creation; later changes go to status-changes/."
    )
    source = SourceRef()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    reason = fields.CharField(required=False, max_length=10_000, help_text="Why, for the audit history.")

    class Meta:
        model = AidCorridor
        fields = ["name", "regions", "status", "source", "confidence", "last_verified_at", "notes", "reason"]


class CorridorUpdateSerializer(CorridorWriteSerializer):
    class Meta(CorridorWriteSerializer.Meta):
        fields = ["name", "regions", "source", "confidence", "last_verified_at", "notes", "reason"]


class RestrictionWriteSerializer(WriteSerializer):
    region = RegionRef()
    source = SourceRef()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    affected_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=AffectedGroupCode.choices), min_length=1, max_length=20
    )
    reason = fields.CharField(required=False, max_length=10_000, help_text="Why, for the audit history.")

    class Meta:
        model = AccessRestriction
        fields = [
            "region", "corridor", "category", "severity", "affected_groups", "description", "imposed_by",
            "starts_at", "ends_at", "source", "confidence", "reason",
        ]  # fmt: skip


class OutageWriteSerializer(WriteSerializer):
    region = RegionRef()
    source = SourceRef()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    reason = fields.CharField(required=False, max_length=10_000, help_text="Why, for the audit history.")

    class Meta:
        model = UtilityOutage
        fields = [
            "region", "utility", "started_at", "restored_at", "cause", "cause_detail", "extent", "source",
            "confidence", "reason",
        ]  # fmt: skip
