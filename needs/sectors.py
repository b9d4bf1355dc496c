"""Humanitarian sectors: HDX HAPI's codes (global coordination groups) plus Cash, Multi, Intersectoral.

Source: HDX HAPI (OCHA-DAP/hdx-hapi metadata) and OCHA-DAP/hapi-pipelines-prod core.yaml; the same
list ships as needs/fixtures/sectors.csv.
"""

INTERSECTORAL = "Intersectoral"

SECTOR_CHOICES = [
    ("FSC", "Food Security"),
    ("SHL", "Emergency Shelter and NFI"),
    ("HEA", "Health"),
    ("WSH", "Water, Sanitation and Hygiene"),
    ("NUT", "Nutrition"),
    ("PRO", "Protection"),
    ("PRO-CPN", "Child Protection"),
    ("PRO-GBV", "Gender Based Violence"),
    ("PRO-HLP", "Housing, Land and Property"),
    ("PRO-MIN", "Mine Action"),
    ("EDU", "Education"),
    ("CCM", "Camp Coordination / Management"),
    ("ERY", "Early Recovery"),
    ("LOG", "Logistics"),
    ("TEL", "Emergency Telecommunications"),
    ("Cash", "Cash programming"),
    ("Multi", "Multi-sector, unspecified"),
    (INTERSECTORAL, "Intersectoral"),
]
SECTOR_CODES = frozenset(code for code, _ in SECTOR_CHOICES)
SECTOR_NAMES = dict(SECTOR_CHOICES)
