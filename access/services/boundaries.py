"""Region boundaries from GeoJSON, for any country: each feature is matched to a region by p-code."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.models import Region
from humtrack.actor import Actor
from humtrack.services import save_validated

# What the map can draw; points and lines are not an area's outline.
AREA_GEOMETRY_TYPES = {"Polygon", "MultiPolygon"}


@dataclass
class BoundaryImportResult:
    updated: int = 0
    unchanged: int = 0
    updated_pcodes: list[str] = field(default_factory=list)


def _feature_error(number: int, message: str) -> ValidationError:
    return ValidationError(_("Feature %(number)s: %(message)s") % {"number": number, "message": message})


# GeoJSON as json.load gives it: a feature, a geometry.
GeoJSON = dict[str, Any]


def _parse(features: Iterable[GeoJSON]) -> dict[str, GeoJSON]:
    """p-code → geometry, checking each feature's shape before anything is written."""
    geometries = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise _feature_error(number, _("is not a GeoJSON feature object."))
        properties = feature.get("properties") or {}
        pcode = str(properties.get("pcode") or "").strip().upper()
        if not pcode:
            raise _feature_error(number, _("has no 'pcode' property."))
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in AREA_GEOMETRY_TYPES or not isinstance(geometry.get("coordinates"), list):
            raise _feature_error(
                number,
                _("%(pcode)s: the geometry must be a Polygon or MultiPolygon with coordinates.") % {"pcode": pcode},
            )
        if pcode in geometries:
            raise _feature_error(number, _("p-code %(pcode)s appears twice.") % {"pcode": pcode})
        geometries[pcode] = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    return geometries


def import_boundaries(*, features: Iterable[GeoJSON], actor: Actor) -> BoundaryImportResult:
    """Store each feature's geometry as its region's boundary (matched by the `pcode` property).

    All or nothing: a malformed feature or a p-code with no region raises ValidationError (the
    unknown p-codes are all named) and no boundary is changed. Importing the same file again
    changes nothing.
    """
    geometries = _parse(features)
    result = BoundaryImportResult()
    with transaction.atomic():
        regions = {r.pcode: r for r in Region.objects.select_for_update().filter(pcode__in=list(geometries))}
        unknown = sorted(set(geometries) - set(regions))
        if unknown:
            raise ValidationError(
                _("Unknown p-code(s), import the regions first: %(pcodes)s.") % {"pcodes": ", ".join(unknown)}
            )
        for pcode, geometry in geometries.items():
            region = regions[pcode]
            if region.boundary == geometry:
                result.unchanged += 1
                continue
            region.boundary = geometry
            save_validated(region, actor=actor, reason="Boundary imported")
            result.updated += 1
            result.updated_pcodes.append(pcode)
    return result


def read_geojson_features(path: str | Path) -> list[GeoJSON]:
    """The features of a GeoJSON FeatureCollection file (ValidationError if it is not one)."""
    with open(path, encoding="utf-8-sig") as handle:
        try:
            document = json.load(handle)
        except json.JSONDecodeError as error:
            raise ValidationError(_("Not valid JSON: %(error)s") % {"error": error}) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationError(_("Expected a GeoJSON FeatureCollection."))
    features = document.get("features")
    if not isinstance(features, list):
        raise ValidationError(_("The FeatureCollection has no list of features."))
    return features
