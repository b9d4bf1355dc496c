"""Emails to coordinators about the pipeline itself: a paused address, regions gone stale. Each once.

The daily staleness notice also lists the coordinator's regions flagged for review this month: the
access severity computed from the month's evidence disagrees strongly with the status they show
(access.selectors.severity, REVIEW_WHEN). A coordinator with neither gets no email.

Coordinators choose no language: notices are written in LANGUAGE_CODE (emails.coordinator_message),
their text translatable all the same.

A pause notice goes through the outbox like every other email: `record_pause_notices` writes one row per
coordinator in the pause's own transaction and enqueues the sending on commit; a broker outage leaves
the rows pending, and the sweep (`pending_pause_notices`) enqueues them again. A row is marked sent as
soon as the mail server has accepted its message (250 to DATA), before the connection is closed.
"""

from datetime import datetime
from functools import partial, reduce
from operator import or_
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from access.choices import AccessStatus, SeverityLevel
from access.models import CoordinatorNotice, Region, Subscription
from access.selectors.coordinators import coordinators_of
from access.selectors.regions import stale_regions
from access.selectors.severity import severities_for_month
from access.selectors.status import with_effective_status

from . import emails, enqueue
from .choices import DeliveryStatus

STALE_LIST_LIMIT = 50


def _send_notice_once(user, key: str, build_message, connection) -> bool:
    """Send a notice unless one with this key already went to this user (a task run twice), over an open
    `connection`, and mark it at the server's 250, before QUIT, as every other email."""
    if not user.email:
        return False
    notice, _ = CoordinatorNotice.objects.get_or_create(user=user, key=key)
    if notice.sent_at is not None:
        return False
    connection.open()  # a no-op once open; opened here, send_messages would QUIT before the mark below
    if not connection.send_messages([build_message(connection=connection)]):
        return False
    CoordinatorNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return True


def _paused_subject(subscription: Subscription) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Alerts to %(address)s paused after repeated failures") % {"address": subscription.email}


