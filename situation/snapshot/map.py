"""The snapshot's map: region outlines (Region.boundary, GeoJSON) projected onto a plane, each with its
computed severity level, for the page's inline SVG and the PDF's polygons alike.

A plain equirectangular projection, longitudes shrunk by the cosine of the map's middle latitude so that a
country the size of Afghanistan keeps its shape; y grows downwards as in SVG and PDF. No script draws it:
the map prints and goes into the PDF as it is.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from access.choices import SeverityLevel
from access.models import Region

MAP_WIDTH = 1000.0
# The drawn level's class and legend; "no information" is not a level and never looks like 0.
NO_INFORMATION = "none"
NO_INFORMATION_LABEL = gettext_lazy("No information")
# Fill colours, light to dark as ACAPS's scale from no constraints to extreme; no information hatched grey.
LEVEL_COLOURS = {
    0: "#f7f4f0",
    1: "#fde0c5",
    2: "#facba6",
    3: "#f59e72",
    4: "#e4633c",
    5: "#a82a1a",
    NO_INFORMATION: "#d9d9d9",
}

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class MapArea:
    """One region as drawn: its outline's rings in map units, its level and the words that name both."""

    region: Region
    name: str
    level: int | None
    rings: list[Ring]

    @property
    def level_key(self) -> int | str:
        return NO_INFORMATION if self.level is None else self.level

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS[self.level_key]

    @property
    def svg_path(self) -> str:
        return " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z" for ring in self.rings)


@dataclass(frozen=True)
class SeverityMap:
    areas: list[MapArea]
    unmapped: list[tuple[Region, int | None]]  # regions without a loaded outline: listed beside the map
    width: float
    height: float

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:.0f} {self.height:.0f}"


def level_label(level: int | None) -> str:
    if level is None:
        return str(NO_INFORMATION_LABEL)
    return f"{level} – {SeverityLevel(level).label}"


def legend() -> list[dict[str, Any]]:
    """The scale from 0 to 5, then "no information", which stands outside it."""
    entries: list[int | None] = [*range(6), None]
    return [
        {"key": NO_INFORMATION if level is None else level, "label": level_label(level), "colour": LEVEL_COLOURS[
            NO_INFORMATION if level is None else level
        ]}
        for level in entries
    ]  # fmt: skip


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Every ring (outer and holes) of a Polygon or MultiPolygon, as [longitude, latitude] pairs."""
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def severity_map(regions: Iterable[Region], levels: dict[int, int | None], width: float = MAP_WIDTH) -> SeverityMap:
    """The regions with an outline projected to fit `width`; the others listed as unmapped."""
    language = get_language() or "en"
    outlined = [(region, _rings(region.boundary)) for region in regions if region.boundary]
    unmapped = [(region, levels.get(region.pk)) for region in regions if not region.boundary]
    points = [point for _region, rings in outlined for ring in rings for point in ring]
    if not points:
        return SeverityMap(areas=[], unmapped=unmapped, width=width, height=0)
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * shrink, 1e-9)
    scale = width / span_x
    height = (north - south) * scale

    def project(longitude: float, latitude: float) -> tuple[float, float]:
        return (longitude - west) * shrink * scale, (north - latitude) * scale

    areas = [
        MapArea(
            region=region,
            name=region.localised_name(language),
            level=levels.get(region.pk),
            rings=[[project(lon, lat) for lon, lat, *_rest in ring] for ring in rings],
        )
        for region, rings in outlined
    ]
    return SeverityMap(areas=areas, unmapped=unmapped, width=width, height=height)


def map_title(area: Region, month_label: str) -> str:
    return _("Computed access severity in %(area)s, %(month)s") % {
        "area": area.localised_name(get_language() or "en"),
        "month": month_label,
    }
