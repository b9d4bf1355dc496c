"""Subscriptions: who may see them, and their writes (create, change, stop, resume after a pause, unsubscribe).

Coordinators manage them in the admin (admin.py), partners through the API (api.py), people through
the one-click unsubscribe link of every email (views.py); all of them write through here.
"""

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from access.models import Region, Subscription
from access.selectors.coordinators import editable_region_filter
from humtrack.actor import SYSTEM, Actor
from humtrack.history import stamp
from humtrack.models import Tombstone
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .choices import AlertLanguage, AlertMode, AlertTrigger
from .zones import default_time_zone


def subscriptions_visible_to(user: User | AnonymousUser) -> QuerySet[Subscription]:
    """The subscriptions a staff user may see: all for a superuser; for a coordinator those it created
    and those following a region it covers. They hold people's addresses, which coordinators of
    other provinces have no need of."""
    subscriptions = Subscription.objects.all()
    if getattr(user, "is_superuser", False):
        return subscriptions
    covered = Subscription.regions.through.objects.filter(editable_region_filter(user, "region"))
    return subscriptions.filter(Q(pk__in=covered.values("subscription_id")) | Q(created_by=user))


def create_subscription(
    *,
    actor: Actor,
    email: str,
    regions: list[Region],
    name: str = "",
    include_descendants: bool = True,
    trigger: str = AlertTrigger.ANY,
    threshold_status: str = "",
    include_corridors: bool = True,
    mode: str = AlertMode.IMMEDIATE,
    active: bool = True,
    language: str = AlertLanguage.ENGLISH,
    time_zone: str = "",
) -> Subscription:
    """A person alerted about `regions` (and, unless told otherwise, everything under them), in
    `language`, with times in `time_zone` (by default the first region's country's zone)."""
    with transaction.atomic():
        subscription = Subscription(
            organisation=actor.organisation,
            created_by=actor.person,
            email=email,
            name=name,
            include_descendants=include_descendants,
            trigger=trigger,
            threshold_status=threshold_status,
            include_corridors=include_corridors,
            mode=mode,
            active=active,
            language=language,
            time_zone=time_zone or default_time_zone(regions),
        )
        save_validated(subscription, actor=actor, reason="Subscribed")
        subscription.regions.set(regions)
    return subscription


def create_subscription_from(*, subscription: Subscription, actor: Actor, regions: list[Region]) -> Subscription:
    """Save a subscription an admin form has filled in (its regions follow with the form's save_m2m)."""
    subscription.organisation = actor.organisation
    subscription.time_zone = subscription.time_zone or default_time_zone(regions)
    return save_validated(subscription, actor=actor, reason="Subscribed")


def update_subscription_from(*, subscription: Subscription, actor: Actor, regions: list[Region]) -> Subscription:
    """Save the changes an admin form has made to `subscription` (its regions follow with save_m2m)."""
    subscription.time_zone = subscription.time_zone or default_time_zone(regions)
    return save_validated(subscription, actor=actor, reason="Subscription changed")


# The API resource whose deletions a partner syncs (access.apps tracks deletions of Subscription under it).
RESOURCE = "subscriptions"


def stopped_through_the_api() -> Exists:
    """Whether a subscription was stopped by its partner (DELETE): a tombstone names it."""
    tombstones = Tombstone.objects.filter(resource=RESOURCE, object_id=Cast(OuterRef("pk"), CharField()))
    return Exists(tombstones)


def stop_subscription(*, subscription: Subscription, actor: Actor) -> Subscription:
    """A partner's DELETE: the subscription is gone from the API (404, and a tombstone in its deletions
    feed, so a partner that syncs deletes its copy) but kept, inactive, with its delivery history, for
    the coordinators in the admin. One transaction."""
    with transaction.atomic():
        subscription.active = False
        stamp(subscription, actor, "Stopped by its partner (deleted through the API)")
        subscription.save(update_fields=["active", "updated_at"])
        Tombstone.objects.create(
            resource=RESOURCE,
            object_id=str(subscription.pk),
            organisation_id=subscription.organisation_id,
            deleted_at=timezone.now(),
        )
    return subscription


def update_subscription(
    *,
    subscription: Subscription,
    actor: Actor,
    email: str | NotGiven = NOT_GIVEN,
    name: str | NotGiven = NOT_GIVEN,
    regions: list[Region] | NotGiven = NOT_GIVEN,
    include_descendants: bool | NotGiven = NOT_GIVEN,
    trigger: str | NotGiven = NOT_GIVEN,
    threshold_status: str | NotGiven = NOT_GIVEN,
    include_corridors: bool | NotGiven = NOT_GIVEN,
    mode: str | NotGiven = NOT_GIVEN,
    active: bool | NotGiven = NOT_GIVEN,
    language: str | NotGiven = NOT_GIVEN,
    time_zone: str | NotGiven = NOT_GIVEN,
) -> Subscription:
    """Change a subscription (`subscription` as stored; the arguments given are the changes)."""
    data = {
        "email": email,
        "name": name,
        "regions": regions,
        "include_descendants": include_descendants,
        "trigger": trigger,
        "threshold_status": threshold_status,
        "include_corridors": include_corridors,
        "mode": mode,
        "active": active,
        "language": language,
        "time_zone": time_zone,
    }
    with transaction.atomic():
        model_update(instance=subscription, data=data, actor=actor, reason="Subscription changed")
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


# --- The subscriber's own changes (the manage page, the unsubscribe page's undo) ---------------------
# No account stands behind them: the signed link is the proof, the actor is the system and the reason
# says who asked.
SUBSCRIBER_REASON = "Changed by the subscriber from the manage page"


def update_own_subscription(
    *,
    subscription: Subscription,
    regions: list[Region] | NotGiven = NOT_GIVEN,
    trigger: str | NotGiven = NOT_GIVEN,
    threshold_status: str | NotGiven = NOT_GIVEN,
    include_corridors: bool | NotGiven = NOT_GIVEN,
    mode: str | NotGiven = NOT_GIVEN,
    active: bool | NotGiven = NOT_GIVEN,
    language: str | NotGiven = NOT_GIVEN,
    time_zone: str | NotGiven = NOT_GIVEN,
    reason: str = SUBSCRIBER_REASON,
) -> Subscription:
    """What a person may change of their own subscription from its signed manage link: what they follow
    and how they are told, never the address (a link forwarded to someone else must not redirect the
    alerts) nor who it belongs to."""
    data = {
        "regions": regions,
        "trigger": trigger,
        "threshold_status": threshold_status,
        "include_corridors": include_corridors,
        "mode": mode,
        "active": active,
        "language": language,
        "time_zone": time_zone,
    }
    with transaction.atomic():
        model_update(instance=subscription, data=data, actor=SYSTEM, reason=reason)
    return subscription


def resubscribe(*, subscription_id: int) -> Subscription | None:
    """The undo of an unsubscribe (or of a pause): alerts again, as before. Idempotent."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.active:
        return subscription
    subscription.active = True
    stamp(subscription, SYSTEM, "Resubscribed by the subscriber (undo)")
    subscription.save(update_fields=["active", "updated_at"])
    return subscription
