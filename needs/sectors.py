"""Humanitarian sectors: HDX HAPI's codes (global coordination groups) plus Cash, Multi, Intersectoral.

Source: HDX HAPI (OCHA-DAP/hdx-hapi metadata) and OCHA-DAP/hapi-pipelines-prod core.yaml; the same
list ships as needs/fixtures/sectors.csv. The codes are the data; the names are labels people read, so
they are translated here by code (the fixture's English names are the msgids).
"""

from django.utils.translation import gettext_lazy as _

INTERSECTORAL = "Intersectoral"

SECTOR_CHOICES = [
    ("FSC", _("Food Security")),
    ("SHL", _("Emergency Shelter and NFI")),
    ("HEA", _("Health")),
    ("WSH", _("Water, Sanitation and Hygiene")),
    ("NUT", _("Nutrition")),
    ("PRO", _("Protection")),
    ("PRO-CPN", _("Child Protection")),
    ("PRO-GBV", _("Gender Based Violence")),
    ("PRO-HLP", _("Housing, Land and Property")),
    ("PRO-MIN", _("Mine Action")),
    ("EDU", _("Education")),
    ("CCM", _("Camp Coordination / Management")),
    ("ERY", _("Early Recovery")),
    ("LOG", _("Logistics")),
    ("TEL", _("Emergency Telecommunications")),
    ("Cash", _("Cash programming")),
    ("Multi", _("Multi-sector, unspecified")),
    (INTERSECTORAL, _("Intersectoral")),
]
SECTOR_CODES = frozenset(code for code, _name in SECTOR_CHOICES)
SECTOR_NAMES = dict(SECTOR_CHOICES)
