"""Assigning coordinators to regions: every change to who may write where goes through here.

An assignment grants rights (access.policies), so each one is validated and recorded in the audit
history with who made it and why, as every fact is.
"""

from typing import TYPE_CHECKING

from django.db import transaction

from access.models import CoordinatorAssignment, Region
from humtrack.actor import Actor
from humtrack.history import stamp
from humtrack.services import save_validated

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def assign_coordinator(
    *, user: "User", region: Region, actor: Actor, reason: str = "Assigned"
) -> CoordinatorAssignment:
    """The user changes `region` and everything under it from now on."""
    return save_validated(CoordinatorAssignment(user=user, region=region), actor=actor, reason=reason)


def update_coordinator_assignment(
    *, assignment: CoordinatorAssignment, actor: Actor, reason: str
) -> CoordinatorAssignment:
    """Save the changes made to `assignment` (another user or region)."""
    return save_validated(assignment, actor=actor, reason=reason)


def unassign_coordinator(*, assignment: CoordinatorAssignment, actor: Actor, reason: str = "Unassigned") -> None:
    """The user no longer changes the region (unless another assignment covers it)."""
    with transaction.atomic():
        stamp(assignment, actor, reason)
        assignment.delete()
