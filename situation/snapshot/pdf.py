"""The snapshot as a PDF (fpdf2): A4 landscape, the title and the map (its polygons drawn) on page 1, then
the count tables, the changes of status, the corridors closed, needs against reach and the sources.

English only: the PDF core fonts are Latin-1, and Dari and Pashto would need a font of their own and text
shaping (uharfbuzz), a package humtrack does not install. Region names are their English names; the page
itself prints in every language.
"""

from fpdf import FPDF
from fpdf.fonts import FontFace

from .map import SeverityMap, legend
from .selectors import Snapshot

PAGE_MARGIN = 10.0  # mm
MAP_WIDTH = 185.0  # mm; the legend goes to its right
MAP_MAX_HEIGHT = 150.0
FONT = "Helvetica"

# The core fonts' Latin-1 has no typographic dashes, arrows or quotes: their nearest plain forms.
PLAIN = str.maketrans({"–": "-", "—": "-", "−": "-", "→": "->", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})


def plain(text: object) -> str:
    return str(text).translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class SnapshotPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.snapshot_title = title
        self.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        self.set_auto_page_break(auto=True, margin=PAGE_MARGIN + 4)
        self.set_title(title)
        self.set_creator("humtrack")

    def footer(self) -> None:
        self.set_y(-PAGE_MARGIN - 2)
        self.set_font(FONT, size=7)
        self.set_text_color(90, 98, 114)
        self.cell(0, 4, plain(f"{self.snapshot_title} - page {self.page_no()}"), align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 12) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, plain(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=9)
        self.ln(1)

    def paragraph(self, text: str, size: float = 9) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, 4.4, plain(text), new_x="LMARGIN", new_y="NEXT")


def draw_map(pdf: SnapshotPDF, drawn: SeverityMap, caption: str) -> None:
    """The outlines filled by level, scaled to fit under the title, with the legend on their right."""
    top = pdf.get_y() + 2
    scale = min(1.0, MAP_MAX_HEIGHT / drawn.height) if drawn.height else 1.0
    pdf.set_draw_color(68, 68, 68)
    pdf.set_line_width(0.2)
    for area in drawn.areas:
        pdf.set_fill_color(*hex_to_rgb(area.colour))
        for ring in area.rings:
            points = [(PAGE_MARGIN + x * scale, top + y * scale) for x, y in ring]
            if len(points) >= 3:
                pdf.polygon(points, style="DF")
    left = PAGE_MARGIN + drawn.width * scale + 8
    pdf.set_xy(left, top)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(pdf.w - left - PAGE_MARGIN, 5, plain(caption), new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for entry in legend():
        y = pdf.get_y() + 1
        pdf.set_fill_color(*hex_to_rgb(entry["colour"]))
        pdf.rect(left, y, 8, 4, style="DF")
        pdf.set_xy(left + 10, y)
        pdf.cell(60, 4, plain(entry["label"]), new_x="LEFT", new_y="NEXT")
        pdf.set_x(left)
    pdf.ln(2)
    pdf.set_x(left)
    # The regions with a level by name (the map has no labels); those without, in one line.
    width = pdf.w - left - PAGE_MARGIN
    for area in sorted(drawn.areas, key=lambda area: (-(area.level or 0), area.name)):
        if area.level is not None:
            pdf.set_x(left)
            pdf.cell(width, 3.6, plain(f"{area.name}: {area.level_label}"), new_x="LEFT", new_y="NEXT")
    unknown = [area.name for area in drawn.areas if area.level is None]
    if unknown:
        pdf.set_x(left)
        pdf.multi_cell(
            width, 3.6, plain(f"No information: {len(unknown)} of {len(drawn.areas)}"), new_x="LEFT", new_y="NEXT"
        )
    if drawn.unmapped:
        pdf.set_x(left)
        pdf.multi_cell(pdf.w - left - PAGE_MARGIN, 3.6, plain("No outline loaded: " + ", ".join(
            f"{region.name} ({region.pcode})" for region, _level in drawn.unmapped
        )))  # fmt: skip


def count_table(pdf: SnapshotPDF, title: str, header: list[str], body: list[list[str]]) -> None:
    pdf.heading(title, size=10)
    pdf.set_font(FONT, size=8)
    widths = (95, 28, 28, 40, 28, 40)
    with pdf.table(
        col_widths=widths[: len(header)], text_align=("LEFT", *["RIGHT"] * (len(header) - 1)),
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 233, 238)), line_height=4.2, width=sum(widths),
        align="LEFT",
    ) as table:  # fmt: skip
        for line in [header, *body]:
            row = table.row()
            for value in line:
                row.cell(plain(value))
    pdf.ln(3)


