"""Moments as field staff read them: their zone with UTC beside, the Solar Hijri date in Dari and Pashto."""

from datetime import UTC, date, datetime

import pytest

from humtrack.dates import reader_day, reader_moment, solar_hijri_date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2021, 9, 1), "10 Sonbola 1400"),  # the example: Panjshir, 1 September 2021
        (date(2021, 3, 21), "1 Hamal 1400"),  # Nowruz
        (date(2021, 3, 20), "30 Hut 1399"),  # 1399 is a leap year: Hut has 30 days
        (date(2022, 3, 20), "29 Hut 1400"),
        (date(2021, 12, 22), "1 Jadi 1400"),
        (date(2025, 3, 20), "30 Hut 1403"),  # and 1403
    ],
)
def test_solar_hijri_date_uses_the_afghan_month_names(day, expected):
    assert solar_hijri_date(day) == expected


def test_a_moment_in_kabul_shows_the_local_time_with_utc_beside():
    moment = reader_moment(datetime(2021, 9, 1, 10, 0, tzinfo=UTC), time_zone="Asia/Kabul", language="en")
    assert str(moment) == "1 September 2021, 14:30 Afghanistan Time (10:00 UTC)"
    assert moment.solar_hijri == ""  # English readers get the Gregorian date only
    assert moment.iso == "2021-09-01T14:30+04:30"


def test_the_utc_date_is_named_when_it_is_another_day_than_the_readers():
    moment = reader_moment(datetime(2021, 8, 31, 21, 0, tzinfo=UTC), time_zone="Asia/Kabul", language="en")
    assert str(moment) == "1 September 2021, 01:30 Afghanistan Time (31 August 2021, 21:00 UTC)"


@pytest.mark.parametrize("language", ["fa-af", "ps"])
def test_dari_and_pashto_readers_get_the_solar_hijri_date_beside_the_gregorian_one(language):
    moment = reader_moment(datetime(2021, 9, 1, 10, 0, tzinfo=UTC), time_zone="Asia/Kabul", language=language)
    assert moment.solar_hijri.startswith("10 ") and moment.solar_hijri.endswith(" 1400")
    assert moment.solar_hijri in str(moment) and "14:30" in str(moment) and "10:00 UTC" in str(moment)
    assert "September" not in str(moment)  # CLDR's month name in the language
    assert moment.solar_hijri in reader_day(date(2021, 9, 1), language=language)


def test_a_blank_or_unknown_zone_reads_as_utc():
    for zone in ("", "Mars/Olympus_Mons"):
        assert str(reader_moment(datetime(2021, 9, 1, 10, 0, tzinfo=UTC), time_zone=zone, language="en")) == (
            "1 September 2021, 10:00 UTC"
        )
