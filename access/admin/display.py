"""How the coordinators' admin shows a status, a change, a time and a source, the same on every page.

Colour helps the eye; the label carries the meaning (colour is never the only cue). Histories show
first when a thing took effect on the ground, and beside it, muted, when and by whom it was recorded.
"""

from datetime import datetime

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus, CorridorStatus
from access.models import CorridorStatusChange, SourcedFact, StatusChange

# Keyed by the stored value (a str): a lookup with a row's status finds its colours.
BADGE_COLOURS: dict[str, tuple[str, str]] = {
    AccessStatus.ACCESSIBLE: ("#1e7b34", "#fff"),
    AccessStatus.CONSTRAINED: ("#f2c200", "#000"),
    AccessStatus.SEVERELY_CONSTRAINED: ("#d9531e", "#fff"),
    AccessStatus.INACCESSIBLE: ("#a4001d", "#fff"),
    AccessStatus.UNKNOWN: ("#5a6268", "#fff"),
    CorridorStatus.OPEN: ("#1e7b34", "#fff"),
    CorridorStatus.RESTRICTED: ("#f2c200", "#000"),
    CorridorStatus.CLOSED: ("#a4001d", "#fff"),
}


def status_badge(value: str, label: str) -> SafeString:
    background, colour = BADGE_COLOURS.get(value, ("#5a6268", "#fff"))
    return format_html(
        '<span class="status-badge status-{}" style="background:{};color:{};padding:2px 8px;'
        'border-radius:10px;white-space:nowrap;font-weight:600">{}</span>',
        value,
        background,
        colour,
        label,
    )


def change_badges(change: StatusChange | CorridorStatusChange) -> SafeString:
    """ "Inaccessible → Accessible"; a first record of a region (or corridor) starts from "no record"."""
    if change.from_status:
        before = status_badge(change.from_status, change.get_from_status_display())
    else:
        before = format_html('<span class="status-none">{}</span>', gettext("no record"))
    return format_html("{} → {}", before, status_badge(change.to_status, change.get_to_status_display()))


def effective_time(moment: datetime | None) -> str:
    """When something took effect on the ground: the time histories show first."""
    if moment is None:
        return "—"
    return format_html(
        '<span class="effective-time" style="white-space:nowrap">{} UTC</span>', f"{moment:%Y-%m-%d %H:%M}"
    )


def recorded_time(moment: datetime | None, who: str = "") -> SafeString:
    """When (and by whom) it was recorded, beside the effective time: muted, it is the lesser fact."""
    text = f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"
    if who:
        text = gettext("%(when)s by %(who)s") % {"when": text, "who": who}
    return format_html('<span class="recorded-time" style="color:var(--body-quiet-color)">{}</span>', text)


def in_force_span(start: datetime | None, end: datetime | None) -> SafeString:
    """When a fact held on the ground: "2021-09-01 08:00 UTC → 2021-09-05 14:30 UTC" (→ … while it holds)."""
    return format_html("{} → {}", effective_time(start), effective_time(end) if end else "…")


def silent_mark(silent: bool) -> str:
    """Only a silent change is marked; a normal, alerted change shows nothing (no red cross)."""
    if not silent:
        return ""
    title = gettext("Recorded without alerting subscribers")
    return format_html(
        '<span class="silent-mark" title="{}" style="color:var(--body-quiet-color);font-style:italic">{}</span>',
        title,
        gettext("silent"),
    )


class SourcedFactColumns:
    """List columns every sourced fact shares."""

    @admin.display(description=_("source"), ordering="source__publisher")
    def source_label(self, fact: SourcedFact) -> str:
        # The full citation is long; the list shows its start, the record its whole.
        return Truncator(str(fact.source)).chars(60)
