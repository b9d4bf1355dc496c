"""Aid corridors through an ordered list of regions, and their status changes."""

from functools import partial

from rest_framework.decorators import action

from access import services
from access.selectors.facts import corridors_with_route
from humtrack.api.renderers import CsvColumn, GeoJSONRenderer
from humtrack.api.viewsets import JSON, PartnerViewSet

from .. import filters, serializers
from ..status_changes import record_status_change, status_change_schema
from .records import SOURCED, RecordViewSet


class CorridorViewSet(RecordViewSet):
    """Aid corridors through an ordered list of regions, with their status."""

    serializer_class = serializers.CorridorSerializer
    filterset_class = filters.CorridorFilterSet
    renderer_classes = [*PartnerViewSet.renderer_classes, GeoJSONRenderer]
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        CsvColumn("name", "#access+corridor+name", "name"),
        CsvColumn("origin", "#loc+origin+code", "origin"),
        CsvColumn("destination", "#loc+destination+code", "destination"),
        CsvColumn("regions", "#loc+route+code", "regions"),
        CsvColumn("status", "#access+corridor+status", "status"),
        CsvColumn("status_since", "#date+status", "status_since"),
        CsvColumn("last_verified_at", "#date+verified", "last_verified_at"),
        *SOURCED,
    ]

    @property
    def write_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return serializers.CorridorUpdateSerializer
        return serializers.CorridorWriteSerializer

    def get_queryset(self):
        return corridors_with_route()

    def create_record(self, data):
        reason = data.pop("reason", "") or "Corridor recorded"
        return services.create_corridor(actor=self.actor, reason=reason, **data)

    def update_record(self, corridor, data):
        return services.update_corridor(corridor=corridor, actor=self.actor, **data)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        self._page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(self._page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        self._page = [self.get_object()]
        return super().retrieve(request, *args, **kwargs)

    def geojson_feature(self, item):
        corridor = next((c for c in getattr(self, "_page", []) if c.pk == item["id"]), None)
        points = []
        for waypoint in corridor.waypoints.all() if corridor else []:
            if waypoint.region.latitude is not None and waypoint.region.longitude is not None:
                points.append([float(waypoint.region.longitude), float(waypoint.region.latitude)])
        geometry = {"type": "LineString", "coordinates": points} if len(points) >= 2 else None
        return {"type": "Feature", "id": item["id"], "geometry": geometry, "properties": item}

    @status_change_schema(
        summary="Open, restrict or close a corridor",
        request=serializers.CorridorStatusWriteSerializer,
        change=serializers.CorridorStatusChangeSerializer,
    )
    @action(detail=True, methods=["post"], url_path="status-changes", filterset_class=None, renderer_classes=JSON)
    def status_changes(self, request, pk=None):
        corridor = self.get_object()  # only the organisation that recorded it
        return record_status_change(
            request,
            write_serializer=serializers.CorridorStatusWriteSerializer,
            change_status=partial(services.change_corridor_status, corridor=corridor, actor=self.actor),
            change_serializer=serializers.CorridorStatusChangeSerializer,
        )
