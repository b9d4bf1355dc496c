"""The alert emails: what they say, their threading headers and their one-click unsubscribe (RFC 8058).

Every email about a region carries References / In-Reply-To to that region's thread root, so a mail
client shows one conversation per region. Text goes through Django templates: the HTML part is
auto-escaped, and header values are folded to one line (a reason with a newline cannot add a header).
The MIME bytes are assembled in mime.py. Over 300 lines because one change as a reader sees it (the
headline rules for an inherited status and a correction of history, shared with the CAP feed) and the
emails built from it are read together; splitting them would split one rule across two files.
"""

from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import parseaddr
from types import SimpleNamespace
from typing import cast
from urllib.parse import unquote

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from access.choices import AccessStatus
from access.models import AlertEvent, Region, StatusChange, Subscription

from . import mime

UNSUBSCRIBE_SALT = "humtrack.alerts.unsubscribe"
MAX_THREAD_REFERENCES = 10


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "humtrack.localhost"


DOMAIN = SimpleLazyObject(_domain)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def unsubscribe_token(subscription: Subscription) -> str:
    # Unsigned ids would let anyone unsubscribe anyone; no expiry, because an old email's link must work.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscription.pk))


def subscription_id_from_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_url(subscription: Subscription) -> str:
    return settings.SITE_URL + reverse("alerts:unsubscribe", args=[unsubscribe_token(subscription)])


def region_url(pcode: str) -> str:
    return settings.SITE_URL + reverse("situation:region-details", args=[pcode])


def thread_root(thread: str) -> str:
    """The Message-ID every email about one region (or corridor) refers to, e.g. <region.AF08@…>."""
    return f"<{thread}@{DOMAIN}>"


def delivery_message_id(delivery_id: int, kind: str = "alert") -> str:
    # Fixed per delivery: if a crash makes us send one again, it carries the same Message-ID, and mail
    # clients and archives that de-duplicate on it show it once.
    return f"<{kind}.{delivery_id}@{DOMAIN}>"


def _label(status_display: str) -> str:
    return status_display.lower() if status_display else "new"


@dataclass(frozen=True)
class AlertItem:
    """One change as an email shows it."""

    title: str
    place: str
    pcode: str
    from_label: str
    to_label: str
    reason: str
    source: str
    confidence: str
    effective_at: datetime
    recorded_by: str
    link: str
    thread: str
    # A sentence saying how the change reaches the reader: a status inherited from an ancestor, or a
    # correction of history that leaves the status in force as it was.
    note: str = ""
    correction: bool = False


def _place(region: Region) -> str:
    return f"{region.name} ({region.pcode})"


def _status_label(status: str) -> str:
    """An effective status in a sentence: no record on the region or above it is "no information
    recorded", never "unknown" (a recorded statement, with a source)."""
    return AccessStatus(status).label.lower() if status else _("no information recorded")


def _status_headline(event: AlertEvent, via_region: Region | None) -> tuple[str, str]:
    """The title and the note of a status change as the reader's region sees it: the changed region, or
    `via_region`, a region they follow that has no status of its own and takes the changed region's."""
    # A status_change event has its status change (AlertEvent's check constraint alert_event_one_change).
    change = cast(StatusChange, event.status_change)
    region = change.region
    shown = via_region or region
    names = {
        "place": _place(shown),
        "region": _place(region),
        "name": region.name,
        "pcode": region.pcode,
        "before": _status_label(event.status_before),
        "after": _status_label(event.status_after),
        "was": _status_label(change.to_status),
        "date": format_date(timezone.localtime(change.effective_at), "j M Y"),
    }
    if not event.became_current:
        # Back-dated behind a later change: history is corrected, the status in force is not changed.
        title = _("%(place)s: correction of history, on %(date)s it was %(was)s; the status in force remains %(after)s")
        if via_region is None:
            note = _("On %(date)s it was %(was)s (recorded now); the status in force remains %(after)s.")
        else:
            note = _(
                "On %(date)s %(region)s, whose status %(place)s takes, was %(was)s (recorded now); "
                "the status in force remains %(after)s."
            )
        return title % names, note % names
    if via_region is not None:
        note = _(
            "%(place)s, which you follow, has no status of its own: it now takes %(name)s's (%(pcode)s): %(after)s."
        )
        if event.status_before == event.status_after:
            return _("%(place)s: still %(after)s, now taken from %(region)s") % names, note % names
        return _("%(place)s: %(before)s → %(after)s, taken from %(region)s") % names, note % names
    before_from = event.status_before_from
    if before_from is None or before_from.pk == region.pk:
        return _("%(place)s: %(before)s → %(after)s") % names, ""
    names.update(ancestor=_place(before_from), ancestor_name=before_from.name)
    note = _("Before, %(place)s had no status of its own and took %(ancestor_name)s's: %(before)s.") % names
    if event.status_before == event.status_after:
        return _("%(place)s: %(after)s, now its own record (before: inherited from %(ancestor)s)") % names, note
    return _("%(place)s: %(before)s → %(after)s") % names, note


