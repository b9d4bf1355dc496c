"""Response formats: JSON (orjson), CSV with an HXL hashtag row, GeoJSON.

CSV and GeoJSON need to know a resource's columns and geometry; a view provides them:
`csv_columns` — a list of CsvColumn(header, hxl, key) — and `geojson_feature(item) -> Feature dict`.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer

ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value):
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    # lazy translation strings, ErrorDetail and the like
    return str(value)


def dumps(data) -> bytes:
    return orjson.dumps(data, default=_default, option=ORJSON_OPTIONS)


class ORJSONRenderer(JSONRenderer):
    """JSON, fast: list pages of 1,000 rows are the common case for partners syncing."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)


@dataclass(frozen=True)
class CsvColumn:
    header: str
    hxl: str
    key: str  # a key of the JSON item; dotted for nested values, digits index lists ("hierarchy.1")


def admin_columns(key: str) -> list[CsvColumn]:
    """adm0/adm1/adm2 p-code columns from a list of p-codes, country first."""
    return [
        CsvColumn("adm0_pcode", "#country+code", f"{key}.0"),
        CsvColumn("adm1_pcode", "#adm1+code", f"{key}.1"),
        CsvColumn("adm2_pcode", "#adm2+code", f"{key}.2"),
    ]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def csv_safe(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    text = value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else str(value)
    if text.startswith(FORMULA_STARTS):
        # A leading apostrophe makes spreadsheets show the text as text; the data stays readable.
        return "'" + text
    return text


def _lookup(item: dict[str, Any], key: str) -> Any:
    value: Any = item  # one step down the key at a time: a dict, a list, a leaf or None
    for part in key.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            return None
    return value


class CSVRenderer(BaseRenderer):
    """CSV: a header row, an HXL hashtag row (#adm1+code, #sector, #inneed…), then the rows."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        import csv
        import io

        view = (renderer_context or {}).get("view")
        columns = getattr(view, "csv_columns", None) or []
        rows = data.get("results", [data]) if isinstance(data, dict) else (data or [])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        writer.writerow([c.hxl for c in columns])
        for row in rows:
            writer.writerow([csv_safe(_lookup(row, c.key)) for c in columns])
        return buffer.getvalue().encode(self.charset)


class GeoJSONRenderer(BaseRenderer):
    """A FeatureCollection of a list page (with its `next` and `resume` links), or one Feature."""

    media_type = "application/geo+json"
    format = "geojson"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        if isinstance(data, dict) and "results" in data:
            collection = {
                "type": "FeatureCollection",
                "features": [view.geojson_feature(item) for item in data["results"]],
                "next": data.get("next"),
                "resume": data.get("resume"),
            }
            return dumps(collection)
        return dumps(view.geojson_feature(data))
