"""The incident log: access incidents (OCHA's AMRF), recorded by partners and coordinators.

Every reader lists every incident (counts are the same for all); the description and point of one
whose `sensitivity` the reader may not read are withheld in every format (JSON, CSV/HXL, GeoJSON):
null, with `details_withheld: true` (access.selectors.incidents.with_details_visible).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view

from access import services
from access.selectors.incidents import incidents_listed, with_details_visible
from humtrack.api.renderers import CsvColumn, GeoJSONRenderer, admin_columns
from humtrack.api.viewsets import PartnerViewSet

from .. import filters
from ..incident_serializers import IncidentSerializer, IncidentWriteSerializer
from .records import SOURCED, RecordViewSet
from .regions import point

WITHHELD = (
    "The description and point of an incident whose `sensitivity` you may not read are null, with "
    "`details_withheld: true` (public: everyone; partners: partner tokens and signed-in users; restricted: "
    "the recording organisation, the region's coordinators and superusers)."
)


@extend_schema_view(
    list=extend_schema(summary="Access incidents", description=f"Ordered by (updated_at, id). {WITHHELD}"),
    retrieve=extend_schema(summary="One access incident", description=WITHHELD),
    create=extend_schema(summary="Record an access incident"),
    update=extend_schema(summary="Change an incident your organisation recorded"),
    partial_update=extend_schema(summary="Change some fields of an incident your organisation recorded"),
)
class IncidentViewSet(RecordViewSet):
    """Access incidents: when, where, what (category and type), by whom (a type), the impact, on whose word."""

    serializer_class = IncidentSerializer
    write_serializer_class = IncidentWriteSerializer
    filterset_class = filters.IncidentFilterSet
    renderer_classes = [*PartnerViewSet.renderer_classes, GeoJSONRenderer]
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        *admin_columns("region_hierarchy"),
        CsvColumn("region", "#loc+code", "region"),
        CsvColumn("occurred_at", "#date+occurred", "occurred_at"),
        CsvColumn("occurred_until", "#date+occurred+end", "occurred_until"),
        CsvColumn("reported_at", "#date+reported", "reported_at"),
        CsvColumn("latitude", "#geo+lat", "latitude"),
        CsvColumn("longitude", "#geo+lon", "longitude"),
        CsvColumn("category", "#access+category", "category"),
        CsvColumn("incident_type", "#event+type", "incident_type"),
        CsvColumn("perpetrator_type", "#org+perpetrator+type", "perpetrator_type"),
        CsvColumn("activities_suspended", "#indicator+suspended", "activities_suspended"),
        CsvColumn("people_unable_to_receive_aid", "#affected+unreached+num", "people_unable_to_receive_aid"),
        CsvColumn("aid_workers_affected", "#affected+aid_workers+num", "aid_workers_affected"),
        CsvColumn("affected_groups", "#group+affected", "affected_groups"),
        CsvColumn("description", "#description", "description"),
        CsvColumn("sensitivity", "#meta+sensitivity", "sensitivity"),
        CsvColumn("details_withheld", "#meta+withheld", "details_withheld"),
        *SOURCED,
    ]

    def get_queryset(self):
        return with_details_visible(incidents_listed(), self.actor)

    def create_record(self, data):
        return services.record_incident(actor=self.actor, **data)

    def update_record(self, incident, data):
        return services.update_incident(incident=incident, actor=self.actor, **data)

    def geojson_feature(self, item):
        # The incident's own point, where the reader may read it; never the region's centroid in its place.
        geometry = point(item.get("latitude"), item.get("longitude"))
        return {"type": "Feature", "id": item["id"], "geometry": geometry, "properties": item}
