"""Regions: saved with their paths kept whole, and loaded from COD-style admin and centroid tables."""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.models import Region
from humtrack.actor import Actor
from humtrack.services import save_validated

# A COD-style admin table, as in access/fixtures/afg_admin.csv (HDX COD-AB p-codes).
ADMIN_CSV_COLUMNS = ("admin_level", "pcode", "name", "parent_pcode")
# Names in Dari and Pashto, as in access/fixtures/afg_admin_names.csv (sources in SOURCES.md).
NAMES_CSV_COLUMNS = ("pcode", "name_fa_af", "name_ps")
# A country's IANA time zone (Region.time_zone): the default zone of a subscription to its regions.
# Afghanistan keeps one zone all year, UTC+4:30 (the IANA tz database, asia: "Asia/Kabul").
COUNTRY_TIME_ZONES = {"AF": "Asia/Kabul"}


def save_region(*, region: Region, actor: Actor, reason: str = "") -> Region:
    """Create or update a region, keeping its path (and its descendants' paths) consistent."""
    with transaction.atomic():
        old_path = None
        if region.pk:
            old_path = Region.objects.select_for_update().values_list("path", flat=True).get(pk=region.pk)
        if region.parent_id:
            region.parent = Region.objects.get(pk=region.parent_id)
        region.clean()  # before the path moves: "its own ancestor" is judged on the old path
        region.path = region.build_path()
        save_validated(region, actor=actor, reason=reason)
        if old_path and old_path != region.path:
            # Moved: every descendant's path starts with the old path; rewrite them in order.
            for descendant in Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk).order_by("path"):
                descendant.path = region.path + descendant.path[len(old_path) :]
                descendant.save(update_fields=["path", "updated_at"])
        return region


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _row_error(line: int, message: str) -> ValidationError:
    return ValidationError(_("Line %(line)s: %(message)s") % {"line": line, "message": message})


# A row of a COD-style table, as csv.DictReader gives it; a p-code's centroid as (latitude, longitude).
Row = dict[str, str]
Centroids = dict[str, tuple[Decimal, Decimal]]


def import_regions(*, rows: Iterable[Row], actor: Actor, centroids: Centroids | None = None) -> ImportResult:
    """Load a COD-style admin table (admin_level, pcode, name, parent_pcode), parents before children.

    All or nothing: any bad row (unknown parent p-code, bad level, a loop) raises ValidationError
    naming the line, and nothing is saved. Re-importing the same table changes nothing.
    `centroids` maps p-code to (lat, lon) where known.
    """
    centroids = centroids or {}
    parsed = []
    seen = set()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        missing = [c for c in ADMIN_CSV_COLUMNS if c not in row]
        if missing:
            raise _row_error(line, _("missing column(s) %(columns)s.") % {"columns": ", ".join(missing)})
        pcode = (row["pcode"] or "").strip().upper()
        name = (row["name"] or "").strip()
        parent_pcode = (row["parent_pcode"] or "").strip().upper() or None
        try:
            level = int(row["admin_level"])
        except (TypeError, ValueError):
            raise _row_error(
                line, _("admin_level %(value)r is not a whole number.") % {"value": row["admin_level"]}
            ) from None
        if not pcode or not name:
            raise _row_error(line, _("pcode and name are required."))
        if pcode in seen:
            raise _row_error(line, _("p-code %(pcode)s appears twice.") % {"pcode": pcode})
        seen.add(pcode)
        parsed.append((line, level, pcode, name, parent_pcode))

    result = ImportResult()
    with transaction.atomic():
        existing = {r.pcode: r for r in Region.objects.all()}
        for line, level, pcode, name, parent_pcode in sorted(parsed, key=lambda r: r[1]):
            parent = None
            if parent_pcode:
                parent = existing.get(parent_pcode)
                if parent is None:
                    raise _row_error(line, _("unknown parent p-code %(pcode)s.") % {"pcode": parent_pcode})
            region = existing.get(pcode) or Region(pcode=pcode)
            lat, lon = centroids.get(pcode, (region.latitude, region.longitude))
            before = (region.name, region.admin_level, region.parent_id, region.latitude, region.longitude)
            region.name, region.admin_level, region.parent = name, level, parent
            region.latitude, region.longitude = lat, lon
            if region.pk and before == (name, level, parent.pk if parent else None, lat, lon):
                result.unchanged += 1
                continue
            is_new = region.pk is None
            try:
                save_region(region=region, actor=actor, reason="Imported from an admin table")
            except ValidationError as error:
                raise _row_error(line, "; ".join(error.messages)) from None
            existing[pcode] = region
            if is_new:
                result.created += 1
            else:
                result.updated += 1
    return result


def read_admin_csv(path: str | Path) -> list[Row]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def read_centroids_csv(path: str | Path) -> Centroids:
    """p-code → (lat, lon) as Decimals, from a pcode,name,lat,lon[,source] table."""
    centroids = {}
    for line, row in enumerate(read_admin_csv(path), start=2):
        try:
            centroids[row["pcode"].strip().upper()] = (
                Decimal(row["lat"]).quantize(Decimal("0.00001")),
                Decimal(row["lon"]).quantize(Decimal("0.00001")),
            )
        except (KeyError, InvalidOperation):
            raise _row_error(line, _("pcode, lat and lon are required numbers.")) from None
    return centroids


# A p-code's names in Dari and Pashto: (name_fa_af, name_ps), "" where unknown.
LocalNames = dict[str, tuple[str, str]]


def read_names_csv(path: str | Path) -> LocalNames:
    """p-code → (Dari, Pashto) from a pcode,name_fa_af,name_ps table."""
    names = {}
    for line, row in enumerate(read_admin_csv(path), start=2):
        missing = [c for c in NAMES_CSV_COLUMNS if c not in row]
        if missing:
            raise _row_error(line, f"missing column(s) {', '.join(missing)}.")
        names[row["pcode"].strip().upper()] = ((row["name_fa_af"] or "").strip(), (row["name_ps"] or "").strip())
    return names


def set_region_names(*, names: LocalNames, actor: Actor, time_zones: dict[str, str] | None = None) -> ImportResult:
    """Give regions their Dari and Pashto names (and countries their time zone), saving only what changes.

    All or nothing: a p-code that names no region raises ValidationError and nothing is saved. A name
    change goes through save_region, so the region's updated_at (its ETag) moves and partners syncing
    with `updated_since` see it.
    """
    time_zones = COUNTRY_TIME_ZONES if time_zones is None else time_zones
    result = ImportResult()
    with transaction.atomic():
        regions = {r.pcode: r for r in Region.objects.filter(pcode__in=[*names, *time_zones])}
        unknown = sorted(set(names) - set(regions))
        if unknown:
            raise ValidationError(f"No region has the p-code(s) {', '.join(unknown)}.")
        for pcode, region in sorted(regions.items()):
            fa_af, ps = names.get(pcode, (region.name_fa_af, region.name_ps))
            zone = time_zones.get(pcode, region.time_zone)
            if (region.name_fa_af, region.name_ps, region.time_zone) == (fa_af, ps, zone):
                result.unchanged += 1
                continue
            region.name_fa_af, region.name_ps, region.time_zone = fa_af, ps, zone
            save_region(region=region, actor=actor, reason="Names in Dari and Pashto, and the country's time zone")
            result.updated += 1
    return result
