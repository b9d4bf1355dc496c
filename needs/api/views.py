"""Need figures: list (fast), detail, create, update, the roll-up summary and the bulk upsert."""

from dataclasses import asdict

from django.db.models import CharField, Func
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from access.api.pcodes import PcodeField, region_for_parameter
from access.api.serializers import hierarchy_of
from access.api.views.records import RecordViewSet
from access.policies import can_upload_needs
from humtrack.api.exceptions import ConflictError, RowErrors
from humtrack.api.parsers import ORJSONParser
from humtrack.api.renderers import CsvColumn, admin_columns
from humtrack.api.viewsets import JSON
from humtrack.prepared_query import PreparedRows
from needs import services
from needs.models import NeedFigure
from needs.sectors import SECTOR_CHOICES
from needs.selectors import figure_warnings, need_figures, needs_rollup

from . import filters, serializers
from .bulk import RowReader


class IsoDateTime(Func):
    """A date-time column as DRF's DateTimeField writes it, made by the database: ISO 8601 in UTC with
    `Z`, microseconds only when there are some ('2021-09-01T08:00:00Z', '2021-09-01T08:00:00.500000Z').

    Rewritten in Python, a page's 200 date-times took about 60 µs of a needs request's ~1.9 ms (issue 17).
    """

    arity = 1
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = (
            "replace(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
        )
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps an aware date-time on SQLite as str() of it in UTC: 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
        template = "replace(%(expressions)s, ' ', 'T') || 'Z'"
        return self.as_sql(compiler, connection, template=template, **extra_context)


# The list reads plain tuples and builds the items itself: 1,000 figures through a serializer each would
# cost more than the query, and a dict per row from .values() cost about 60 µs more. Dates come as the
# database's text, date-times in the serializer's form (IsoDateTime): no parsing into Python objects and
# back. tests/needs/api/test_views.py checks the items equal the serializer's on SQLite and PostgreSQL.
# Built once: resolving the columns and their casts again for every request cost more than half a
# millisecond of a page. The filters and the cursor narrow a copy (a queryset is never changed in place).
# The columns first, then the expressions: the order the database returns them in, so that PreparedRows
# can read the rows itself (humtrack.prepared_query).
LIST_ROWS = need_figures().values_list(
    "id", "region__pcode", "region__path", "sector", "people_in_need", "targeted", "reached", "is_urgent", "notes",
    "source_id", "confidence", "organisation__name", Cast("period_start", output_field=CharField()),
    Cast("period_end", output_field=CharField()), IsoDateTime("created_at"), IsoDateTime("updated_at"),
)  # fmt: skip
# Each shape of the list's query (its filters, cursor and page size) compiled once per process.
LIST_STATEMENTS = PreparedRows(LIST_ROWS)


def need_figure_position(row: tuple) -> tuple[str, int]:
    """Where a row of LIST_ROWS stands in the cursor's order: (updated_at as text, id)."""
    return row[15], row[0]


def need_figure_items(rows) -> list[dict]:
    return [
        {
            "id": pk,
            "region": pcode,
            "region_hierarchy": hierarchy_of(path),
            "sector": sector,
            "people_in_need": people_in_need,
            "targeted": targeted,
            "reached": reached,
            "warnings": figure_warnings(people_in_need=people_in_need, targeted=targeted, reached=reached),
            "period_start": period_start,
            "period_end": period_end,
            "is_urgent": is_urgent,
            "notes": notes,
            "source": source,
            "confidence": confidence,
            "organisation": organisation,
            "created_at": created_at,
            "updated_at": updated_at,
        }
        for (
            pk, pcode, path, sector, people_in_need, targeted, reached, is_urgent, notes, source, confidence,
            organisation, period_start, period_end, created_at, updated_at,
        ) in rows
    ]  # fmt: skip


KEY_FIELDS = ("region", "sector", "period_start", "period_end")


def refuse_duplicate(data: dict, figure: NeedFigure | None = None) -> None:
    """A 409 naming the existing figure when `data` (the changes to `figure`, if given) would give a
    second figure for one region, sector and period: the partner reads or updates that one instead. The
    model's unique rule stays the last word (a figure written meanwhile is a 409 there too)."""
    key = {name: data[name] if name in data else getattr(figure, name) for name in KEY_FIELDS}
    existing = NeedFigure.objects.filter(**key)
    if figure is not None:
        existing = existing.exclude(pk=figure.pk)
    if existing_id := existing.values_list("pk", flat=True).first():
        detail = _("A need figure for this region, sector and period exists already (id %(id)s).") % {"id": existing_id}
        raise ConflictError(detail, existing=existing_id)


