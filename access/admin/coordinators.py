"""Coordinator assignments in the admin: which regions each coordinator changes. Managed by superusers."""

from django.contrib import admin

from access.models import CoordinatorAssignment
from access.services.coordinators import assign_coordinator, unassign_coordinator, update_coordinator_assignment
from humtrack.admin import AuditedAdmin

from .filters import ProvinceFilter
from .mixins import actor_for


@admin.register(CoordinatorAssignment)
class CoordinatorAssignmentAdmin(AuditedAdmin):
    """Which regions each coordinator changes (and everything under them). Managed by superusers.

    Assignments grant rights: they change only through access.services.coordinators, audited.
    """

    list_display = ["user", "region", "created_at"]
    list_filter = [ProvinceFilter]
    search_fields = ["user__username", "user__email", "region__name", "^region__pcode"]
    list_select_related = ["user", "region"]

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        if change:
            changed = ", ".join(form.changed_data) or "nothing"
            update_coordinator_assignment(assignment=obj, actor=actor, reason=f"Changed in the admin: {changed}")
            return
        created = assign_coordinator(user=obj.user, region=obj.region, actor=actor, reason="Assigned in the admin")
        obj.pk = created.pk  # the admin goes on with the instance it built (for the log and the redirect)
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        unassign_coordinator(assignment=obj, actor=actor_for(request), reason="Unassigned in the admin")
