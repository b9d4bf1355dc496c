"""Need figures in HDX HAPI's humanitarian-needs shape: `GET /api/v1/needs/hapi/`, JSON or CSV with HXL.

The rows, their columns and filters are HAPI's (`/api/v1/affected-people/humanitarian-needs`): one row
per figure and population status (needs.selectors.hapi), `limit`/`offset` pages of up to 10,000 rows,
`output_format=json|csv`; plus humtrack's `source` and `confidence`. Figures as reported, never roll-ups.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError

from humtrack.api.negotiation import PartnerContentNegotiation
from humtrack.api.pagination import BoundedLimitOffsetPagination
from humtrack.api.renderers import CsvColumn
from humtrack.api.viewsets import ListMixin, PartnerViewSet
from needs.selectors.hapi import hapi_need_figures

from . import filters, serializers

OUTPUT_FORMATS = ("json", "csv")


class HapiPagination(BoundedLimitOffsetPagination):
    """HAPI's bounds: up to 10,000 rows a page, 10,000 unless asked."""

    default_limit = 10_000
    max_limit = 10_000


class OutputFormatNegotiation(PartnerContentNegotiation):
    """HAPI's `output_format=json|csv` names the format as `format` does; any other value is a 400 naming it."""

    def select_renderer(self, request, renderers, format_suffix=None):
        output_format = request.query_params.get("output_format")
        if output_format is not None:
            if output_format not in OUTPUT_FORMATS:
                raise ValidationError(
                    {"output_format": [_("One of: %(values)s.") % {"values": ", ".join(OUTPUT_FORMATS)}]}
                )
            format_suffix = output_format
        return super().select_renderer(request, renderers, format_suffix)


@extend_schema(
    summary="Need figures in HDX HAPI's shape",
    description="One row per reported figure and population status (`INN` in need, `TGT` targeted, `REA` "
    "reached), with HDX HAPI's columns and filter names, plus humtrack's `source` and `confidence`. Figures as "
    "reported for each region, never roll-ups: never sum rows across sectors, statuses or admin levels. "
    "Ordered by region (country first), sector and period; `limit` (at most 10,000) and `offset` page it.",
    parameters=[
        OpenApiParameter(
            "output_format", OpenApiTypes.STR, enum=OUTPUT_FORMATS, description="json (default) or csv (with HXL)."
        )
    ],
)
class HapiNeedsViewSet(ListMixin, PartnerViewSet):
    """HDX HAPI's humanitarian needs, from humtrack's need figures (read only)."""

    serializer_class = serializers.HapiNeedSerializer
    filterset_class = filters.HapiNeedsFilterSet
    pagination_class = HapiPagination
    content_negotiation_class = OutputFormatNegotiation
    query_parameters = ("output_format",)  # HAPI's name for `format` (OutputFormatNegotiation)
    http_method_names = ["get", "head", "options"]
    # HXL: HAPI's rows are long (a status per row), so the status is the indicator and the population its value.
    csv_columns = [
        CsvColumn("location_code", "#country+code", "location_code"),
        CsvColumn("location_name", "#country+name", "location_name"),
        CsvColumn("admin1_code", "#adm1+code", "admin1_code"),
        CsvColumn("admin1_name", "#adm1+name", "admin1_name"),
        CsvColumn("admin2_code", "#adm2+code", "admin2_code"),
        CsvColumn("admin2_name", "#adm2+name", "admin2_name"),
        CsvColumn("admin_level", "#meta+admin_level", "admin_level"),
        CsvColumn("sector_code", "#sector+code", "sector_code"),
        CsvColumn("sector_name", "#sector+name", "sector_name"),
        CsvColumn("population_status", "#indicator+code", "population_status"),
        CsvColumn("population", "#indicator+value+num", "population"),
        CsvColumn("reference_period_start", "#date+start", "reference_period_start"),
        CsvColumn("reference_period_end", "#date+end", "reference_period_end"),
        CsvColumn("source", "#meta+source+id", "source"),
        CsvColumn("confidence", "#meta+confidence", "confidence"),
    ]

    def get_queryset(self):
        return hapi_need_figures()  # HapiNeedsFilterSet makes its rows