class SummaryQuerySerializer(drf_serializers.Serializer):
    within = PcodeField(help_text="The area's p-code: the roll-up covers it and all under it.")
    sector = drf_serializers.ChoiceField(choices=SECTOR_CHOICES, required=False)
    period_start = drf_serializers.DateField(required=False)
    period_end = drf_serializers.DateField(required=False)


@extend_schema_view(list=extend_schema(summary="Need figures", description="Ordered by (updated_at, id)."))
class NeedFigureViewSet(RecordViewSet):
    """People in need, targeted and reached per region, sector and period."""

    serializer_class = serializers.NeedFigureSerializer
    write_serializer_class = serializers.NeedFigureWriteSerializer
    filterset_class = filters.NeedFigureFilterSet
    cursor_position = staticmethod(need_figure_position)  # the list's rows are tuples
    page_rows = staticmethod(LIST_STATEMENTS.rows)  # see LIST_STATEMENTS
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        *admin_columns("region_hierarchy"),
        CsvColumn("region", "#loc+code", "region"),
        CsvColumn("sector", "#sector+code", "sector"),
        CsvColumn("people_in_need", "#inneed", "people_in_need"),
        CsvColumn("targeted", "#targeted", "targeted"),
        CsvColumn("reached", "#reached", "reached"),
        CsvColumn("period_start", "#date+start", "period_start"),
        CsvColumn("period_end", "#date+end", "period_end"),
        CsvColumn("is_urgent", "#status+urgent", "is_urgent"),
        CsvColumn("notes", "#description", "notes"),
        CsvColumn("source", "#meta+source+id", "source"),
        CsvColumn("confidence", "#meta+confidence", "confidence"),
        CsvColumn("organisation", "#org+reporting", "organisation"),
        CsvColumn("updated_at", "#date+updated", "updated_at"),
    ]

    def get_queryset(self):
        return need_figures()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(LIST_ROWS.all()))
        return self.get_paginated_response(need_figure_items(page))

    def create_record(self, data):
        refuse_duplicate(data)
        return services.record_need_figure(actor=self.actor, **data)

    def update_record(self, figure, data):
        refuse_duplicate(data, figure=figure)
        return services.update_need_figure(figure=figure, actor=self.actor, **data)

    @extend_schema(
        summary="Roll-up of needs in an area",
        description="Per sector and intersectoral. A figure reported for a region is its figure, never replaced "
        "by a sum of parts; a region without one is the sum of its children's (a lower bound when not every child "
        "has one); where both exist and differ, `children_sum` gives the children's beside it. Intersectoral: the "
        "reported figure, else the larger of the children's sum and the largest sector, a lower bound; never the "
        "sum over sectors. Each figure says its rule, coverage and the regions it came from (docs/api.md).",
        parameters=[SummaryQuerySerializer],
        responses=serializers.NeedsSummarySerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        filterset_class=None,
        pagination_class=None,
        renderer_classes=JSON,
        query_parameters=SummaryQuerySerializer,
    )
    def summary(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        within = region_for_parameter("within", params["within"]).pcode
        rollup = needs_rollup(
            pcode=within,
            sector=params.get("sector"),
            period_start=params.get("period_start"),
            period_end=params.get("period_end"),
        )
        return Response(serializers.NeedsSummarySerializer(rollup).data)

    @extend_schema(
        summary="Create or update up to 10,000 figures at once",
        description="Keyed by region, sector and period. All or nothing: with any bad row nothing is written "
        "and the answer names each row (from 0) and field.",
        request=serializers.BulkUploadSerializer,
        responses={200: serializers.BulkResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        filterset_class=None,
        pagination_class=None,
        parser_classes=[ORJSONParser],
        renderer_classes=JSON,
    )
    def bulk(self, request):
        if not can_upload_needs(self.actor):
            raise PermissionDenied(_("Bulk uploads by session are for superusers; partners use a token."))
        body = request.data
        reader = RowReader()
        figures = reader.read(body.get("rows") if isinstance(body, dict) else None)
        if reader.errors:
            raise RowErrors([asdict(error) for error in reader.errors])
        try:
            result = services.upsert_need_figures(figures=figures, actor=self.actor)
        except services.InvalidRows as error:
            raise RowErrors([asdict(e) for e in error.row_errors]) from None
        except services.RowsOfAnotherOrganisation as error:
            raise RowErrors([asdict(e) for e in error.row_errors], status.HTTP_403_FORBIDDEN, str(error)) from None
        return Response(asdict(result))
