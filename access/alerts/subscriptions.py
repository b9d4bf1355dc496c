"""Subscriptions: who may see them, and their writes (create, change, resume after a pause, unsubscribe).

Coordinators manage them in the admin (admin.py), partners through the API (api.py), people through
the one-click unsubscribe link of every email (views.py); all of them write through here.
"""

from django.db import transaction
from django.db.models import Q, QuerySet

from access.models import Region, Subscription
from access.selectors.coordinators import editable_region_filter
from humtrack.actor import SYSTEM, Actor
from humtrack.history import stamp
from humtrack.services import save_validated


def subscriptions_visible_to(user) -> QuerySet[Subscription]:
    """The subscriptions a staff user may see: all for a superuser; for a coordinator those it created
    and those following a region it covers. They hold people's addresses, which coordinators of
    other provinces have no need of."""
    subscriptions = Subscription.objects.all()
    if getattr(user, "is_superuser", False):
        return subscriptions
    covered = Subscription.regions.through.objects.filter(editable_region_filter(user, "region"))
    return subscriptions.filter(Q(pk__in=covered.values("subscription_id")) | Q(created_by=user))


def create_subscription(*, actor: Actor, regions: list[Region], **fields) -> Subscription:
    """`{"email", "name", "regions"}` is enough; everything else has a default on the model."""
    with transaction.atomic():
        subscription = Subscription(organisation=actor.organisation, created_by=actor.user, **fields)
        save_validated(subscription, actor=actor, reason="Subscribed")
        subscription.regions.set(regions)
    return subscription


def create_subscription_from(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Save a subscription an admin form has filled in (its regions follow with the form's save_m2m)."""
    subscription.organisation = actor.organisation
    return save_validated(subscription, actor=actor, reason="Subscribed")


def update_subscription(*, subscription: Subscription, actor: Actor, regions: list[Region] | None = None, **fields):
    with transaction.atomic():
        for name, value in fields.items():
            setattr(subscription, name, value)
        save_validated(subscription, actor=actor, reason="Subscription changed")
        if regions is not None:
            subscription.regions.set(regions)
    return subscription


def resume_subscription(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Un-pause a subscription paused after failures (the address has been fixed)."""
    subscription.paused_at = None
    subscription.consecutive_failures = 0
    stamp(subscription, actor, "Resumed")
    subscription.save(update_fields=["paused_at", "consecutive_failures", "updated_at"])
    return subscription


def unsubscribe(*, subscription_id: int) -> Subscription | None:
    """The one-click unsubscribe: stops the subscription, and does nothing else. Idempotent."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or not subscription.active:
        return subscription
    subscription.active = False
    stamp(subscription, SYSTEM, "Unsubscribed from an alert email")
    subscription.save(update_fields=["active", "updated_at"])
    return subscription
