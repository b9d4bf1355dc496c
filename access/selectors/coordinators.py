"""Which regions a person may change: a coordinator's assigned regions and everything under them."""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from access.models import CoordinatorAssignment, Region
from access.roles import COORDINATORS_GROUP  # noqa: F401  (re-exported)


def assigned_paths(user) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    cache = getattr(user, "_humtrack_assigned_paths", None)
    if cache is None:
        cache = list(CoordinatorAssignment.objects.filter(user=user).values_list("region__path", flat=True))
        user._humtrack_assigned_paths = cache
    return cache


def editable_region_filter(user, region_field: str = "") -> Q:
    """A Q that keeps what `user` may change: everything for a superuser, nothing for others unassigned."""
    if getattr(user, "is_superuser", False):
        return Q()
    prefix = f"{region_field}__" if region_field else ""
    paths = assigned_paths(user)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": path}) for path in paths))


def regions_editable_by(user) -> QuerySet[Region]:
    return Region.objects.filter(editable_region_filter(user))


def can_edit_region(user, region: Region) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(region.path.startswith(path) for path in assigned_paths(user))


def can_edit_route(user, route: list[Region]) -> bool:
    """A corridor is a coordinator's to record or change when its route passes through one of their regions."""
    return any(can_edit_region(user, stop) for stop in route)


def coordinators_of(region: Region):
    """Users assigned to this region or one of its ancestors (they hear about it)."""
    from django.contrib.auth import get_user_model

    ancestor_paths = []
    parts = region.path.rstrip("/").split("/")
    for i in range(1, len(parts) + 1):
        ancestor_paths.append("/".join(parts[:i]) + "/")
    return (
        get_user_model().objects.filter(coordinator_regions__region__path__in=ancestor_paths, is_active=True).distinct()
    )
