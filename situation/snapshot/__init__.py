"""The monthly access snapshot (issue 16 §3): a month's incidents counted by category, type, region and
perpetrator type with month-on-month and year-on-year change, the regions by computed severity on a map,
the changes of status and corridors closed, needs against reach, and the sources of it all; as a page
that prints on A4 landscape, and as PDF, CSV and XLSX downloads.

selectors.py reads it (one `Snapshot`), map.py projects the outlines, views.py serves it, exports.py and
pdf.py write the downloads from the same `Snapshot`.
"""
