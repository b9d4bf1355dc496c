"""The snapshot's count tables as downloads: CSV (one long table) and XLSX (openpyxl, one sheet per table).

Both carry the same rows as the page: `table` (category, incident_type, region, perpetrator_type; and
`total`), `key` (the machine value or p-code), `label` (in the reader's language), this month's `count`,
`previous_month` and `previous_year`.
"""

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook

from .selectors import CountRow, Snapshot

COLUMNS = ("table", "key", "label", "count", "previous_month", "previous_year")
TOTAL = "total"


def rows(snapshot: Snapshot) -> Iterator[tuple[str, str, str, int, int, int]]:
    """Every count row of the snapshot, the total first, in the page's order."""
    tables: list[tuple[str, list[CountRow]]] = [(TOTAL, [snapshot.total])]
    tables += [(key, table.rows) for key, table in snapshot.counts.items()]
    for key, table_rows in tables:
        for row in table_rows:
            yield key, row.key, row.label, row.count, row.previous_month, row.previous_year


def csv_bytes(snapshot: Snapshot) -> bytes:
    # UTF-8 with a byte-order mark: spreadsheet programs then read Dari and Pashto labels correctly.
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(rows(snapshot))
    return text.getvalue().encode("utf-8-sig")


def xlsx_bytes(snapshot: Snapshot) -> bytes:
    workbook = Workbook(write_only=True)
    by_table: dict[str, list[tuple]] = {}
    for table, *rest in rows(snapshot):
        by_table.setdefault(table, []).append(tuple(rest))
    for table, table_rows in by_table.items():
        sheet = workbook.create_sheet(title=table[:31])  # Excel's limit on a sheet's name
        sheet.column_dimensions["B"].width = 60  # the labels
        sheet.freeze_panes = "A2"
        sheet.append(COLUMNS[1:])
        for row in table_rows:
            sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
