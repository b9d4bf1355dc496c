"""The monthly access snapshot's page and its downloads (PDF, CSV, XLSX), at /situation/snapshot/.

Readable without an account, like a published ACAPS or OCHA snapshot: its counts are the same for every
reader, and an incident's description shows only to a reader who may read it (with_details_visible).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_safe

from access.models import Region
from humtrack.actor import Actor

from ..selectors import default_area
from . import exports, pdf
from .forms import SnapshotForm
from .map import legend, map_title, severity_map
from .selectors import Snapshot, last_complete_month, snapshot

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def month_label(snapshot_: Snapshot) -> str:
    return formats.date_format(snapshot_.month, "F Y")


def file_name(snapshot_: Snapshot, extension: str) -> str:
    """access-snapshot-2021-09-AF.csv: the month and the area's p-code, safe in any header."""
    return f"access-snapshot-{snapshot_.month:%Y-%m}-{snapshot_.within.pcode}.{extension}"


def download(snapshot_: Snapshot, kind: str) -> HttpResponse:
    if kind == "csv":
        body = exports.csv_bytes(snapshot_)
    elif kind == "xlsx":
        body = exports.xlsx_bytes(snapshot_)
    else:
        # The PDF is in English: Dari and Pashto need a font and text shaping fpdf2 cannot do without
        # another package (uharfbuzz). The page prints in every language.
        with override("en"):
            body = pdf.pdf_bytes(snapshot_, severity_map(snapshot_.map_regions, snapshot_.levels, width=pdf.MAP_WIDTH))
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{file_name(snapshot_, kind)}"'
    return response


@require_safe
def snapshot_page(request: HttpRequest) -> HttpResponse:
    form = SnapshotForm(request.GET)
    if not form.is_valid():
        # A bad month or format: say which, with the form to put it right; nothing counted, no mistaking it.
        return render(request, "situation/snapshot.html", {"form": form, "snapshot": None}, status=400)
    within_code = form.cleaned_data["within"]
    within = Region.objects.filter(pcode=within_code).first() if within_code else default_area()
    if within is None:
        raise Http404(_("No region has the p-code %(pcode)s.") % {"pcode": within_code})
    month = form.cleaned_data["month"] or last_complete_month(timezone.now().date())
    found = snapshot(month=month, within=within, actor=Actor(user=request.user))
    kind = form.cleaned_data["format"]
    if kind != "html":
        return download(found, kind)
    label = month_label(found)
    context = {
        "form": form,
        "snapshot": found,
        "month_label": label,
        "previous_month_label": formats.date_format(found.previous_month, "F Y"),
        "previous_year_label": formats.date_format(found.previous_year, "F Y"),
        "map": severity_map(found.map_regions, found.levels),
        "map_title": map_title(within, label),
        "legend": legend(),
        "tables": list(found.counts.values()),
        "query": f"month={found.month:%Y-%m}&within={within.pcode}",
    }
    return render(request, "situation/snapshot.html", context)
