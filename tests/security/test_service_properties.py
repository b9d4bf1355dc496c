"""Property-based tests of the write services: hostile input is refused cleanly and changes nothing.

Every service is the one door for its writes (admin, API, imports, commands). Whatever arrives,
a service either does its write or raises ValidationError (or Conflict), which the API maps to a
400/409; anything else would reach a partner as a 500. And a refused call leaves every humtrack table,
audit history and alert outbox included, exactly as it was: no half-written change.

Each example runs in a savepoint that is rolled back, so examples are independent while the
`tree` fixture's regions are reused.
"""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    OutageCause,
    OutageExtent,
    Severity,
    Utility,
)
from access.models import Region, UtilityOutage
from access.selectors.status import latest_status_change
from access.services import (
    change_access_status,
    import_regions,
    record_outage,
    record_restriction,
    restore_outages,
)
from humtrack.actor import Actor
from humtrack.services import Conflict
from needs.sectors import SECTOR_CODES
from needs.services import record_need_figure
from tests.factories import OrganisationFactory, make_tree
from tests.security.snapshots import database_state, rolled_back

pytestmark = pytest.mark.django_db

# The tree fixture is built once per test and every example rolls back to it.
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KABUL = timezone(timedelta(hours=4, minutes=30))
TREE_PCODES = ("AF", "AF08", "AF0801", "AF0806", "AF03", "AF0305")

# Text as a partner or a CSV could send it, minus NUL: the API's serializers and the admin's forms
# refuse NUL before a service sees it (Django's ProhibitNullCharactersValidator), and PostgreSQL
# cannot store it. Surrogates are excluded by Hypothesis already.
any_text = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=260)
short_text = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=30)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, KABUL]),
)
recent_moments = st.datetimes(
    min_value=datetime(2021, 8, 1),
    max_value=datetime(2021, 10, 1),
    timezones=st.sampled_from([UTC, KABUL]),
)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
# Past both ends of a 64-bit column: the database must never be the one to refuse a number.
counts = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70))


def valid_or_junk(values) -> st.SearchStrategy:
    """Mostly a valid choice (so the write gets deep enough to hit the model's rules), sometimes junk."""
    return st.one_of(st.sampled_from(sorted(values)), short_text)


def attempt(call):
    """Call a service; if it refuses, prove that nothing changed. Any other exception fails the test."""
    before = database_state()
    try:
        return call(), True
    except (ValidationError, Conflict):
        assert database_state() == before, "a refused write left a change behind"
        return None, False


def assert_every_region_shows_its_latest_change():
    for region in Region.objects.all():
        latest = latest_status_change(region)
        assert region.access_status == (latest.to_status if latest else "")
        assert region.current_status_change_id == (latest.pk if latest else None)


def assert_paths_are_consistent():
    for region in Region.objects.select_related("parent"):
        assert region.path == (region.parent.path if region.parent else "") + region.pcode + "/"


@pytest.fixture
def world(db, source):
    return {"tree": make_tree(), "source": source, "partner": OrganisationFactory(name="Partner A")}


def actor_for(world, who: str) -> Actor:
    return Actor(organisation=world["partner"]) if who == "partner" else Actor()


