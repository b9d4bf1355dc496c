"""Moments as a reader sees them: in their time zone with UTC beside, and in Dari and Pashto with the
Solar Hijri date beside the Gregorian one.

Stored times are UTC. A field officer in Bazarak reads "1 September 2021, 14:30 Afghanistan Time
(10:00 UTC)"; in Dari and Pashto also "10 Sonbola 1400" with the Afghan month names (Hamal … Hut, the
names Afghanistan uses, not Iran's Farvardin …). The calendar arithmetic is jdatetime's; the Gregorian
month names, zone names and the order of day, month and year are CLDR's, through Babel; the Afghan
month names and the sentence that puts the parts together are in our catalogues (locale/).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime  # type: ignore[import-untyped]  # no type information shipped
from babel import dates as babel_dates
from django.utils import translation
from django.utils.translation import gettext, pgettext, pgettext_lazy

# The Solar Hijri months by the names Afghanistan uses (the zodiac names), Hamal (month 1) to Hut (12).
AFGHAN_SOLAR_HIJRI_MONTHS = [
    pgettext_lazy("Solar Hijri month", "Hamal"),
    pgettext_lazy("Solar Hijri month", "Sawr"),
    pgettext_lazy("Solar Hijri month", "Jawza"),
    pgettext_lazy("Solar Hijri month", "Saratan"),
    pgettext_lazy("Solar Hijri month", "Asad"),
    pgettext_lazy("Solar Hijri month", "Sonbola"),
    pgettext_lazy("Solar Hijri month", "Mizan"),
    pgettext_lazy("Solar Hijri month", "Aqrab"),
    pgettext_lazy("Solar Hijri month", "Qaws"),
    pgettext_lazy("Solar Hijri month", "Jadi"),
    pgettext_lazy("Solar Hijri month", "Dalw"),
    pgettext_lazy("Solar Hijri month", "Hut"),
]
# The languages whose readers get the Solar Hijri date beside the Gregorian one.
SOLAR_HIJRI_LANGUAGES = frozenset({"fa-af", "ps"})


def zone_info(name: str) -> ZoneInfo:
    """The zone of this IANA name; UTC for a blank or unknown one (an old row, a removed zone)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def babel_locale(language: str) -> str:
    return translation.to_locale(language or "en")


def solar_hijri_date(day: date) -> str:
    """ "10 Sonbola 1400" for 1 September 2021, the month in the active language."""
    solar = jdatetime.date.fromgregorian(date=day)
    month = AFGHAN_SOLAR_HIJRI_MONTHS[solar.month - 1]
    return pgettext("Solar Hijri date: day, month, year", "%(day)s %(month)s %(year)s") % {
        "day": solar.day,
        "month": month,
        "year": solar.year,
    }


def gregorian_date(day: date, language: str) -> str:
    return babel_dates.format_date(day, "d MMMM y", locale=babel_locale(language))


@dataclass(frozen=True)
class ReaderMoment:
    """One moment as a reader in `time_zone` reads it, in `language`; str() is the whole sentence."""

    local_date: str  # "1 September 2021"
    local_time: str  # "14:30"
    zone: str  # "Afghanistan Time", in the language (CLDR)
    utc: str  # "10:00" (with the date when the UTC day differs: "31 August 2021, 23:00")
    solar_hijri: str  # "10 Sonbola 1400" in Dari and Pashto; "" in English
    text: str
    iso: str  # the moment in ISO 8601 with the reader's offset, for <time datetime="…">

    def __str__(self) -> str:
        return self.text


def reader_moment(moment: datetime, *, time_zone: str, language: str) -> ReaderMoment:
    """`moment` (aware) in the reader's zone with UTC beside, in `language` (en, fa-af, ps)."""
    zone = zone_info(time_zone)
    local = moment.astimezone(zone)
    in_utc = moment.astimezone(UTC)
    locale = babel_locale(language)
    with translation.override(language):
        local_date = gregorian_date(local.date(), language)
        local_time = babel_dates.format_time(local, "HH:mm", tzinfo=zone, locale=locale)
        zone_name = babel_dates.get_timezone_name(zone, width="long", locale=locale) if time_zone else "UTC"
        utc_time = babel_dates.format_time(in_utc, "HH:mm", tzinfo=UTC, locale=locale)
        if in_utc.date() != local.date():
            utc_time = gettext("%(date)s, %(time)s") % {
                "date": gregorian_date(in_utc.date(), language),
                "time": utc_time,
            }
        solar = solar_hijri_date(local.date()) if language in SOLAR_HIJRI_LANGUAGES else ""
        names = {"date": local_date, "time": local_time, "zone": zone_name, "utc": utc_time, "solar": solar}
        if zone.key == "UTC":
            text = gettext("%(date)s, %(time)s UTC") % names
        else:
            text = gettext("%(date)s, %(time)s %(zone)s (%(utc)s UTC)") % names
        if solar:
            text = pgettext("a moment, then its Solar Hijri date", "%(moment)s · %(solar)s") % {
                "moment": text,
                "solar": solar,
            }
    return ReaderMoment(
        local_date=local_date,
        local_time=local_time,
        zone=zone_name,
        utc=utc_time,
        solar_hijri=solar,
        text=text,
        iso=local.isoformat(timespec="minutes"),
    )


def reader_day(day: date, *, language: str) -> str:
    """A day (no time) in `language`: the Gregorian date, and in Dari and Pashto the Solar Hijri one beside."""
    with translation.override(language):
        gregorian = gregorian_date(day, language)
        if language not in SOLAR_HIJRI_LANGUAGES:
            return gregorian
        return pgettext("a day, then its Solar Hijri date", "%(day)s · %(solar)s") % {
            "day": gregorian,
            "solar": solar_hijri_date(day),
        }
