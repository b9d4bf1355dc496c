"""Reading a bulk upload's rows: shape and references, every bad row named, in a few queries.

10,000 rows through a DRF serializer each would spend most of the request in field machinery; this
reads each row once against the model's own choices and ranges and resolves every p-code and source
id in one query each. The model's rules are the service's (needs.services.upsert_need_figures).
"""

from datetime import date

from django.utils.translation import gettext as _

from access.choices import Confidence
from access.models import Region, Source
from needs.models import MAX_COUNT, NeedFigure
from needs.sectors import SECTOR_CODES
from needs.services import RowError

MAX_ROWS = 10_000
COUNT_FIELDS = ("people_in_need", "targeted", "reached")
REQUIRED = ("region", "sector", "period_start", "period_end", "source", "confidence")
KNOWN_FIELDS = frozenset(REQUIRED + COUNT_FIELDS + ("is_urgent", "notes"))
CONFIDENCES = frozenset(Confidence.values)


class RowReader:
    """Turns the rows of a request into unsaved NeedFigures, or collects the errors of every row."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def read(self, rows) -> list[NeedFigure]:
        if not isinstance(rows, list):
            self.errors.append(RowError(0, "rows", _('Send a JSON object {"rows": [...]} with a list of rows.')))
            return []
        if not rows:
            self.errors.append(RowError(0, "rows", _("No rows.")))
        if len(rows) > MAX_ROWS:
            self.errors.append(
                RowError(MAX_ROWS, "rows", _("At most %(count)d rows per request.") % {"count": MAX_ROWS})
            )
            return []
        regions = self._region_ids(rows)
        sources = self._source_ids(rows)
        figures = []
        for number, row in enumerate(rows):
            figure = self._figure(number, row, regions, sources)
            if figure is not None:
                figures.append(figure)
        return figures

    def error(self, row: int, field: str, message: str) -> None:
        self.errors.append(RowError(row, field, message))

    @staticmethod
    def _region_ids(rows) -> dict[str, int]:
        pcodes = {r["region"].upper() for r in rows if isinstance(r, dict) and isinstance(r.get("region"), str)}
        return dict(Region.objects.filter(pcode__in=pcodes).values_list("pcode", "id"))

    @staticmethod
    def _source_ids(rows) -> set[int]:
        wanted = [r.get("source") for r in rows if isinstance(r, dict)]
        ids = {i for i in wanted if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_COUNT}
        return set(Source.objects.filter(pk__in=ids).values_list("id", flat=True))

    def _figure(self, number: int, row, regions: dict[str, int], sources: set[int]) -> NeedFigure | None:
        if not isinstance(row, dict):
            self.error(number, "non_field_errors", "A row is a JSON object.")
            return None
        before = len(self.errors)
        for name in REQUIRED:
            if row.get(name) in (None, ""):
                self.error(number, name, "This field is required.")
        for name in sorted(set(row) - KNOWN_FIELDS):
            self.error(number, name, "Unknown field.")
        if len(self.errors) > before:
            return None

        region = row["region"]
        region_id = regions.get(region.upper()) if isinstance(region, str) else None
        if region_id is None:
            self.error(number, "region", _("No region with p-code %(pcode)r.") % {"pcode": region})
        sector = row["sector"]
        if not isinstance(sector, str) or sector not in SECTOR_CODES:
            self.error(number, "sector", _("%(sector)r is not a sector code (see the schema).") % {"sector": sector})
        period_start = self._date(number, "period_start", row["period_start"])
        period_end = self._date(number, "period_end", row["period_end"])
        counts = {name: self._count(number, name, row.get(name)) for name in COUNT_FIELDS}
        source = row["source"]
        if not (isinstance(source, int) and not isinstance(source, bool) and source in sources):
            self.error(number, "source", _("No source with id %(source)r.") % {"source": source})
        confidence = row["confidence"]
        if not isinstance(confidence, str) or confidence not in CONFIDENCES:
            self.error(number, "confidence", _("One of: %(values)s.") % {"values": ", ".join(Confidence.values)})
        is_urgent = row.get("is_urgent", False)
        if not isinstance(is_urgent, bool):
            self.error(number, "is_urgent", "true or false.")
        notes = row.get("notes", "")
        if not isinstance(notes, str):
            self.error(number, "notes", "A string.")
        # A missing region or date has been named as an error above; the last three only narrow the types.
        if len(self.errors) > before or region_id is None or period_start is None or period_end is None:
            return None
        return NeedFigure(
            region_id=region_id,
            sector=sector,
            period_start=period_start,
            period_end=period_end,
            source_id=source,
            confidence=confidence,
            is_urgent=is_urgent,
            notes=notes,
            **counts,
        )

    def _date(self, number: int, name: str, value) -> date | None:
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(number, name, "A date as YYYY-MM-DD.")
        return None

    def _count(self, number: int, name: str, value) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
            return value
        self.error(number, name, "A whole number of people, 0 or more, or null when the source gives none.")
        return None