def alert_item(event: AlertEvent, via_region: Region | None = None) -> AlertItem:
    """One change as an email shows it to a reader who follows `via_region` (see _status_headline), or
    the changed region or corridor itself."""
    change = event.change
    note, correction = "", False
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        region = via_region or change.region
        place, pcode, link = _place(region), region.pcode, region_url(region.pcode)
        thread = f"region.{region.pcode}"
        recorded_by = change.recorded_by_label
        from_label, to_label = _status_label(event.status_before), _status_label(event.status_after)
        title, note = _status_headline(event, via_region)
        correction = not event.became_current
    else:
        corridor = change.corridor
        # A corridor has no page of its own: the situation page shows it with its origin region.
        place, pcode, link = f"Corridor {corridor.name}", "", region_url(corridor.origin.pcode)
        thread = f"corridor.{corridor.pk}"
        parts = [p for p in (change.recorded_by and change.recorded_by.get_username(), change.organisation) if p]
        recorded_by = " for ".join(str(p) for p in parts) or "system"
        from_label = _label(change.get_from_status_display())
        to_label = _label(change.get_to_status_display())
        title = f"{place}: {from_label} → {to_label}"
    return AlertItem(
        title=one_line(title),
        place=place,
        pcode=pcode,
        from_label=from_label,
        to_label=to_label,
        reason=change.reason,
        source=str(change.source),
        confidence=change.get_confidence_display(),
        effective_at=change.effective_at,
        recorded_by=recorded_by,
        link=link,
        thread=thread,
        note=one_line(note),
        correction=correction,
    )


def _headers(subscription: Subscription, message_id: str, threads: list[str], url: str | None = None) -> dict:
    url = url or unsubscribe_url(subscription)
    headers = {
        "Message-ID": message_id,
        # RFC 8058: a POST to the link with this body unsubscribes, no page, no login.
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"humtrack access alerts <alerts.{DOMAIN}>",
        "Auto-Submitted": "auto-generated",
    }
    roots = [thread_root(thread) for thread in dict.fromkeys(threads)][:MAX_THREAD_REFERENCES]
    if roots:
        headers["In-Reply-To"] = roots[0]
        headers["References"] = " ".join(roots)
    return headers


def _message(subscription, subject, template, context, message_id, threads, connection) -> EmailMultiAlternatives:
    context = {**context, "subscription": subscription, "unsubscribe_url": unsubscribe_url(subscription)}
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"alerts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers=_headers(subscription, message_id, threads),
        connection=connection,
    )
    message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    return message


# Stand-ins for what differs between copies of one event's email, swapped in per recipient (Unicode
# private-use characters: no template escapes them, no text contains them).
NAME_MARK = "\ue000name\ue000"
TOKEN_MARK = "\ue000token\ue000"  # noqa: S105  (a placeholder, not a secret)


@dataclass
class RenderedEvent:
    """What every copy of one event's alert shares, rendered once; `bodies` per with/without a name."""

    item: AlertItem
    subject: str
    encoded_subject: str
    from_header: str
    envelope_from: str
    unsubscribe_url: str  # with TOKEN_MARK for the subscription's token
    bodies: dict


