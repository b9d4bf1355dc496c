"""The alert emails: what they say, in the reader's language and time zone, their threading headers, the
links that open pages for the reader and the one-click unsubscribe (RFC 8058).

Every email about a region carries References / In-Reply-To to that region's thread root, so a mail
client shows one conversation per region. Text goes through Django templates rendered in the
subscription's language (translation.override), times through humtrack.dates.reader_moment in its time
zone with UTC beside; the HTML part is auto-escaped and sets lang and dir, and header values are folded
to one line (a reason with a newline cannot add a header). The MIME bytes are assembled in mime.py.
About 500 lines because one change as a reader sees it (the headline rules for an inherited status
and a correction of history, shared with the CAP feed) and the emails built from it are read together;
splitting them would split one rule across two files. (If it grows more, AlertItem and its headline
rules are the part to move to a module of their own.)
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
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
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from access.choices import AccessStatus
from access.models import AlertEvent, Region, StatusChange, Subscription
from humtrack.dates import reader_day, reader_moment, zone_info

from . import links, mime, zones

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
    return links.signer(UNSUBSCRIBE_SALT).sign(str(subscription.pk))


def subscription_id_from_token(token: str) -> int | None:
    try:
        return int(links.signer(UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_url(subscription: Subscription) -> str:
    return settings.SITE_URL + reverse("alerts:unsubscribe", args=[unsubscribe_token(subscription)])


def region_url(pcode: str) -> str:
    """The region's public address for machines (the CAP feed's <web>); emails link to the signed page."""
    return settings.SITE_URL + reverse("situation:region-details", args=[pcode])


def thread_root(thread: str) -> str:
    """The Message-ID every email about one region (or corridor) refers to, e.g. <region.AF08@…>."""
    return f"<{thread}@{DOMAIN}>"


def delivery_message_id(delivery_id: int, kind: str = "alert") -> str:
    # Fixed per delivery: if a crash makes us send one again, it carries the same Message-ID, and mail
    # clients and archives that de-duplicate on it show it once.
    return f"<{kind}.{delivery_id}@{DOMAIN}>"


@dataclass(frozen=True)
class Reader:
    """Who reads an email: the language it is written in and the time zone its times are shown in."""

    language: str
    time_zone: str

    @classmethod
    def of(cls, subscription: Subscription) -> "Reader":
        # Blank only on rows older than the fields: English, and UTC (zones.DEFAULT_TIME_ZONE).
        return cls(subscription.language or settings.LANGUAGE_CODE, subscription.time_zone or zones.DEFAULT_TIME_ZONE)


# The CAP feed's reader: its <info> says language "en" and its times are UTC.
FEED_READER = Reader(settings.LANGUAGE_CODE, zones.DEFAULT_TIME_ZONE)


@dataclass(frozen=True)
class AlertItem:
    """One change as an email shows it, in its reader's language and time zone."""

    title: str
    place: str
    pcode: str
    from_label: str
    to_label: str
    reason: str
    source: str
    reliability: str  # the source's grade, "B – usually reliable"
    confidence: str
    effective_at: datetime
    when: str  # effective_at in the reader's zone with UTC beside (humtrack.dates.reader_moment)
    recorded_by: str
    link: str  # the region's public address (CAP); an email links to `page_link`, signed for its reader
    thread: str
    # The region whose page the email links to: the region shown, or a corridor's origin.
    page_pcode: str = ""
    page_link: str = ""
    # The region with its province, "Shutul (AF0806), Panjsher province"; the place alone above a district.
    where: str = ""
    # Since when the status before the change held: the label ("Previous status since") and the moment,
    # or "no earlier record"; blank for a corridor.
    since_label: str = ""
    since: str = ""
    # A sentence saying how the change reaches the reader: a status inherited from an ancestor, or a
    # correction of history that leaves the status in force as it was.
    note: str = ""
    correction: bool = False


def _place(region: Region, language: str) -> str:
    return f"{region.localised_name(language)} ({region.pcode})"


def _province(region: Region) -> Region | None:
    """The province a region below one lies in (None for a province or a country)."""
    while region.admin_level > Region.Level.PROVINCE and region.parent is not None:
        region = region.parent
        if region.admin_level == Region.Level.PROVINCE:
            return region
    return None


def _where(region: Region, language: str) -> str:
    province = _province(region)
    if province is None:
        return _place(region, language)
    return _("%(place)s, %(province)s province") % {
        "place": _place(region, language),
        "province": province.localised_name(language),
    }


