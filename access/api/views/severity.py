"""A region's access severity for a month (access.selectors.severity), for one region by p-code and for many
regions at once: read only, with the `read` scope.

`/api/v1/regions/{pcode}/severity/?month=2021-09` and `/api/v1/severity/?month=2021-09&within=AF&level=4`
(a page of regions in p-code path order, limit/offset as the other lists read whole in a fixed order).
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from access.models import Region
from access.selectors.regions import regions_within
from access.selectors.severity import region_severity, severities_for_month
from humtrack.api.pagination import BoundedLimitOffsetPagination
from humtrack.api.viewsets import JSON, PartnerViewSet

from ..pcodes import API_PCODE_SCHEMA, PCODE_PATH_REGEX, is_pcode, region_for_parameter
from ..severity_serializers import MonthQuerySerializer, RegionSeveritySerializer, SeverityListQuerySerializer

RULES = "Indicators 0–3 (null: no information, ACAPS's X) from the month's incidents and restrictions, a "
RULES += "coordinator's override replacing the computed score; pillars the mean of their indicators; overall "
RULES += "ACAPS's 0–5; a province the worst of its own evidence and its districts'. docs/severity.md."


class RegionSeverityViewSet(PartnerViewSet):
    """One region's month."""

    renderer_classes = JSON
    queryset = Region.objects.none()  # for the schema: the reads go through access.selectors.severity
    serializer_class = RegionSeveritySerializer
    pagination_class = None
    query_parameters = MonthQuerySerializer
    lookup_field = "pcode"
    lookup_value_regex = PCODE_PATH_REGEX

    @extend_schema(
        summary="A region's access severity for a month",
        description=RULES,
        parameters=[
            OpenApiParameter("pcode", API_PCODE_SCHEMA, OpenApiParameter.PATH, description="The region's p-code."),
            MonthQuerySerializer,
        ],
        responses=RegionSeveritySerializer,
    )
    def retrieve(self, request, pcode=None):
        query = MonthQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        code = str(pcode).upper()
        region = Region.objects.filter(pcode=code).first() if is_pcode(code) else None
        if region is None:
            raise Http404(_("No region with p-code %(pcode)s.") % {"pcode": code})
        severity = region_severity(region=region, month=query.validated_data["month"])
        return Response(RegionSeveritySerializer(severity).data)


class SeverityViewSet(PartnerViewSet):
    """Many regions' month: every region, or those within one; optionally only one overall level."""

    renderer_classes = JSON
    queryset = Region.objects.none()  # for the schema: the reads go through access.selectors.severity
    serializer_class = RegionSeveritySerializer
    pagination_class = BoundedLimitOffsetPagination
    query_parameters = SeverityListQuerySerializer

    @extend_schema(
        summary="Regions' access severity for a month",
        description=f"In p-code path order (a province before its districts). {RULES}",
        parameters=[SeverityListQuerySerializer],
        responses=RegionSeveritySerializer(many=True),
    )
    def list(self, request):
        query = SeverityListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        regions = Region.objects.order_by("path")
        if "within" in params:
            regions = regions_within(region_for_parameter("within", params["within"]).pcode, regions)
        severities = list(severities_for_month(month=params["month"], regions=regions).values())
        if "level" in params:
            severities = [severity for severity in severities if severity.overall == params["level"]]
        page = self.paginate_queryset(severities)
        return self.get_paginated_response(RegionSeveritySerializer(page, many=True).data)
