"""Who may change what: the one place that answers "may this actor write this?".

Plain functions of an `Actor` (humtrack.actor: a staff user, a partner organisation, or neither for
the system), called by the API's permission classes (access.api.permissions) and the coordinators'
admin (access.admin.mixins) alike, so the two never disagree.

The rules:
- A partner (an API token's organisation) records facts in any region and changes only the records
  its organisation created.
- A superuser changes everything.
- A coordinator (staff) changes what lies in the regions assigned to them and everything under them
  (access.models.CoordinatorAssignment); a corridor is theirs when its route passes through one.
- Bulk uploads of need figures: partners, and superusers in a session.
- Subscriptions (people's addresses): a partner its own; a coordinator those it created and those
  following a region it covers.
- Incidents' descriptions and points: by their sensitivity (`can_read_incident_details`).
- Webhook endpoints: a partner its own organisation's; superusers all. Not coordinators: an endpoint
  belongs to no region, and whoever manages it can point an organisation's event feed elsewhere or
  obtain a new signing secret (to forge messages the partner trusts) — rights over an organisation's
  credentials, like its API tokens, which only superusers manage.

The queryset forms of the region rule (`editable_region_filter`, `regions_editable_by`, in
access.selectors.coordinators) apply the same assigned-path rule to many rows in one query.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from access.choices import Sensitivity
from access.models import Incident, Region, Subscription, WebhookEndpoint
from access.selectors.coordinators import assigned_paths, editable_region_filter
from humtrack.actor import Actor


def is_partner(actor: Actor) -> bool:
    return actor.organisation is not None


def is_superuser(actor: Actor) -> bool:
    return bool(getattr(actor.user, "is_superuser", False))


def is_staff(actor: Actor) -> bool:
    return bool(getattr(actor.user, "is_staff", False))


def can_change_region(actor: Actor, region: Region) -> bool:
    """May the actor record facts in this region (its status, restrictions, outages, figures)?"""
    if is_partner(actor) or is_superuser(actor):
        return True
    return any(region.path.startswith(path) for path in assigned_paths(actor.user))


def can_change_route(actor: Actor, route: Iterable[Region]) -> bool:
    """A corridor is the actor's to record or change when its route passes through one of their regions."""
    if is_partner(actor):
        return True
    return any(can_change_region(actor, stop) for stop in route)


def can_restructure_regions(actor: Actor) -> bool:
    """The hierarchy comes from the COD tables: only a superuser re-parents a region or changes its p-code."""
    return is_superuser(actor)


def can_write_in_regions(actor: Actor, data: Mapping[str, Any]) -> bool:
    """May the actor create a record with `data`, or move a record to it (an API write's validated data)?

    A fact's `region` must be the coordinator's; a corridor's route (`regions`) must pass through one
    of theirs. Partners record facts anywhere; superusers too.
    """
    if is_partner(actor) or is_superuser(actor):
        return True
    region = data.get("region")
    if region is not None and not can_change_region(actor, region):
        return False
    route = list(data.get("regions") or [])
    return not route or can_change_route(actor, route)


def is_own_organisations(actor: Actor, record: Any) -> bool:
    """The partner half of the record rule: false only when a partner touches another organisation's record."""
    if actor.organisation is None:  # not a partner (is_partner)
        return True
    return getattr(record, "organisation_id", None) == actor.organisation.pk


def can_change_record(actor: Actor, record: Any) -> bool:
    """A partner changes only the records its organisation created; staff follow their region rights.

    A staff user's record belongs to its `region` (a region to itself, a corridor to its `origin`);
    a record with none (a source) is any staff user's to change.
    """
    if is_partner(actor):
        return is_own_organisations(actor, record)
    if is_superuser(actor):
        return True
    if not is_staff(actor):
        return False
    region = record if isinstance(record, Region) else getattr(record, "region", None)
    region = region or getattr(record, "origin", None)
    return region is None or can_change_region(actor, region)


def can_upload_needs(actor: Actor) -> bool:
    """Bulk uploads of need figures: partners (with a token), and superusers in a session."""
    return is_partner(actor) or is_superuser(actor)


def can_change_subscription(actor: Actor, subscription: Subscription) -> bool:
    """A partner changes its organisation's subscriptions; a coordinator those it created and those
    following a region it covers (the queryset form: access.alerts.subscriptions.subscriptions_visible_to)."""
    if is_partner(actor):
        return is_own_organisations(actor, subscription)
    if is_superuser(actor):
        return True
    if actor.user is None or not is_staff(actor):  # no user is no staff (is_staff)
        return False
    if subscription.created_by_id == actor.user.pk:
        return True
    return subscription.regions.filter(editable_region_filter(actor.user)).exists()


def can_manage_webhook_endpoint(actor: Actor, endpoint: WebhookEndpoint) -> bool:
    """A partner manages its organisation's endpoints (and reads their deliveries); a superuser all of them.
    Coordinators none (see the module docstring)."""
    if is_partner(actor):
        return is_own_organisations(actor, endpoint)
    return is_superuser(actor)


def can_register_webhook_endpoints(actor: Actor) -> bool:
    """Who may have webhook endpoints at all: a partner (for itself) and a superuser (for any organisation)."""
    return is_partner(actor) or is_superuser(actor)


def can_read_incident_details(actor: Actor, incident: Incident) -> bool:
    """May the actor read an incident's description and point (its `sensitivity`)?

    Everyone reads that an incident happened (when, where, what type, on whose word): the counts of the
    monthly snapshot are the same for every reader. The description and the point are:
    - `public`: everyone;
    - `partners`: partner tokens and signed-in users;
    - `restricted`: the coordinators of its region, superusers, and the partner organisation that
      recorded it.
    The queryset form is access.selectors.incidents.with_details_visible; keep the two in step.
    """
    if incident.sensitivity == Sensitivity.PUBLIC:
        return True
    if incident.sensitivity == Sensitivity.PARTNERS:
        return is_partner(actor) or bool(actor.user is not None and actor.user.is_authenticated)
    if is_partner(actor):
        return is_own_organisations(actor, incident)
    if is_superuser(actor):
        return True
    return is_staff(actor) and can_change_region(actor, incident.region)