def _status_label(status: str) -> str:
    """An effective status in a sentence: no record on the region or above it is "no information
    recorded", never "unknown" (a recorded statement, with a source)."""
    return str(AccessStatus(status).label).lower() if status else _("no information recorded")


def _corridor_label(status_display: str) -> str:
    return status_display.lower() if status_display else pgettext("a corridor's status before its first", "new")


def status_before_since(event: AlertEvent) -> datetime | None:
    """When the status in force before a status change began: the effective_at of the change in force
    then on the region whose record it was (the region itself, or the ancestor it took it from), as
    recorded when the change was; None when nothing was recorded. Read once per event."""
    if hasattr(event, "_status_before_since"):
        return event._status_before_since
    change = cast(StatusChange, event.status_change)
    since = None
    if event.status_before and event.status_before_from_id is not None:
        # Changes recorded later (a back-dated one, a newer one) were not what the reader had been told.
        since = (
            StatusChange.objects.filter(region_id=event.status_before_from_id, recorded_at__lte=change.recorded_at)
            .exclude(pk=change.pk)
            .order_by("-effective_at", "-id")
            .values_list("effective_at", flat=True)
            .first()
        )
    event._status_before_since = since  # type: ignore[attr-defined]
    return since


def _status_headline(event: AlertEvent, via_region: Region | None, reader: Reader) -> tuple[str, str]:
    """The title and the note of a status change as the reader's region sees it: the changed region, or
    `via_region`, a region they follow that has no status of its own and takes the changed region's."""
    # A status_change event has its status change (AlertEvent's check constraint alert_event_one_change).
    change = cast(StatusChange, event.status_change)
    region = change.region
    shown = via_region or region
    language = reader.language
    names = {
        "place": _place(shown, language),
        "region": _place(region, language),
        "name": region.localised_name(language),
        "pcode": region.pcode,
        "before": _status_label(event.status_before),
        "after": _status_label(event.status_after),
        "was": _status_label(change.to_status),
        "date": reader_day(change.effective_at.astimezone(zone_info(reader.time_zone)).date(), language=language),
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
    names.update(ancestor=_place(before_from, language), ancestor_name=before_from.localised_name(language))
    note = _("Before, %(place)s had no status of its own and took %(ancestor_name)s's: %(before)s.") % names
    if event.status_before == event.status_after:
        return _("%(place)s: %(after)s, now its own record (before: inherited from %(ancestor)s)") % names, note
    return _("%(place)s: %(before)s → %(after)s") % names, note


def _since(event: AlertEvent, reader: Reader) -> tuple[str, str]:
    label = _("Status in force since") if not event.became_current else _("Previous status since")
    since = status_before_since(event)
    if since is None:
        return label, _("no earlier record")
    moment = reader_moment(since, time_zone=reader.time_zone, language=reader.language)
    return label, _("%(status)s since %(moment)s") % {"status": _status_label(event.status_before), "moment": moment}


def alert_item(
    event: AlertEvent, via_region: Region | None = None, reader: Reader = FEED_READER, *, detailed: bool = False
) -> AlertItem:
    """One change as an email shows it to a reader who follows `via_region` (see _status_headline), or
    the changed region or corridor itself, in the reader's language and time zone. `detailed` adds what
    only an email says and costs a query or two (the province, since when the status before held); the
    CAP feed, listing a hundred changes, goes without."""
    with translation.override(reader.language):
        return _alert_item(event, via_region, reader, detailed)


def _alert_item(event: AlertEvent, via_region: Region | None, reader: Reader, detailed: bool) -> AlertItem:
    change = event.change
    language = reader.language
    note, correction, where, since_label, since = "", False, "", "", ""
    if event.kind == AlertEvent.Kind.STATUS_CHANGE:
        region = via_region or change.region
        place, pcode, link, page_pcode = _place(region, language), region.pcode, region_url(region.pcode), region.pcode
        where = _where(region, language) if detailed else place
        thread = f"region.{region.pcode}"
        recorded_by = change.recorded_by_label
        from_label, to_label = _status_label(event.status_before), _status_label(event.status_after)
        title, note = _status_headline(event, via_region, reader)
        if detailed:
            since_label, since = _since(event, reader)
        correction = not event.became_current
    else:
        corridor = change.corridor
        # A corridor has no page of its own: the region page of its origin shows it.
        place = _("Corridor %(name)s") % {"name": corridor.name}
        pcode, page_pcode = "", corridor.origin.pcode
        link = region_url(corridor.origin.pcode)
        where = _place(corridor.origin, language)
        thread = f"corridor.{corridor.pk}"
        user = change.recorded_by and change.recorded_by.get_username()
        if user and change.organisation:
            recorded_by = _("%(user)s for %(organisation)s") % {"user": user, "organisation": change.organisation}
        else:
            recorded_by = str(user or change.organisation or _("system"))
        from_label = _corridor_label(change.get_from_status_display())
        to_label = _corridor_label(change.get_to_status_display())
        title = _("%(place)s: %(before)s → %(after)s") % {"place": place, "before": from_label, "after": to_label}
    return AlertItem(
        title=one_line(title),
        place=place,
        pcode=pcode,
        from_label=from_label,
        to_label=to_label,
        reason=change.reason,
        source=str(change.source),
        reliability=change.source.get_reliability_display(),
        confidence=change.get_confidence_display(),
        effective_at=change.effective_at,
        when=str(reader_moment(change.effective_at, time_zone=reader.time_zone, language=language)),
        recorded_by=recorded_by,
        link=link,
        thread=thread,
        page_pcode=page_pcode,
        where=where,
        since_label=since_label,
        since=since,
        note=one_line(note),
        correction=correction,
    )


def _direction() -> dict[str, str]:
    """The active language's lang, dir and sides for the HTML email, written inline (mail clients drop
    <style> in places): `start` is where a line begins (left, or right in Dari and Pashto)."""
    rtl = translation.get_language_bidi()
    return {
        "lang": translation.get_language() or settings.LANGUAGE_CODE,
        "dir": "rtl" if rtl else "ltr",
        "start": "right" if rtl else "left",
        "end": "left" if rtl else "right",
    }


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


def _subject(title: str) -> str:
    return one_line(_("[humtrack] %(title)s") % {"title": title})


# Stand-ins for what differs between copies of one event's email, swapped in per recipient (Unicode
# private-use characters: no template escapes them, no text contains them). The tokens are URL-safe
# and need no HTML escaping (Signer output), so each mark is replaced as it is in both bodies.
NAME_MARK = "\ue000name\ue000"
TOKEN_MARK = "\ue000token\ue000"  # noqa: S105  (a placeholder, not a secret): the unsubscribe token
PAGE_TOKEN_MARK = "\ue000page\ue000"  # noqa: S105  the region page's token
MANAGE_TOKEN_MARK = "\ue000manage\ue000"  # noqa: S105  the manage page's token
MARKS = re.compile(f"({NAME_MARK}|{TOKEN_MARK}|{PAGE_TOKEN_MARK}|{MANAGE_TOKEN_MARK})")


def _marked_url(name: str, *args: str) -> str:
    # reverse() percent-encodes the marks; the tokens themselves never need it (Signer output is URL-safe).
    return settings.SITE_URL + unquote(reverse(name, args=args))


@dataclass
class RenderedEvent:
    """What every copy of one event's alert shares, rendered once per reader's language and zone;
    `bodies` per with/without a name."""

    item: AlertItem  # its page_link with PAGE_TOKEN_MARK
    reader: Reader
    subject: str
    encoded_subject: str
    from_header: str
    envelope_from: str
    unsubscribe_url: str  # with TOKEN_MARK for the subscription's token
    manage_url: str  # with MANAGE_TOKEN_MARK
    bodies: dict  # with a name or not → (text, html), each cut at its marks (_pieces)


# (event id, via region id, language, time zone) → the event rendered for those readers (alert_message).
Rendered = dict[tuple[int, int | None, str, str], RenderedEvent]


def render_event(event: AlertEvent, via_region: Region | None = None, reader: Reader = FEED_READER) -> RenderedEvent:
    item = alert_item(event, via_region, reader, detailed=True)
    item = replace(item, page_link=_marked_url("situation:region-page", item.page_pcode, PAGE_TOKEN_MARK))
    with translation.override(reader.language):
        subject = _subject(item.title)
    return RenderedEvent(
        item=item,
        reader=reader,
        subject=subject,
        encoded_subject=Header(subject, "utf-8").encode(linesep="\r\n"),
        from_header=sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8"),
        envelope_from=sanitize_address(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], "utf-8"),
        unsubscribe_url=_marked_url("alerts:unsubscribe", TOKEN_MARK),
        manage_url=_marked_url("alerts:manage", MANAGE_TOKEN_MARK),
        bodies={},
    )


