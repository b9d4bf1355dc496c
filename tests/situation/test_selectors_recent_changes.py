"""situation.selectors.changed_in_last_day and the page's "Changed in the last 24 hours", on the Panjshir demo.

The demo's dates (scenarios/demo.py): Panjshir severely constrained, the movement restriction and the
corridor's closure on 31 August 2021 (00:00 UTC); on 1 September the electricity and internet cuts
(00:00), the UN's "unknown" (14:00) and six incidents reported that day.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from access.choices import AffectedGroupCode
from access.models import AccessRestriction, AffectedGroup, Source, UtilityOutage
from access.services import end_restrictions, restore_outages
from humtrack.actor import SYSTEM
from scenarios.demo import load_demo
from situation.selectors import RECENT_WINDOW, RecentKind, changed_in_last_day, moment
from tests.factories import UserFactory

PAGE = reverse("situation:page")
PASSWORD = "a-long-test-password"


@pytest.fixture
def demo(db):
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()


def kinds(recent) -> list[tuple[str, str | None]]:
    return [(change.kind, change.region.pcode if change.region else None) for change in recent.changes]


def test_the_first_of_september_brings_the_cuts_the_uns_unknown_and_six_reported_incidents_newest_first(demo):
    recent = changed_in_last_day(within=None, at=moment(date(2021, 9, 1)))
    assert recent.since == recent.until - RECENT_WINDOW
    assert kinds(recent)[0] == (RecentKind.STATUS, "AF08")  # 14:00, the newest
    assert sorted(kinds(recent)[1:]) == sorted(
        [(RecentKind.OUTAGE_STARTED, "AF08")] * 2
        + [(RecentKind.INCIDENT, pcode) for pcode in ["AF08", "AF08", "AF0806", "AF0305", "AF0306", "AF0907"]]
    )
    moments = [change.happened_at for change in recent.changes]
    assert moments == sorted(moments, reverse=True)
    assert all(recent.since < happened <= recent.until for happened in moments)
    assert all(isinstance(change.source, Source) for change in recent.changes)
    assert not recent.truncated


def test_the_day_before_brings_the_first_status_the_movement_restriction_and_the_corridors_closure(demo):
    recent = changed_in_last_day(within=None, at=moment(date(2021, 8, 31)))
    assert sorted(kinds(recent)) == sorted(
        [(RecentKind.CORRIDOR, None), (RecentKind.RESTRICTION_STARTED, "AF08"), (RecentKind.STATUS, "AF08")]
    )
    closure = next(change for change in recent.changes if change.kind == RecentKind.CORRIDOR)
    assert closure.fact.corridor.name.startswith("Kabul")


def test_ends_and_restorations_count_on_the_day_they_happen(demo):
    ended = datetime(2021, 9, 3, 10, tzinfo=UTC)
    source = Source.objects.first()
    end_restrictions(
        restrictions=AccessRestriction.objects.filter(region__pcode="AF08"),
        actor=SYSTEM,
        ended_at=ended,
        reason="Fighting over",
        source=source,
    )
    restore_outages(
        outages=UtilityOutage.objects.filter(region__pcode="AF08"),
        actor=SYSTEM,
        restored_at=ended + timedelta(hours=1),
        reason="Power back",
        source=source,
    )
    recent = changed_in_last_day(within="AF08", at=moment(date(2021, 9, 3)))
    assert kinds(recent) == [(RecentKind.OUTAGE_ENDED, "AF08")] * 2 + [(RecentKind.RESTRICTION_ENDED, "AF08")] * 2


def test_the_area_shown_bounds_the_list(demo):
    in_kapisa = changed_in_last_day(within="AF03", at=moment(date(2021, 9, 1)))
    assert sorted(kinds(in_kapisa)) == [(RecentKind.INCIDENT, "AF0305"), (RecentKind.INCIDENT, "AF0306")]
    # The corridor passes through Kapisa (AF0305): its closure is Kapisa's news too; not Balkh's.
    assert (RecentKind.CORRIDOR, None) in kinds(changed_in_last_day(within="AF03", at=moment(date(2021, 8, 31))))
    assert kinds(changed_in_last_day(within="AF18", at=moment(date(2021, 8, 31)))) == []


def test_the_window_is_the_24_hours_before_the_moment_shown_open_at_its_start(demo):
    un_unknown = datetime(2021, 9, 1, 14, tzinfo=UTC)
    assert (RecentKind.STATUS, "AF08") in kinds(changed_in_last_day(within="AF08", at=un_unknown))
    just_after_a_day = changed_in_last_day(within="AF08", at=un_unknown + RECENT_WINDOW)
    assert (RecentKind.STATUS, "AF08") not in kinds(just_after_a_day)
    before = changed_in_last_day(within="AF08", at=un_unknown - timedelta(seconds=1))
    assert (RecentKind.STATUS, "AF08") not in kinds(before)


def test_the_list_says_when_it_leaves_changes_out(demo):
    recent = changed_in_last_day(within=None, at=moment(date(2021, 9, 1)), limit=3)
    assert len(recent.changes) == 3 and recent.truncated
    assert kinds(recent)[0] == (RecentKind.STATUS, "AF08")


@pytest.fixture
def signed_in(client, demo):
    user = UserFactory(password=PASSWORD)
    client.login(username=user.username, password=PASSWORD)
    return client


def test_the_page_lists_the_days_changes_at_the_top_with_reader_time_utc_and_source(signed_in):
    page = signed_in.get(PAGE, {"as_of": "2021-09-01"}).content.decode()
    top = page.index('id="recent-changes"')
    assert page.index('class="layout"') < top < page.index('class="map-panel"')  # first thing on the page
    section = page[top : page.index("</section>", top)]
    assert "Changed in the 24 hours before the end of that day" in section
    assert section.count('class="recent recent-') == 9
    first = section.index('data-kind="status"')
    assert first < section.index('data-kind="outage_started"') and first < section.index('data-kind="incident"')
    # 14:00 UTC is 18:30 in Kabul: the reader's zone with UTC beside, as humtrack.dates writes it.
    assert "1 September 2021, 18:30" in section and "(14:00 UTC)" in section
    assert "Video link-up statement on Panjshir" in section  # the UN's statement, the status's source
    assert "Incident reported: <strong>Fighting reported" in section


def test_the_page_says_when_nothing_changed_in_the_last_24_hours(signed_in):
    page = signed_in.get(PAGE).content.decode()  # the demo's facts are from 2021
    assert "Changed in the last 24 hours" in page
    assert "Nothing changed in the last 24 hours." in page