def _stale_subject(total: int, flagged: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if not total:
            return ngettext(
                "%(flagged)d region flagged for review", "%(flagged)d regions flagged for review", flagged
            ) % {"flagged": flagged}
        return ngettext(
            "%(total)d region without a confirmed update", "%(total)d regions without a confirmed update", total
        ) % {"total": total}


PAUSE_KEY_PREFIX = "paused:"


def pause_notice_key(subscription: Subscription) -> str:
    """One key per pause: paused again after a resume, the coordinators hear again."""
    return f"{PAUSE_KEY_PREFIX}{subscription.pk}:{subscription.paused_at:%Y%m%dT%H%M%S}"


def _coordinators_of_subscription(subscription: Subscription) -> list:
    users = {user.pk: user for region in subscription.regions.all() for user in coordinators_of(region)}
    return [user for user in users.values() if user.email]


def _record_pending(subscription: Subscription) -> None:
    key = pause_notice_key(subscription)
    notices = [CoordinatorNotice(user=user, key=key) for user in _coordinators_of_subscription(subscription)]
    CoordinatorNotice.objects.bulk_create(notices, ignore_conflicts=True)  # already recorded: kept as they are


def record_pause_notices(subscription: Subscription) -> None:
    """Call in the transaction that pauses `subscription` (its paused_at set): a pending notice for each of
    its coordinators, and the sending enqueued once that transaction commits."""
    _record_pending(subscription)
    transaction.on_commit(partial(enqueue.enqueue_pause_notice, subscription.pk))


def pending_pause_notices(before: datetime) -> list[int]:
    """The subscriptions whose pause notices, recorded before `before`, are still unsent (for the sweep).

    Only for a subscription still paused by that same pause: a notice of a pause since resumed stays unsent.
    """
    keys = set(
        CoordinatorNotice.objects.filter(
            key__startswith=PAUSE_KEY_PREFIX, sent_at__isnull=True, created_at__lt=before
        ).values_list("key", flat=True)
    )
    ids = {int(key.split(":")[1]) for key in keys}
    paused = Subscription.objects.filter(pk__in=ids, paused_at__isnull=False)
    return sorted(subscription.pk for subscription in paused if pause_notice_key(subscription) in keys)


def notify_coordinators_of_pause(subscription_id: int) -> int:
    """Send a paused subscription's pending notices, each once; how many were sent."""
    subscription = Subscription.objects.filter(pk=subscription_id, paused_at__isnull=False).first()
    if subscription is None:
        return 0
    # Recorded by the pause itself (record_pause_notices); recorded here too for a pause from before it was.
    _record_pending(subscription)
    key = pause_notice_key(subscription)
    pending = list(CoordinatorNotice.objects.filter(key=key, sent_at__isnull=True).select_related("user"))
    if not pending:
        return 0
    regions = list(subscription.regions.all())
    last_failure = subscription.deliveries.filter(status=DeliveryStatus.FAILED_PERMANENT).order_by("-id").first()
    context = {
        "subscription": subscription,
        "failures": subscription.consecutive_failures,
        "last_error": last_failure.last_error if last_failure else "",
        "regions": [str(region) for region in regions],
        "admin_path": f"/admin/access/subscription/{subscription.pk}/change/",
    }
    subject = _paused_subject(subscription)
    sent = 0
    # One connection, opened here and closed at the end: send_messages on an open connection returns after
    # the server's 250 and leaves it open, so each row is marked sent before QUIT (message.send() would
    # QUIT first, and a QUIT that stalls or fails would leave a delivered notice unmarked, sent again).
    connection = get_connection()
    connection.open()
    try:
        for notice in pending:
            with transaction.atomic():
                # Another run of the task (the sweep's, while this one is sending) skips a notice held here.
                claimed = CoordinatorNotice.objects.select_for_update(skip_locked=True).filter(
                    pk=notice.pk, sent_at__isnull=True
                )
                if claimed.first() is None:
                    continue
                message = emails.coordinator_message(
                    notice.user, subject=subject, template="paused", context=context, connection=connection
                )
                if connection.send_messages([message]):
                    claimed.update(sent_at=timezone.now())
                    sent += 1
    finally:
        connection.close()
    return sent


def send_staleness_notices(now: datetime | None = None) -> int:
    """Once a day, each coordinator hears which of their regions had no confirmed update for N days."""
    now = now or timezone.now()
    key = f"stale:{now:%Y-%m-%d}"
    sent = 0
    coordinators = get_user_model().objects.filter(is_active=True, coordinator_regions__isnull=False).distinct()
    connection = get_connection()  # opened at the first notice, closed (QUIT) after the last one's mark
    try:
        for user in coordinators:
            sent += _send_stale_notice(user, key, now, connection)
    finally:
        connection.close()
    return sent


def flagged_for_review(regions, now: datetime) -> list[dict]:
    """The regions among `regions` flagged for review in `now`'s month, in path order, each with its computed
    level and its effective status (access.selectors.severity). A few queries, whatever their number."""
    severities = severities_for_month(month=now.date(), regions=regions)
    # A flag needs a computed level (access.selectors.severity.needs_review): `overall` is never None here.
    flagged = [s for s in severities.values() if s.flagged_for_review and s.overall is not None]
    if not flagged:
        return []
    statuses = dict(
        with_effective_status(Region.objects.filter(pk__in=[s.region.pk for s in flagged])).values_list(
            "pk", "effective_status"
        )
    )
    with translation.override(settings.LANGUAGE_CODE):
        return [
            {
                "name": severity.region.name,
                "pcode": severity.region.pcode,
                "level": str(SeverityLevel(cast(int, severity.overall)).label),
                "status": str(AccessStatus(statuses[severity.region.pk]).label),
            }
            for severity in sorted(flagged, key=lambda severity: severity.region.path)
        ]


def _send_stale_notice(user, key: str, now: datetime, connection) -> bool:
    paths = list(user.coordinator_regions.values_list("region__path", flat=True))
    mine = Region.objects.filter(reduce(or_, (Q(path__startswith=path) for path in paths)))
    stale = list(stale_regions(now, queryset=mine).order_by("path")[: STALE_LIST_LIMIT + 1])
    flagged = flagged_for_review(mine.order_by("path"), now)
    if not stale and not flagged:
        return False
    total = stale_regions(now, queryset=mine).count() if len(stale) > STALE_LIST_LIMIT else len(stale)
    context = {
        "regions": stale[:STALE_LIST_LIMIT],
        "total": total,
        "more": total - min(total, STALE_LIST_LIMIT),
        "days": settings.HUMTRACK_STALE_AFTER_DAYS,
        "flagged": flagged[:STALE_LIST_LIMIT],
        "flagged_total": len(flagged),
        "flagged_more": len(flagged) - min(len(flagged), STALE_LIST_LIMIT),
    }
    subject = _stale_subject(total, len(flagged))
    build = partial(emails.coordinator_message, user, subject=subject, template="stale", context=context)
    return _send_notice_once(user, key, build, connection)
