from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from access.models import Region, StatusChange


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
