"""Which regions a person may change, as querysets: a coordinator's assigned regions and everything under them.

The rule itself, for one record, is access.policies (can_change_region); the filters here apply the same
rule (a region is theirs when its path starts with an assigned region's path; a superuser's, all) to
many rows in one query, for the admin's lists and form choices.
"""

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from access.models import CoordinatorAssignment, Region
from access.roles import COORDINATORS_GROUP  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The user's assigned paths, kept on the user object (request.user lives as long as its request).
_PATHS_CACHE = "_humtrack_assigned_paths"


def assigned_paths(user: "User | AnonymousUser | None") -> list[str]:
    if user is None or not user.is_authenticated:
        return []
    cache: list[str] | None = getattr(user, _PATHS_CACHE, None)
    if cache is None:
        cache = list(CoordinatorAssignment.objects.filter(user=user).values_list("region__path", flat=True))
        setattr(user, _PATHS_CACHE, cache)
    return cache


def editable_region_filter(user: "User | AnonymousUser | None", region_field: str = "") -> Q:
    """A Q that keeps what `user` may change: everything for a superuser, nothing for others unassigned.

    The queryset form of access.policies.can_change_region: keep the two in step.
    """
    if getattr(user, "is_superuser", False):
        return Q()
    prefix = f"{region_field}__" if region_field else ""
    paths = assigned_paths(user)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": path}) for path in paths))


def regions_editable_by(user: "User | AnonymousUser | None") -> QuerySet[Region]:
    return Region.objects.filter(editable_region_filter(user))


def coordinators_of(region: Region) -> "QuerySet[User]":
    """Users assigned to this region or one of its ancestors (they hear about it)."""
    from django.contrib.auth import get_user_model

    ancestor_paths = []
    parts = region.path.rstrip("/").split("/")
    for i in range(1, len(parts) + 1):
        ancestor_paths.append("/".join(parts[:i]) + "/")
    return (
        get_user_model().objects.filter(coordinator_regions__region__path__in=ancestor_paths, is_active=True).distinct()
    )
