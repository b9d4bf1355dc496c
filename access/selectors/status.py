"""A region's status history, the change in force at a moment, and its effective (inherited) status.

The effective status rule, written once here: a region with a status record of its own (a change in
force) has that status (`recorded`); a region without one has the status of its nearest ancestor that
has one (`inherited`, naming that ancestor); a region with no record on it or above it has none
(`none`: "no information recorded", not a recorded `unknown`). An explicit `unknown` on a district
overrides its province like any other record.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias, TypedDict, cast

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from access.choices import StatusBasis
from access.models import Region, StatusChange


class EffectiveStatus(TypedDict):
    """What with_effective_status annotates on each region (None: no record on it or above it)."""

    effective_change_id: int | None
    effective_status: str | None  # access.choices.AccessStatus
    status_from_id: int | None


class AttachedStatus(EffectiveStatus):
    """What attach_effective_status sets, on top."""

    effective_change: StatusChange | None
    status_basis: str  # access.choices.StatusBasis
    status_from: Region | None


if TYPE_CHECKING:
    # django-stubs' name for "a Region carrying these annotations" (the stubs' helper package is a
    # development requirement only, so it is imported for type checking alone).
    from django_stubs_ext import WithAnnotations

    RegionWithStatus: TypeAlias = WithAnnotations[Region, EffectiveStatus]
    RegionWithAttachedStatus: TypeAlias = WithAnnotations[Region, AttachedStatus]

# Regions are at most six levels deep (admin_level 0-5, each below its parent: Region's check
# constraint), so a region has at most five ancestors. The effective status walks them with a fixed
# chain of joins (now) or index lookups (as of a moment), never a recursive query.
MAX_ANCESTORS = 5
ANCESTOR_PREFIXES = ["parent__" * hops for hops in range(MAX_ANCESTORS + 1)]


def status_history(region: Region) -> QuerySet[StatusChange]:
    """A region's status changes, latest effective first."""
    return region.status_changes.select_related("source", "recorded_by", "organisation").order_by(
        "-effective_at", "-id"
    )


def latest_status_change(region: Region) -> StatusChange | None:
    return region.status_changes.order_by("-effective_at", "-id").first()


def status_change_in_force(region: Region, at: datetime) -> StatusChange | None:
    """The change that set the region's status in force at `at` (None: it was unknown)."""
    return region.status_changes.filter(effective_at__lte=at).order_by("-effective_at", "-id").first()


def annotate_status_as_of(regions: QuerySet[Region], at: datetime) -> QuerySet[Region]:
    """Add `status_as_of` and `status_change_as_of_id`: the status in force at `at`, in one query."""
    in_force = StatusChange.objects.filter(region=OuterRef("pk"), effective_at__lte=at).order_by("-effective_at", "-id")
    return regions.annotate(
        status_as_of=Subquery(in_force.values("to_status")[:1]),
        status_change_as_of_id=Subquery(in_force.values("id")[:1]),
    )


def _in_force_id(region_ref: str, at: datetime) -> Subquery:
    """The id of the change in force at `at` for the region `region_ref` names (an OuterRef path)."""
    in_force = StatusChange.objects.filter(region=OuterRef(region_ref), effective_at__lte=at).order_by(
        "-effective_at", "-id"
    )
    return Subquery(in_force.values("id")[:1], output_field=IntegerField())


def with_effective_status(regions: QuerySet[Region], at: datetime | None = None) -> "QuerySet[RegionWithStatus]":
    """Annotate `effective_change_id` (the change in force on the region or its nearest ancestor that
    has one, None when none has), `effective_status` and `status_from_id` (the region whose record it
    is). Now: a chain of joins on the regions' current changes; at a past moment: one index lookup per
    level. Both filterable (`effective_status__in=[…]`)."""
    if at is None:
        change_id = Coalesce(*[F(f"{prefix}current_status_change") for prefix in ANCESTOR_PREFIXES])
    else:
        change_id = Coalesce(*[_in_force_id(f"{prefix}pk", at) for prefix in ANCESTOR_PREFIXES])
    change = StatusChange.objects.filter(pk=OuterRef("effective_change_id"))
    return regions.annotate(
        effective_change_id=change_id,
        effective_status=Subquery(change.values("to_status")[:1]),
        status_from_id=Subquery(change.values("region_id")[:1]),
    )


def attach_effective_status(regions: "Iterable[RegionWithStatus]") -> "list[RegionWithAttachedStatus]":
    """Set `effective_change` (with its source and region), `status_basis` and `status_from` on regions
    annotated by with_effective_status: one query for a whole page."""
    # The same objects, completed by the loop below: each gets the three attributes before it is read.
    attached = cast("list[RegionWithAttachedStatus]", list(regions))
    ids = {r.effective_change_id for r in attached if r.effective_change_id}
    # Not the region's outline (GeoJSON): a page of districts inheriting from their provinces would parse a
    # province's for each, and nothing that shows a status draws it (bench/http_load.py).
    records = StatusChange.objects.select_related("source", "region").defer("region__boundary")
    changes = records.in_bulk(ids) if ids else {}
    for region in attached:
        change = changes.get(region.effective_change_id)
        region.effective_change = change
        region.status_from = change.region if change else None
        if change is None:
            region.status_basis = StatusBasis.NONE
        elif change.region_id == region.pk:
            region.status_basis = StatusBasis.RECORDED
        else:
            region.status_basis = StatusBasis.INHERITED
    return attached


def effective_status_of(region: Region, at: datetime | None = None) -> "RegionWithAttachedStatus":
    """One region with its effective status attached (see attach_effective_status)."""
    annotated = with_effective_status(Region.objects.filter(pk=region.pk), at).get()
    return attach_effective_status([annotated])[0]


def regions_taking_status_from(region: Region) -> QuerySet[Region]:
    """The region (if it has a record) and every region under it whose effective status is the region's
    record now: the regions a change of its current status reaches."""
    under = Region.objects.filter(path__startswith=region.path)
    return with_effective_status(under).filter(status_from_id=region.pk)


def status_basis_in(bases: Iterable[str]) -> Q:
    """A filter, on regions annotated by with_effective_status, for those whose basis is one of `bases`
    (the same basis attach_effective_status sets)."""
    conditions = {
        StatusBasis.RECORDED: Q(status_from_id=F("pk")),
        StatusBasis.INHERITED: Q(status_from_id__isnull=False) & ~Q(status_from_id=F("pk")),
        StatusBasis.NONE: Q(effective_change_id__isnull=True),
    }
    condition = Q(pk__in=[])  # matches nothing: the identity of |
    for basis in bases:
        condition |= conditions[StatusBasis(basis)]
    return condition