# (event id, via region id) → the event rendered for readers of that region (see alert_message).
Rendered = dict[tuple[int, int | None], RenderedEvent]


def render_event(event: AlertEvent, via_region: Region | None = None) -> RenderedEvent:
    item = alert_item(event, via_region)
    subject = one_line(f"[humtrack] {item.title}")
    return RenderedEvent(
        item=item,
        subject=subject,
        encoded_subject=Header(subject, "utf-8").encode(linesep="\r\n"),
        from_header=sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8"),
        envelope_from=sanitize_address(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], "utf-8"),
        # reverse() percent-encodes the marks; the token itself never needs it (Signer output is URL-safe).
        unsubscribe_url=settings.SITE_URL + unquote(reverse("alerts:unsubscribe", args=[TOKEN_MARK])),
        bodies={},
    )


def _bodies(event: RenderedEvent, with_name: bool) -> tuple[str, str]:
    if with_name not in event.bodies:
        context = {
            "subscription": SimpleNamespace(name=NAME_MARK if with_name else ""),
            "unsubscribe_url": event.unsubscribe_url,
            "item": event.item,
        }
        text_block = render_to_string("alerts/email/_item.txt", {"item": event.item})
        html_block = mark_safe(render_to_string("alerts/email/_item.html", {"item": event.item}))  # noqa: S308  (escaped by its template)
        event.bodies[with_name] = (
            render_to_string("alerts/email/alert.txt", {**context, "item_block": text_block}),
            render_to_string("alerts/email/alert.html", {**context, "item_block": html_block}),
        )
    return event.bodies[with_name]


def alert_message(delivery, connection=None, rendered: Rendered | None = None) -> EmailMultiAlternatives:
    """The email for one delivery: one change, sent at once. `rendered` keeps what copies share."""
    rendered = {} if rendered is None else rendered
    # Copies differ by the followed region the email names when it inherits the changed one's status.
    key = (delivery.event_id, delivery.via_region_id)
    event = rendered.get(key)
    if event is None:
        event = rendered[key] = render_event(delivery.event, delivery.via_region)
    subscription = delivery.subscription
    text, html = _bodies(event, bool(subscription.name))
    url = event.unsubscribe_url.replace(TOKEN_MARK, unsubscribe_token(subscription))
    text = text.replace(NAME_MARK, subscription.name).replace(event.unsubscribe_url, url)
    html = html.replace(NAME_MARK, escape(subscription.name)).replace(escape(event.unsubscribe_url), escape(url))
    headers = _headers(subscription, delivery_message_id(delivery.pk), [event.item.thread], url)
    to = subscription.email if subscription.email.isascii() else sanitize_address(subscription.email, "utf-8")
    message = mime.AssembledEmail(
        raw=mime.assemble(headers, event.encoded_subject, event.from_header, to, text, html),
        envelope_from=event.envelope_from,
        envelope_to=[to],
        subject=event.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def batch_message(subscription: Subscription, deliveries: list, kind: str, connection=None) -> EmailMultiAlternatives:
    """One email listing several changes: a flood follow-up or a daily digest."""
    items = [alert_item(delivery.event, delivery.via_region) for delivery in deliveries]
    if kind == "digest":
        subject = f"[humtrack] Daily digest: {len(items)} change{'s' if len(items) != 1 else ''}"
    elif len(items) == 1:
        subject = f"[humtrack] {items[0].title}"
    else:
        subject = f"[humtrack] {len(items)} more changes: {items[-1].title}"
    return _message(
        subscription,
        subject,
        "batch",
        {"items": items, "kind": kind},
        delivery_message_id(deliveries[0].pk, kind),
        [item.thread for item in items],
        connection,
    )


def coordinator_message(user, *, subject: str, template: str, context: dict, connection=None) -> EmailMultiAlternatives:
    """A notice to a coordinator about the pipeline itself (a paused address, stale regions)."""
    context = {**context, "user": user, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=one_line(f"[humtrack] {subject}"),
        body=render_to_string(f"alerts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    return message
