"""Emails to coordinators about the pipeline itself: a paused address, regions gone stale. Each once.

Coordinators choose no language: notices are written in LANGUAGE_CODE (emails.coordinator_message),
their text translatable all the same.
"""

from datetime import datetime
from functools import partial, reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from access.models import CoordinatorNotice, Region, Subscription
from access.selectors.coordinators import coordinators_of
from access.selectors.regions import stale_regions

from . import emails
from .choices import DeliveryStatus

STALE_LIST_LIMIT = 50


def _send_notice_once(user, key: str, build_message) -> bool:
    """Send a notice unless one with this key already went to this user (a task run twice)."""
    if not user.email:
        return False
    notice, _ = CoordinatorNotice.objects.get_or_create(user=user, key=key)
    if notice.sent_at is not None:
        return False
    build_message().send()
    CoordinatorNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return True


def _paused_subject(subscription: Subscription) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Alerts to %(address)s paused after repeated failures") % {"address": subscription.email}


def _stale_subject(total: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext(
            "%(total)d region without a confirmed update", "%(total)d regions without a confirmed update", total
        ) % {"total": total}


def notify_coordinators_of_pause(subscription_id: int) -> int:
    """Tell the coordinators of a paused subscription's regions, once per pause."""
    subscription = Subscription.objects.filter(pk=subscription_id, paused_at__isnull=False).first()
    if subscription is None:
        return 0
    regions = list(subscription.regions.all())
    coordinators = {user.pk: user for region in regions for user in coordinators_of(region)}
    last_failure = subscription.deliveries.filter(status=DeliveryStatus.FAILED_PERMANENT).order_by("-id").first()
    context = {
        "subscription": subscription,
        "failures": subscription.consecutive_failures,
        "last_error": last_failure.last_error if last_failure else "",
        "regions": [str(region) for region in regions],
        "admin_path": f"/admin/access/subscription/{subscription.pk}/change/",
    }
    key = f"paused:{subscription.pk}:{subscription.paused_at:%Y%m%dT%H%M%S}"
    sent = 0
    for user in coordinators.values():
        subject = _paused_subject(subscription)
        build = partial(emails.coordinator_message, user, subject=subject, template="paused", context=context)
        sent += _send_notice_once(user, key, build)
    return sent


def send_staleness_notices(now: datetime | None = None) -> int:
    """Once a day, each coordinator hears which of their regions had no confirmed update for N days."""
    now = now or timezone.now()
    key = f"stale:{now:%Y-%m-%d}"
    sent = 0
    coordinators = get_user_model().objects.filter(is_active=True, coordinator_regions__isnull=False).distinct()
    for user in coordinators:
        paths = list(user.coordinator_regions.values_list("region__path", flat=True))
        mine = Region.objects.filter(reduce(or_, (Q(path__startswith=path) for path in paths)))
        stale = list(stale_regions(now, queryset=mine).order_by("path")[: STALE_LIST_LIMIT + 1])
        if not stale:
            continue
        total = stale_regions(now, queryset=mine).count() if len(stale) > STALE_LIST_LIMIT else len(stale)
        context = {
            "regions": stale[:STALE_LIST_LIMIT],
            "total": total,
            "more": total - min(total, STALE_LIST_LIMIT),
            "days": settings.HUMTRACK_STALE_AFTER_DAYS,
        }
        subject = _stale_subject(total)
        build = partial(emails.coordinator_message, user, subject=subject, template="stale", context=context)
        sent += _send_notice_once(user, key, build)
    return sent
