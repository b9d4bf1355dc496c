"""What people do without an account: ask for alerts (double opt-in), confirm, and manage their own.

The public page's request stores nothing and looks nothing up about the address: it signs the request
into a link and hands it to a worker, which emails it (confirmation.py). Confirming creates the
subscription, or adds the regions to the address's own one. The manage page's writes go through
subscriptions.update_own_subscription (the audit reason says the subscriber made them).
"""

from dataclasses import dataclass

from django.db import transaction

from access.models import Region, Subscription
from humtrack.actor import SYSTEM

from . import enqueue, links, subscriptions
from .choices import AlertMode
from .confirmation import requested_regions


def signup_request(*, email: str, regions: list[Region], language: str, time_zone: str, mode: str) -> dict:
    """What the person asked for, as the confirmation link carries it (plain JSON, signed by links)."""
    return {
        "email": email,
        "pcodes": [region.pcode for region in regions],
        "language": language,
        "time_zone": time_zone,
        "mode": mode,
    }


def request_alerts(*, email: str, regions: list[Region], language: str, time_zone: str, mode: str) -> bool:
    """Have a confirmation emailed to `email`; False when it could not be handed to a worker now.
    The same work whether or not the address is subscribed: no reply can tell the two apart."""
    request = signup_request(email=email, regions=regions, language=language, time_zone=time_zone, mode=mode)
    return enqueue.enqueue_confirmation_email(links.confirm_token(request))


def own_subscription(email: str) -> Subscription | None:
    """The subscription of `email` that no coordinator or partner manages (made from the public page or
    by the system), if any: the one a new confirmation adds regions to."""
    candidates = Subscription.objects.filter(email__iexact=email, created_by__isnull=True, organisation__isnull=True)
    return candidates.order_by("-active", "-id").first()


def confirm_request(*, request: dict) -> Subscription | None:
    """Create the subscription a confirmed request asks for, or add its regions to the address's own
    one (taking the language, time zone and mode just chosen, and resuming it). None when none of its
    regions exists any more. Confirming twice changes nothing more."""
    regions = requested_regions(request)
    if not regions:
        return None
    mode = request.get("mode") or AlertMode.IMMEDIATE
    with transaction.atomic():
        existing = own_subscription(request["email"])
        if existing is None:
            return subscriptions.create_subscription(
                actor=SYSTEM,
                email=request["email"],
                regions=regions,
                language=request["language"],
                time_zone=request.get("time_zone", ""),
                mode=mode,
            )
        followed = list(existing.regions.all())
        return subscriptions.update_own_subscription(
            subscription=existing,
            regions=list({region.pk: region for region in [*followed, *regions]}.values()),
            active=True,
            language=request["language"],
            time_zone=request.get("time_zone") or existing.time_zone,
            mode=mode,
            reason="Confirmed by the subscriber from the get-alerts page (regions added)",
        )


# --- Manage my alerts ------------------------------------------------------------------------------
def follow(*, subscription: Subscription, region: Region) -> Subscription:
    followed = list(subscription.regions.all())
    if region in followed:
        return subscription
    return subscriptions.update_own_subscription(subscription=subscription, regions=[*followed, region])


def unfollow(*, subscription: Subscription, region: Region) -> Subscription:
    followed = [followed for followed in subscription.regions.all() if followed.pk != region.pk]
    return subscriptions.update_own_subscription(subscription=subscription, regions=followed)


def change_preferences(
    *,
    subscription: Subscription,
    mode: str,
    trigger: str,
    threshold_status: str,
    include_corridors: bool,
    language: str,
    time_zone: str,
) -> Subscription:
    return subscriptions.update_own_subscription(
        subscription=subscription,
        mode=mode,
        trigger=trigger,
        threshold_status=threshold_status,
        include_corridors=include_corridors,
        language=language,
        time_zone=time_zone,
    )


# A person's pause is the unsubscribed state (active False) with "Resume" on the manage page: one state,
# so the pipeline's rule (is_receiving) stays as it is. paused_at is the pipeline's own pause after
# failures; resuming clears it too (the person has just opened a link from an email, so the address works).
def pause(*, subscription: Subscription) -> Subscription:
    return subscriptions.update_own_subscription(
        subscription=subscription, active=False, reason="Paused by the subscriber from the manage page"
    )


def resume(*, subscription: Subscription) -> Subscription:
    with transaction.atomic():
        subscriptions.update_own_subscription(
            subscription=subscription, active=True, reason="Resumed by the subscriber from the manage page"
        )
        if subscription.paused_at is not None:
            subscriptions.resume_subscription(subscription=subscription, actor=SYSTEM)
    return subscription


@dataclass(frozen=True)
class FollowedRegion:
    region: Region
    name: str  # in the subscription's language
    page_url: str  # the signed region page


def followed_regions(subscription: Subscription) -> list[FollowedRegion]:
    return [
        FollowedRegion(
            region=region,
            name=region.localised_name(subscription.language),
            page_url=links.region_page_url(subscription.pk, region.pcode),
        )
        for region in subscription.regions.order_by("path")
    ]
