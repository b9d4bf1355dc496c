"""What the incident log shows (output, with the details a reader may not read withheld) and what partners
send (input: shape only; the rules are the model's and access.services.incidents').

Everyone sees that an incident happened (when, where, what, on whose word), so counts are the same for
every reader; its description and point only where the queryset's `details_visible` annotation says so
(access.selectors.incidents.with_details_visible, the queryset form of
access.policies.can_read_incident_details). Without the annotation they are withheld: a view that
forgets to annotate leaks nothing.
"""

from rest_framework import serializers

from access.choices import AffectedGroupCode
from access.models import Incident
from humtrack.api import fields
from humtrack.api.serializers import WriteSerializer

from .serializers import FactSerializer, RegionRef, SourceRef

# What a reader who may not read an incident's details gets instead of them.
WITHHELD_FIELDS = ("description", "latitude", "longitude")


class IncidentSerializer(FactSerializer):
    """An incident, as partners, webhooks and exports show it."""

    latitude = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Only where the source gives a place; null when withheld."
    )
    longitude = serializers.FloatField(read_only=True, allow_null=True)
    description = serializers.CharField(
        read_only=True, allow_null=True, help_text="Null when withheld (`details_withheld`)."
    )
    affected_groups = serializers.SerializerMethodField(help_text="May be empty: the source does not say.")
    details_withheld = serializers.SerializerMethodField(
        help_text="True when the incident's `sensitivity` does not let you read its description and point: "
        "both are null, whatever is stored."
    )

    class Meta:
        model = Incident
        fields = [
            "id", "region", "region_hierarchy", "occurred_at", "occurred_until", "reported_at", "latitude",
            "longitude", "category", "incident_type", "perpetrator_type", "activities_suspended",
            "people_unable_to_receive_aid", "aid_workers_affected", "affected_groups", "description",
            "sensitivity", "details_withheld", "restriction", "corridor", "outage", "source", "confidence",
            "organisation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_affected_groups(self, incident) -> list[str]:
        return sorted(group.code for group in incident.affected_groups.all())

    def get_details_withheld(self, incident) -> bool:
        return not getattr(incident, "details_visible", False)

    def to_representation(self, instance):
        shown = super().to_representation(instance)
        if shown["details_withheld"]:
            for name in WITHHELD_FIELDS:
                shown[name] = None
        return shown


class IncidentWriteSerializer(WriteSerializer):
    region = RegionRef(help_text="The p-code of the region (a district where known).")
    source = SourceRef()  # type: ignore[assignment]  # declared field, not Field.source (stubs gap)
    # Numbers, not the model's decimals: the service rounds to five places (about a metre).
    latitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-90, max_value=90, help_text="With longitude, or neither."
    )
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    affected_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=AffectedGroupCode.choices),
        required=False,
        max_length=20,
        help_text="Who it affected; empty when the source does not say.",
    )
    reason = fields.CharField(required=False, max_length=10_000, help_text="Why, for the audit history.")

    class Meta:
        model = Incident
        fields = [
            "region", "occurred_at", "occurred_until", "reported_at", "latitude", "longitude", "category",
            "incident_type", "perpetrator_type", "activities_suspended", "people_unable_to_receive_aid",
            "aid_workers_affected", "affected_groups", "description", "sensitivity", "restriction", "corridor",
            "outage", "source", "confidence", "reason",
        ]  # fmt: skip
