"""Reads of the incident log: who sees an incident's details, and the incidents of a month.

`details_visible_filter` is the queryset form of access.policies.can_read_incident_details: keep the two
in step (tests/security/test_incident_sensitivity.py checks them against each other).
"""

from datetime import UTC, date, datetime, time

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from access.choices import Sensitivity
from access.models import Incident
from access.policies import is_partner, is_staff, is_superuser
from humtrack.actor import Actor

from .coordinators import editable_region_filter


def details_visible_filter(actor: Actor) -> Q:
    """A Q that keeps the incidents whose description and point the actor may read."""
    public = Q(sensitivity=Sensitivity.PUBLIC)
    signed_in = actor.user is not None and actor.user.is_authenticated
    if not (is_partner(actor) or signed_in):
        return public
    readable = public | Q(sensitivity=Sensitivity.PARTNERS)
    if is_partner(actor):
        return readable | Q(sensitivity=Sensitivity.RESTRICTED, organisation=actor.organisation)
    if is_superuser(actor):
        return Q()
    if is_staff(actor):
        return readable | (Q(sensitivity=Sensitivity.RESTRICTED) & editable_region_filter(actor.user, "region"))
    return readable


def with_details_visible(incidents: QuerySet[Incident], actor: Actor) -> QuerySet[Incident]:
    """`details_visible` on each incident: True where the actor may read its description and point.
    Whatever shows an incident blanks the two where it is False."""
    condition = details_visible_filter(actor)
    if not condition:  # Q(): everything (a superuser); When() refuses an empty condition
        return incidents.annotate(details_visible=Value(True, output_field=BooleanField()))
    return incidents.annotate(
        details_visible=Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in UTC (months are counted in UTC, as ACAPS reports)."""
    first = date(month.year, month.month, 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime.combine(first, time.min, tzinfo=UTC),
        datetime.combine(following, time.min, tzinfo=UTC),
    )


def under_way_in(month: date) -> Q:
    """Under way in the month: begun before it ends and not over before it begins. One that spans two
    months (hostilities from 30 August to 2 September) is part of both months' picture, once in each.
    A Q, so that one query can count several months side by side (the snapshot)."""
    start, end = month_bounds(month)
    return Q(occurred_at__lt=end) & (
        Q(occurred_until__gte=start) | Q(occurred_until__isnull=True, occurred_at__gte=start)
    )


def incidents_in_month(month: date) -> QuerySet[Incident]:
    """Incidents under way in the month (under_way_in)."""
    return Incident.objects.filter(under_way_in(month))


def incidents_listed() -> QuerySet[Incident]:
    """Incidents as the API, webhooks and exports show them: with their region, organisation and
    affected groups in a few queries. Annotate `details_visible` (with_details_visible) before showing one."""
    return Incident.objects.select_related("region", "organisation").prefetch_related("affected_groups")
