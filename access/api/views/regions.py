"""Regions by p-code: the effective status and what is active there, the status history, status changes."""

from functools import partial

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from access import services
from access.models import Region
from access.policies import can_change_region
from access.selectors.regions import regions_with_summary
from access.selectors.status import attach_effective_status, status_history, with_effective_status
from humtrack.api.conditional import etag_for, is_not_modified
from humtrack.api.renderers import CsvColumn, GeoJSONRenderer, admin_columns
from humtrack.api.viewsets import JSON, ListMixin, PartnerViewSet, RetrieveMixin

from .. import filters, serializers
from ..pcodes import PCODE_PATH_REGEX, is_pcode
from ..permissions import NOT_YOUR_REGION, RegionScopedViewSet
from ..status_changes import record_status_change, status_change_schema


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
    # The schema states the shape; a path not shaped like a p-code is the API's catch-all 404.
    lookup_value_regex = PCODE_PATH_REGEX
    renderer_classes = [*PartnerViewSet.renderer_classes, GeoJSONRenderer]
    csv_columns = [
        *admin_columns("hierarchy"),
        CsvColumn("pcode", "#loc+code", "pcode"),
        CsvColumn("name", "#loc+name", "name"),
        # HXL marks a language with +i_<ISO 639 code>: prs is Dari, ps Pashto.
        CsvColumn("name_fa_af", "#loc+name+i_prs", "names.fa-af"),
        CsvColumn("name_ps", "#loc+name+i_ps", "names.ps"),
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
        # The API shows no outline (Region.boundary, GeoJSON), the region's nor its parent's: read and parsed
        # for nothing, a province's was most of the time of a page of districts (bench/http_load.py).
        return regions_with_summary(Region.objects.defer("boundary", "parent__boundary"))

    def get_object(self):
        pcode = self._pcode()
        region = with_effective_status(self.get_queryset()).filter(pcode=pcode).first()
        if region is None:
            raise Http404(_("No region with p-code %(pcode)s.") % {"pcode": pcode})
        self.check_object_permissions(self.request, region)
        return attach_effective_status([region])[0]

    def retrieve(self, request, *args, **kwargs):
        # A partner re-reading a region it holds: the ETag is made of the region's id and updated_at
        # (etag_for), one indexed row; the effective status and the counts are worked out only for a 200.
        if request.headers.get("If-None-Match"):
            stamp = Region.objects.only("pk", "updated_at").filter(pcode=self._pcode()).first()
            if stamp is not None:
                self.check_object_permissions(request, stamp)
                if is_not_modified(request, stamp):
                    return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag_for(stamp)})
        return super().retrieve(request, *args, **kwargs)

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
            raise Http404(_("No region with p-code %(pcode)r.") % {"pcode": pcode})
        return pcode

    def _region(self) -> Region:
        pcode = self._pcode()
        region = Region.objects.filter(pcode=pcode).first()
        if region is None:
            raise Http404(_("No region with p-code %(pcode)s.") % {"pcode": pcode})
        return region