def pdf_bytes(snapshot: Snapshot, drawn: SeverityMap) -> bytes:
    from django.utils import formats

    month = formats.date_format(snapshot.month, "F Y")
    previous_month = formats.date_format(snapshot.previous_month, "F Y")
    previous_year = formats.date_format(snapshot.previous_year, "F Y")
    title = f"Humanitarian access snapshot: {snapshot.within.name}, {month}"
    pdf = SnapshotPDF(title)
    pdf.add_page()
    pdf.heading(title, size=15)
    total = snapshot.total
    pdf.paragraph(
        f"{total.count} incidents under way in the month (previous month: {total.previous_month}, "
        f"{total.month_on_month}; a year before: {total.previous_year}, {total.year_on_year}). Counted whatever "
        "their sensitivity; months in UTC."
    )
    draw_map(pdf, drawn, f"Computed access severity in {snapshot.within.name}, {month}")

    pdf.add_page()
    header = ["", month, previous_month, "Month on month", previous_year, "Year on year"]
    for table in snapshot.counts.values():
        shown = [row for row in table.rows if not row.is_empty] or table.rows
        body = [
            [("    " if row.depth else "") + row.label, str(row.count), str(row.previous_month),
             str(row.month_on_month), str(row.previous_year), str(row.year_on_year)]
            for row in shown
        ]  # fmt: skip
        if body:
            count_table(pdf, str(table.title), header, body)

    pdf.heading("Changes of status")
    for change in snapshot.status_changes:
        before = f"{change.get_from_status_display()} -> " if change.from_status else ""
        pdf.paragraph(
            f"{change.region.name} ({change.effective_at:%d %b %Y, %H:%M} UTC): {before}"
            f"{change.get_to_status_display()} ({change.get_confidence_display()}). {change.reason} "
            f"Source: {change.source}"
        )
    if not snapshot.status_changes:
        pdf.paragraph("No status changed in the month.")
    pdf.ln(2)
    pdf.heading("Corridors closed")
    for closed in snapshot.closed_corridors:
        when = "closed since" if closed.closed_before_the_month else "closed on"
        reopened = (
            f", {closed.reopened_by.get_to_status_display()} from {closed.reopened_by.effective_at:%d %b %Y}"
            if closed.reopened_by
            else ""
        )
        pdf.paragraph(
            f"{closed.corridor.name}: {when} {closed.closed_by.effective_at:%d %b %Y}{reopened}. "
            f"{closed.closed_by.reason} Source: {closed.closed_by.source}"
        )
    if not snapshot.closed_corridors:
        pdf.paragraph("No corridor through the area was closed in the month.")
    pdf.ln(2)
    needs_section(pdf, snapshot)
    sources_section(pdf, snapshot)
    return bytes(pdf.output())


def needs_section(pdf: SnapshotPDF, snapshot: Snapshot) -> None:
    needs = snapshot.needs
    if not needs["has_figures"]:
        pdf.heading("Needs against reach")
        pdf.paragraph("No need figures cover the month.")
        return
    header = ["Sector", *[item["label"] for item in needs["intersectoral"]]]

    def figures(metrics: list[dict]) -> list[str]:
        return [item["figure"]["display"] if item["figure"] else "-" for item in metrics]

    body = [["Intersectoral", *figures(needs["intersectoral"])]]
    body += [[sector["name"], *figures(sector["metrics"])] for sector in needs["sectors"]]
    count_table(pdf, "Needs against reach (figures whose period overlaps the month)", header, body)


def sources_section(pdf: SnapshotPDF, snapshot: Snapshot) -> None:
    pdf.heading("Sources of the incidents counted")
    for entry in snapshot.incident_sources:
        day = f"{entry.source.published_at:%d %b %Y}" if entry.source.published_at else "undated"
        pdf.paragraph(
            f"{entry.source.publisher}: {entry.source.title} ({day}); confidence {entry.confidence_label}; "
            f"{entry.incidents} incident(s)"
        )
    if snapshot.need_sources:
        pdf.ln(2)
        pdf.heading("Sources of the need figures")
        for source in snapshot.need_sources:
            pdf.paragraph(str(source))
