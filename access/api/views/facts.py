"""Facts recorded in a region: access restrictions and utility outages."""

from access import services
from access.selectors.facts import outages_with_region, restrictions_with_groups
from humtrack.api.renderers import CsvColumn, admin_columns

from .. import filters, serializers
from .records import SOURCED, RecordViewSet


class RestrictionViewSet(RecordViewSet):
    """Access constraints (ACAPS categories), with severity and who they affect; active while not ended."""

    serializer_class = serializers.RestrictionSerializer
    write_serializer_class = serializers.RestrictionWriteSerializer
    filterset_class = filters.RestrictionFilterSet
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        *admin_columns("region_hierarchy"),
        CsvColumn("region", "#loc+code", "region"),
        CsvColumn("category", "#access+category", "category"),
        CsvColumn("severity", "#severity", "severity"),
        CsvColumn("affected_groups", "#group+affected", "affected_groups"),
        CsvColumn("description", "#description", "description"),
        CsvColumn("imposed_by", "#org+impeding", "imposed_by"),
        CsvColumn("starts_at", "#date+start", "starts_at"),
        CsvColumn("ends_at", "#date+end", "ends_at"),
        CsvColumn("is_active", "#status+active", "is_active"),
        *SOURCED,
    ]

    def get_queryset(self):
        return restrictions_with_groups()

    def create_record(self, data):
        return services.record_restriction(actor=self.actor, **data)

    def update_record(self, restriction, data):
        return services.update_restriction(restriction=restriction, actor=self.actor, **data)


class OutageViewSet(RecordViewSet):
    """Electricity, internet, telecom, water or fuel cuts; active until restored."""

    serializer_class = serializers.OutageSerializer
    write_serializer_class = serializers.OutageWriteSerializer
    filterset_class = filters.OutageFilterSet
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        *admin_columns("region_hierarchy"),
        CsvColumn("region", "#loc+code", "region"),
        CsvColumn("utility", "#indicator+utility", "utility"),
        CsvColumn("started_at", "#date+start", "started_at"),
        CsvColumn("restored_at", "#date+end", "restored_at"),
        CsvColumn("is_active", "#status+active", "is_active"),
        CsvColumn("cause", "#cause", "cause"),
        CsvColumn("extent", "#indicator+extent", "extent"),
        *SOURCED,
    ]

    def get_queryset(self):
        return outages_with_region()

    def create_record(self, data):
        return services.record_outage(actor=self.actor, **data)

    def update_record(self, outage, data):
        return services.update_outage(outage=outage, actor=self.actor, **data)
