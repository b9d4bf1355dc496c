"""What humtrack's API is compared with over HTTP (bench/http_load.py), served by the same gunicorn.

- The naive peer: the list a partner would write with DRF in an afternoon. A `ListAPIView` with a
  `ModelSerializer` over the same need figures, filtered by sector (django-filter's `filterset_fields`),
  `PageNumberPagination` of 100 (so a COUNT per page), ordered as humtrack's list. It inherits the
  project's REST_FRAMEWORK defaults, so it checks the same partner token, scope and throttle: what it
  lacks is humtrack's own list path (plain values, cursor pagination), not the security.
- The floors: plain Django views, one SQL query each, rows dumped with orjson; no token, throttle or
  pagination. The needs page and the regions list return the same rows as humtrack's; the region's
  floor answers `If-None-Match` with a 304 from the region's stored `updated_at`, as humtrack's ETag
  is made (humtrack.api.conditional.etag_for).

`urlpatterns` is humtrack's with these three under /bench/; bench/http_settings.py points the
production settings at it.
"""

import hashlib

import orjson
from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound
from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from bench.api import FLOOR_KEYS
from needs.models import NeedFigure

PAGE_SIZE = 100

FLOOR_NEEDS_SQL = """
SELECT f.id, r.pcode, r.path, f.sector, f.people_in_need, f.targeted, f.reached, f.period_start, f.period_end,
       f.is_urgent, f.notes, f.source_id, f.confidence, o.name, f.created_at, f.updated_at
FROM needs_needfigure f
JOIN access_region r ON r.id = f.region_id
LEFT JOIN humtrack_organisation o ON o.id = f.organisation_id
WHERE f.sector = %s
ORDER BY f.updated_at, f.id
LIMIT %s
"""
FLOOR_REGIONS_SQL = """
SELECT pcode, name, name_fa_af, name_ps, admin_level, path, population, latitude, longitude, access_status,
       updated_at
FROM access_region
WHERE admin_level = %s
ORDER BY updated_at, id
LIMIT %s
"""
FLOOR_REGION_KEYS = [
    "pcode", "name", "name_fa_af", "name_ps", "admin_level", "path", "population", "latitude", "longitude",
    "status", "updated_at",
]  # fmt: skip


class PeerNeedFigureSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    organisation = serializers.StringRelatedField()

    class Meta:
        model = NeedFigure
        fields = [
            "id", "region", "sector", "people_in_need", "targeted", "reached", "period_start", "period_end",
            "is_urgent", "notes", "source", "confidence", "organisation", "created_at", "updated_at",
        ]  # fmt: skip


class PeerPagination(PageNumberPagination):
    page_size = PAGE_SIZE


class PeerNeedFigureList(generics.ListAPIView):
    queryset = NeedFigure.objects.select_related("region", "organisation").order_by("updated_at", "id")
    serializer_class = PeerNeedFigureSerializer
    pagination_class = PeerPagination
    filterset_fields = ["sector"]


def _rows_as_json(sql: str, params: list, keys: list[str]) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    body = orjson.dumps({"results": rows}, option=orjson.OPT_UTC_Z, default=str)
    return HttpResponse(body, content_type="application/json")


def floor_needs(request):
    return _rows_as_json(FLOOR_NEEDS_SQL, [request.GET.get("sector", ""), PAGE_SIZE], FLOOR_KEYS)


def floor_regions(request):
    return _rows_as_json(FLOOR_REGIONS_SQL, [int(request.GET.get("level", "2")), PAGE_SIZE], FLOOR_REGION_KEYS)


def floor_region(request, pcode: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, updated_at FROM access_region WHERE pcode = %s", [pcode])
        row = cursor.fetchone()
    if row is None:
        return HttpResponseNotFound()
    raw = f"access.Region:{row[0]}:{row[1].isoformat()}"
    etag = '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(orjson.dumps({"pcode": pcode, "updated_at": row[1]}), content_type="application/json")
    response["ETag"] = etag
    return response


urlpatterns = [
    path("bench/peer/needs/", PeerNeedFigureList.as_view()),
    path("bench/floor/needs/", floor_needs),
    path("bench/floor/regions/", floor_regions),
    path("bench/floor/regions/<str:pcode>/", floor_region),
    path("", include("humtrack.urls")),
]