def _pieces(body: str) -> list[str]:
    """A body cut at its marks: the text between them, and each mark, in order (see _personalise)."""
    return MARKS.split(body)


def _bodies(event: RenderedEvent, with_name: bool) -> tuple[list[str], list[str]]:
    if with_name not in event.bodies:
        with translation.override(event.reader.language):
            context = {
                "subscription": SimpleNamespace(name=NAME_MARK if with_name else ""),
                "unsubscribe_url": event.unsubscribe_url,
                "manage_url": event.manage_url,
                "item": event.item,
                "email": _direction(),
            }
            text_block = render_to_string("alerts/email/_item.txt", context)
            html_block = mark_safe(render_to_string("alerts/email/_item.html", context))  # noqa: S308  (escaped by its template)
            event.bodies[with_name] = (
                _pieces(render_to_string("alerts/email/alert.txt", {**context, "item_block": text_block})),
                _pieces(render_to_string("alerts/email/alert.html", {**context, "item_block": html_block})),
            )
    return event.bodies[with_name]


def _personalise(pieces: list[str], values: dict[str, str]) -> str:
    # One pass over the cut body: cheaper per copy than one str.replace of the whole body per mark.
    return "".join([values.get(piece, piece) for piece in pieces])


def alert_message(
    delivery, connection=None, rendered: Rendered | None = None, before_queries: Callable[[], None] | None = None
) -> EmailMultiAlternatives:
    """The email for one delivery: one change, sent at once. `rendered` keeps what copies share.

    Only rendering an event's first copy reads the database; `before_queries` is called just before (the
    sender reads the answer to its last mark then: marks.SentMarks.collect)."""
    rendered = {} if rendered is None else rendered
    subscription = delivery.subscription
    reader = Reader.of(subscription)
    # Copies differ by the followed region the email names when it inherits the changed one's status,
    # and by the reader's language and zone.
    key = (delivery.event_id, delivery.via_region_id, reader.language, reader.time_zone)
    event = rendered.get(key)
    if event is None:
        if before_queries is not None:
            before_queries()
        event = rendered[key] = render_event(delivery.event, delivery.via_region, reader)
    text_pieces, html_pieces = _bodies(event, bool(subscription.name))
    values = {
        TOKEN_MARK: unsubscribe_token(subscription),
        PAGE_TOKEN_MARK: links.region_page_token(subscription.pk, event.item.page_pcode),
        MANAGE_TOKEN_MARK: links.manage_token(subscription.pk),
        NAME_MARK: subscription.name,
    }
    text = _personalise(text_pieces, values)
    values[NAME_MARK] = escape(subscription.name)
    html = _personalise(html_pieces, values)
    url = event.unsubscribe_url.replace(TOKEN_MARK, values[TOKEN_MARK])
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
    """One email listing several changes: a flood follow-up or a daily digest, in the reader's language."""
    reader = Reader.of(subscription)
    items = []
    for delivery in deliveries:
        item = alert_item(delivery.event, delivery.via_region, reader, detailed=True)
        items.append(replace(item, page_link=links.region_page_url(subscription.pk, item.page_pcode)))
    count = len(items)
    with translation.override(reader.language):
        if kind == "digest":
            subject = ngettext(
                "[humtrack] Daily digest: %(count)d change", "[humtrack] Daily digest: %(count)d changes", count
            ) % {"count": count}
        elif count == 1:
            subject = _subject(items[0].title)
        else:
            subject = ngettext(
                "[humtrack] %(count)d more change: %(title)s", "[humtrack] %(count)d more changes: %(title)s", count
            ) % {"count": count, "title": items[-1].title}
        context = {
            "items": items,
            "kind": kind,
            "subscription": subscription,
            "unsubscribe_url": unsubscribe_url(subscription),
            "manage_url": links.manage_url(subscription.pk),
            "email": _direction(),
        }
        message = EmailMultiAlternatives(
            subject=one_line(subject),
            body=render_to_string("alerts/email/batch.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[subscription.email],
            headers=_headers(subscription, delivery_message_id(deliveries[0].pk, kind), [i.thread for i in items]),
            connection=connection,
        )
        message.attach_alternative(render_to_string("alerts/email/batch.html", context), "text/html")
    return message


def coordinator_message(user, *, subject: str, template: str, context: dict, connection=None) -> EmailMultiAlternatives:
    """A notice to a coordinator about the pipeline itself (a paused address, stale regions). Coordinators
    choose no language: it is written in LANGUAGE_CODE (its strings are translatable all the same)."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {**context, "user": user, "site_url": settings.SITE_URL, "email": _direction()}
        message = EmailMultiAlternatives(
            subject=one_line(_("[humtrack] %(subject)s") % {"subject": subject}),
            body=render_to_string(f"alerts/email/{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
            connection=connection,
        )
        message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    return message
