"""Access resources: regions (by p-code) with their status history, corridors, restrictions, outages, sources.

Thin: reads through access.selectors, writes through access.services, attributed to the token's
organisation (humtrack.api.permissions.request_actor).
"""

from functools import partial

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from access import services
from access.models import Region
from access.policies import can_change_region
from access.selectors.facts import corridors_with_route, outages_with_region, restrictions_with_groups, sources_listed
from access.selectors.regions import regions_with_summary
from access.selectors.status import attach_effective_status, status_history, with_effective_status
from humtrack.api.renderers import CsvColumn, GeoJSONRenderer, admin_columns
from humtrack.api.viewsets import JSON, CreateMixin, ListMixin, PartnerViewSet, RetrieveMixin, UpdateMixin

from . import filters, serializers
from .pcodes import is_pcode
from .permissions import NOT_YOUR_REGION, RegionScopedViewSet
from .status_changes import record_status_change, status_change_schema

SOURCED = [
    CsvColumn("source", "#meta+source+id", "source"),
    CsvColumn("confidence", "#meta+confidence", "confidence"),
    CsvColumn("organisation", "#org+reporting", "organisation"),
    CsvColumn("updated_at", "#date+updated", "updated_at"),
]


def point(latitude, longitude):
    if latitude is None or longitude is None:
        return None
    return {"type": "Point", "coordinates": [float(longitude), float(latitude)]}


@extend_schema_view(
    list=extend_schema(summary="Regions with their access status", description="Ordered by (updated_at, id)."),
    retrieve=extend_schema(summary="One region, by p-code"),
)
class RegionViewSet(ListMixin, RetrieveMixin, RegionScopedViewSet):
    """Regions by p-code: effective status (now or at `as_of`) and its basis, since when, source, confidence,
    active counts."""

    serializer_class = serializers.RegionSerializer
    filterset_class = filters.RegionFilterSet
    lookup_field = "pcode"
    lookup_value_regex = r"[^/]+"
    renderer_classes = [*PartnerViewSet.renderer_classes, GeoJSONRenderer]
    csv_columns = [
        *admin_columns("hierarchy"),
        CsvColumn("pcode", "#loc+code", "pcode"),
        CsvColumn("name", "#loc+name", "name"),
        CsvColumn("admin_level", "#loc+level", "admin_level"),
        CsvColumn("population", "#population", "population"),
        CsvColumn("latitude", "#geo+lat", "latitude"),
        CsvColumn("longitude", "#geo+lon", "longitude"),
        CsvColumn("status", "#access+status", "status"),
        CsvColumn("status_basis", "#access+status+basis", "status_basis"),
        CsvColumn("status_from", "#access+status+from+code", "status_from"),
        CsvColumn("status_since", "#date+status", "status_since"),
        CsvColumn("status_confidence", "#meta+confidence", "status_confidence"),
        CsvColumn("status_source_title", "#meta+source", "status_source_title"),
        CsvColumn("active_restrictions", "#access+restrictions+num", "active_restriction_count"),
        CsvColumn("active_outages", "#indicator+outages+num", "active_outage_count"),
        CsvColumn("updated_at", "#date+updated", "updated_at"),
    ]

    def get_queryset(self):
        return regions_with_summary()

    def get_object(self):
        pcode = self._pcode()
        region = with_effective_status(regions_with_summary()).filter(pcode=pcode).first()
        if region is None:
            raise Http404(f"No region with p-code {pcode}.")
        self.check_object_permissions(self.request, region)
        return attach_effective_status([region])[0]

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())  # RegionFilterSet annotates the effective status
        page = attach_effective_status(self.paginate_queryset(queryset))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def geojson_feature(self, item):
        geometry = point(item.get("latitude"), item.get("longitude"))
        return {"type": "Feature", "id": item["pcode"], "geometry": geometry, "properties": item}

    @extend_schema(summary="A region's status changes", responses=serializers.StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="status-history", filterset_class=None, renderer_classes=JSON)
    def status_history(self, request, pcode=None):
        """Append-only history, ordered by when each change was recorded (recorded_at, id)."""
        region = self._region()
        self.cursor_updated_field = "recorded_at"
        page = self.paginate_queryset(status_history(region))
        return self.get_paginated_response(serializers.StatusChangeSerializer(page, many=True).data)

    @status_change_schema(
        summary="Change a region's access status",
        request=serializers.StatusChangeWriteSerializer,
        change=serializers.StatusChangeSerializer,
    )
    @action(detail=True, methods=["post"], url_path="status-changes", filterset_class=None, renderer_classes=JSON)
    def status_changes(self, request, pcode=None):
        region = self._region()
        if not can_change_region(self.actor, region):
            raise PermissionDenied(NOT_YOUR_REGION)
        return record_status_change(
            request,
            write_serializer=serializers.StatusChangeWriteSerializer,
            change_status=partial(services.change_access_status, region=region, actor=self.actor),
            change_serializer=serializers.StatusChangeSerializer,
        )

    def _pcode(self) -> str:
        pcode = str(self.kwargs[self.lookup_field]).upper()
        if not is_pcode(pcode):  # not even shaped like a p-code: no need to ask the database
            raise Http404(f"No region with p-code {pcode!r}.")
        return pcode

    def _region(self) -> Region:
        pcode = self._pcode()
        region = Region.objects.filter(pcode=pcode).first()
        if region is None:
            raise Http404(f"No region with p-code {pcode}.")
        return region


class SourceViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, RegionScopedViewSet):
    """Where facts come from. A partner may cite any source and change the ones it recorded."""

    serializer_class = serializers.SourceSerializer
    write_serializer_class = serializers.SourceWriteSerializer
    filterset_class = filters.SourceFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        CsvColumn("publisher", "#org+publisher", "publisher"),
        CsvColumn("title", "#meta+title", "title"),
        CsvColumn("url", "#meta+url", "url"),
        CsvColumn("published_at", "#date+published", "published_at"),
        CsvColumn("kind", "#meta+kind", "kind"),
        CsvColumn("reliability", "#meta+reliability", "reliability"),
        CsvColumn("organisation", "#org+reporting", "organisation"),
        CsvColumn("updated_at", "#date+updated", "updated_at"),
    ]

    def get_queryset(self):
        return sources_listed()

    def create_record(self, data):
        return services.create_source(actor=self.actor, **data)

    def update_record(self, source, data):
        return services.update_source(source=source, actor=self.actor, **data)


class CorridorViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, RegionScopedViewSet):
    """Aid corridors through an ordered list of regions, with their status."""

    serializer_class = serializers.CorridorSerializer
    filterset_class = filters.CorridorFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
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


class RestrictionViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, RegionScopedViewSet):
    """Access constraints (ACAPS categories), with severity and who they affect; active while not ended."""

    serializer_class = serializers.RestrictionSerializer
    write_serializer_class = serializers.RestrictionWriteSerializer
    filterset_class = filters.RestrictionFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
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


class OutageViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, RegionScopedViewSet):
    """Electricity, internet, telecom, water or fuel cuts; active until restored."""

    serializer_class = serializers.OutageSerializer
    write_serializer_class = serializers.OutageWriteSerializer
    filterset_class = filters.OutageFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
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