@PROPERTY_SETTINGS
@given(
    changes=st.lists(
        st.fixed_dictionaries(
            {
                "pcode": st.sampled_from(TREE_PCODES),
                "status": valid_or_junk(AccessStatus.values),
                "confidence": valid_or_junk(Confidence.values),
                "reason": any_text,
                "has_source": st.booleans(),
                "effective_at": st.one_of(st.none(), moments),
                "silent": st.booleans(),
                "who": st.sampled_from(["system", "partner"]),
            }
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_status_change_is_recorded_whole_or_refused_with_nothing_changed(world, changes):
    with rolled_back():
        for fields in changes:
            before = database_state()
            change, accepted = attempt(
                lambda fields=fields: change_access_status(
                    region=world["tree"][fields["pcode"]],
                    status=fields["status"],
                    reason=fields["reason"],
                    source=world["source"] if fields["has_source"] else None,
                    confidence=fields["confidence"],
                    effective_at=fields["effective_at"],
                    silent=fields["silent"],
                    actor=actor_for(world, fields["who"]),
                )
            )
            if accepted and change is None:
                # Already in that status: nothing is recorded, nobody is alerted.
                assert database_state() == before
            assert_every_region_shows_its_latest_change()


@PROPERTY_SETTINGS
@given(
    pcode=st.sampled_from(TREE_PCODES),
    category=valid_or_junk(ConstraintCategory.values),
    severity=valid_or_junk(Severity.values),
    confidence=valid_or_junk(Confidence.values),
    affected_groups=st.lists(valid_or_junk(AffectedGroupCode.values), max_size=4),
    starts_at=st.one_of(st.none(), moments),
    ends_at=st.one_of(st.none(), moments),
    description=any_text,
    imposed_by=any_text,
    who=st.sampled_from(["system", "partner"]),
)
def test_a_restriction_is_recorded_whole_or_refused_with_nothing_changed(
    world, pcode, category, severity, confidence, affected_groups, starts_at, ends_at, description, imposed_by, who
):
    with rolled_back():
        restriction, accepted = attempt(
            lambda: record_restriction(
                actor=actor_for(world, who),
                affected_groups=affected_groups,
                region=world["tree"][pcode],
                category=category,
                severity=severity,
                confidence=confidence,
                starts_at=starts_at,
                ends_at=ends_at,
                description=description,
                imposed_by=imposed_by,
                source=world["source"],
            )
        )
        if accepted:
            restriction.refresh_from_db()
            assert sorted(g.code for g in restriction.affected_groups.all()) == sorted(set(affected_groups))
            assert restriction.organisation == actor_for(world, who).organisation


@PROPERTY_SETTINGS
@given(
    pcode=st.sampled_from(TREE_PCODES),
    utility=valid_or_junk(Utility.values),
    cause=valid_or_junk(OutageCause.values),
    extent=valid_or_junk(OutageExtent.values),
    confidence=valid_or_junk(Confidence.values),
    started_at=st.one_of(st.none(), moments),
    restored_at=st.one_of(st.none(), moments),
    cause_detail=any_text,
)
def test_an_outage_is_recorded_whole_or_refused_with_nothing_changed(
    world, pcode, utility, cause, extent, confidence, started_at, restored_at, cause_detail
):
    with rolled_back():
        outage, accepted = attempt(
            lambda: record_outage(
                actor=Actor(organisation=world["partner"]),
                region=world["tree"][pcode],
                utility=utility,
                cause=cause,
                extent=extent,
                confidence=confidence,
                started_at=started_at,
                restored_at=restored_at,
                cause_detail=cause_detail,
                source=world["source"],
            )
        )
        if accepted:
            outage.refresh_from_db()
            assert outage.restored_at is None or outage.restored_at >= outage.started_at


@PROPERTY_SETTINGS
@given(started=st.lists(recent_moments, min_size=1, max_size=4), restored_at=st.one_of(st.none(), moments))
def test_restoring_outages_is_all_or_nothing(world, started, restored_at):
    with rolled_back():
        for started_at in started:
            record_outage(
                actor=Actor(),
                region=world["tree"]["AF08"],
                utility=Utility.INTERNET,
                started_at=started_at,
                source=world["source"],
                confidence=Confidence.REPORTED,
            )
        restored, accepted = attempt(
            lambda: restore_outages(
                outages=UtilityOutage.objects.all(),
                actor=Actor(),
                restored_at=restored_at,
                reason="Service back",
                source=world["source"],
            )
        )
        if accepted:
            assert restored == len(started)
            assert not UtilityOutage.objects.filter(restored_at__isnull=True).exists()
        else:
            # One outage that cannot be restored then keeps every one of them open.
            assert UtilityOutage.objects.filter(restored_at__isnull=True).count() == len(started)


@PROPERTY_SETTINGS
@given(
    pcode=st.sampled_from(TREE_PCODES),
    sector=valid_or_junk(SECTOR_CODES),
    people_in_need=counts,
    targeted=counts,
    reached=counts,
    period_start=st.one_of(st.none(), days),
    period_end=st.one_of(st.none(), days),
    confidence=valid_or_junk(Confidence.values),
    notes=any_text,
    is_urgent=st.booleans(),
)
def test_a_need_figure_is_recorded_once_or_refused_with_nothing_changed(
    world, pcode, sector, people_in_need, targeted, reached, period_start, period_end, confidence, notes, is_urgent
):
    def record():
        return record_need_figure(
            actor=Actor(organisation=world["partner"]),
            region=world["tree"][pcode],
            sector=sector,
            people_in_need=people_in_need,
            targeted=targeted,
            reached=reached,
            period_start=period_start,
            period_end=period_end,
            confidence=confidence,
            notes=notes,
            is_urgent=is_urgent,
            source=world["source"],
        )

    with rolled_back():
        figure, accepted = attempt(record)
        if accepted:
            assert figure.people_in_need is None or figure.people_in_need >= 0
            # The same region, sector and period again is refused by the unique rule, not by the database.
            with pytest.raises(ValidationError):
                before = database_state()
                try:
                    record()
                finally:
                    assert database_state() == before


admin_rows = st.lists(
    st.fixed_dictionaries(
        {
            "admin_level": st.one_of(st.none(), st.integers(min_value=-2, max_value=7).map(str), short_text),
            "pcode": st.one_of(
                st.none(), st.sampled_from([*TREE_PCODES, "AF0802", "af0803", " AF09 ", "XX"]), short_text
            ),
            "name": st.one_of(st.none(), any_text),
            "parent_pcode": st.one_of(st.none(), st.sampled_from(["", *TREE_PCODES, "AF09", "ZZ"]), short_text),
        }
    ).flatmap(
        # Sometimes a column is missing altogether (a wrong file, a truncated header).
        lambda row: st.sets(st.sampled_from(sorted(row)), max_size=1).map(
            lambda dropped: {k: v for k, v in row.items() if k not in dropped}
        )
    ),
    max_size=6,
)


@PROPERTY_SETTINGS
@given(rows=admin_rows)
def test_an_admin_table_is_imported_whole_or_refused_with_nothing_changed(world, rows):
    with rolled_back():
        result, accepted = attempt(lambda: import_regions(rows=rows, actor=Actor()))
        if accepted:
            assert_paths_are_consistent()
            assert result.created + result.updated + result.unchanged == len(rows)
            # Importing the same table again changes nothing.
            again = import_regions(rows=rows, actor=Actor())
            assert (again.created, again.updated) == (0, 0)
