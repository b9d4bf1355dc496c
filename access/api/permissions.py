"""Provides the API's write rights: DRF permission classes over access.policies.

The kernel (humtrack.api) checks scopes; these classes decide, through the same policies the admin
uses, which records and regions the caller may change. A resource of access or needs builds on
`RegionScopedViewSet`; another rule (subscriptions) sets its own object permission.
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.policies import can_change_record, can_change_subscription, can_write_in_regions
from humtrack.actor import Actor
from humtrack.api.permissions import ReadWriteScope, request_actor
from humtrack.api.viewsets import PartnerViewSet

NOT_YOUR_REGION = _("This region is not among the regions assigned to you.")


class MayChangeObject(BasePermission):
    """Object permission: anyone who may read may read; a write needs `policy(actor, obj)` (access.policies)."""

    message = _("This record belongs to another organisation; only its creator may change it.")
    policy: Callable[[Actor, Any], bool]

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return self.policy(request_actor(request), obj)


class IsOwnOrganisationRecord(MayChangeObject):
    """Writes: a partner's own organisation's record, a coordinator's region's."""

    policy = staticmethod(can_change_record)


class MayChangeSubscription(MayChangeObject):
    """Writes to a subscription (access.policies.can_change_subscription)."""

    policy = staticmethod(can_change_subscription)


def require_writable_regions(actor, data: dict) -> None:
    """403 unless the actor may write a record with these regions (access.policies.can_write_in_regions)."""
    if not can_write_in_regions(actor, data):
        raise PermissionDenied(NOT_YOUR_REGION)


class RegionScopedViewSet(PartnerViewSet):
    """A partner resource whose records lie in regions: a partner changes its organisation's records,
    a coordinator's session writes only in its regions, as in the admin."""

    permission_classes = [ReadWriteScope, IsOwnOrganisationRecord]

    def check_write_allowed(self, data: dict) -> None:
        require_writable_regions(self.actor, data)
