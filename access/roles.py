"""The coordinators' group and its permissions, kept in step with the code after every migrate."""

from django.contrib.auth.models import Group, Permission

COORDINATORS_GROUP = "Coordinators"

# Coordinators see everything and change what lies in their regions (enforced per object in the
# admin); they add and change facts, never delete history.
COORDINATOR_PERMISSIONS = {
    "access": {
        "region": ["view", "change"],
        "statuschange": ["view", "add"],
        "source": ["view", "add", "change"],
        "aidcorridor": ["view", "add", "change"],
        "corridorstatuschange": ["view", "add"],
        "accessrestriction": ["view", "add", "change"],
        "utilityoutage": ["view", "add", "change"],
        "incident": ["view", "add", "change"],
        # Overrides of a month's severity indicator: cleared by an action needing "change" (history kept).
        "severityoverride": ["view", "add", "change"],
        "affectedgroup": ["view"],
        "coordinatorassignment": ["view"],
        # Alerts: they manage their regions' subscribers (access.alerts.subscriptions.subscriptions_visible_to)
        # and watch the pipeline; the pipeline's records are read-only to them.
        "subscription": ["view", "add", "change"],
        "alertevent": ["view"],
        "alertdelivery": ["view"],
    },
    "needs": {"needfigure": ["view", "add", "change"]},
}


def ensure_coordinators_group(**kwargs) -> Group:
    group, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    wanted = []
    for models in COORDINATOR_PERMISSIONS.values():
        for model, actions in models.items():
            wanted += [f"{action}_{model}" for action in actions]
    permissions = Permission.objects.filter(content_type__app_label__in=COORDINATOR_PERMISSIONS, codename__in=wanted)
    group.permissions.add(*permissions)
    return group
