"""The effective status: a region's own record, else its nearest ancestor's, else none (not `unknown`)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.choices import AccessStatus, Confidence, StatusBasis
from access.models import Region, StatusChange
from access.selectors.status import (
    attach_effective_status,
    effective_status_of,
    regions_taking_status_from,
    with_effective_status,
)
from access.services import change_access_status
from humtrack.actor import Actor
from tests.factories import SourceFactory, make_region

pytestmark = pytest.mark.django_db

T0 = datetime(2021, 8, 1, tzinfo=UTC)


def record(region, status, source, at=None):
    return change_access_status(
        region=region,
        status=status,
        reason="Seen on the road",
        source=source,
        confidence=Confidence.REPORTED,
        actor=Actor(),
        effective_at=at,
    )


def test_district_under_an_inaccessible_province_is_inaccessible_inherited_from_the_province(tree, source):
    record(tree["AF08"], AccessStatus.INACCESSIBLE, source)
    bazarak = effective_status_of(tree["AF0801"])
    assert bazarak.effective_status == AccessStatus.INACCESSIBLE
    assert bazarak.status_basis == StatusBasis.INHERITED
    assert bazarak.status_from.pcode == "AF08"
    assert bazarak.effective_change == tree["AF08"].current_status_change


def test_a_region_with_nothing_on_or_above_it_has_no_status_not_unknown(tree):
    region = effective_status_of(tree["AF0801"])
    assert region.effective_status is None
    assert region.status_basis == StatusBasis.NONE
    assert region.status_from is None


def test_an_explicit_unknown_on_a_district_overrides_its_province(tree, source):
    record(tree["AF08"], AccessStatus.INACCESSIBLE, source)
    record(tree["AF0801"], AccessStatus.UNKNOWN, source)
    bazarak = effective_status_of(tree["AF0801"])
    assert (bazarak.effective_status, bazarak.status_basis) == (AccessStatus.UNKNOWN, StatusBasis.RECORDED)
    shutul = effective_status_of(tree["AF0806"])
    assert (shutul.effective_status, shutul.status_basis) == (AccessStatus.INACCESSIBLE, StatusBasis.INHERITED)


def test_status_filter_on_effective_status_includes_inherited_regions(tree, source):
    record(tree["AF08"], AccessStatus.INACCESSIBLE, source)
    record(tree["AF0806"], AccessStatus.CONSTRAINED, source)
    inaccessible = with_effective_status(Region.objects.all()).filter(effective_status=AccessStatus.INACCESSIBLE)
    assert sorted(r.pcode for r in inaccessible) == ["AF08", "AF0801"]


def test_as_of_uses_what_was_in_force_then_on_the_region_and_above(tree, source):
    record(tree["AF"], AccessStatus.CONSTRAINED, source, at=T0)
    record(tree["AF08"], AccessStatus.INACCESSIBLE, source, at=T0 + timedelta(days=10))
    before = attach_effective_status(
        with_effective_status(Region.objects.filter(pcode="AF0801"), at=T0 + timedelta(days=5))
    )[0]
    after = attach_effective_status(
        with_effective_status(Region.objects.filter(pcode="AF0801"), at=T0 + timedelta(days=11))
    )[0]
    assert (before.effective_status, before.status_from.pcode) == (AccessStatus.CONSTRAINED, "AF")
    assert (after.effective_status, after.status_from.pcode) == (AccessStatus.INACCESSIBLE, "AF08")
    nothing_yet = with_effective_status(Region.objects.filter(pcode="AF0801"), at=T0 - timedelta(days=1)).get()
    assert nothing_yet.effective_change_id is None


def test_regions_taking_status_from_a_province_leave_out_districts_with_their_own_record(tree, source):
    record(tree["AF08"], AccessStatus.INACCESSIBLE, source)
    record(tree["AF0806"], AccessStatus.CONSTRAINED, source)
    assert sorted(r.pcode for r in regions_taking_status_from(tree["AF08"])) == ["AF08", "AF0801"]


def test_effective_status_reads_a_page_in_two_queries(tree, source, django_assert_num_queries):
    record(tree["AF08"], AccessStatus.INACCESSIBLE, source)
    record(tree["AF03"], AccessStatus.CONSTRAINED, source)
    with django_assert_num_queries(2):
        regions = attach_effective_status(with_effective_status(Region.objects.all()))
        assert {r.status_from.pcode for r in regions if r.status_from} == {"AF08", "AF03"}


# --- Against a plain reference implementation ----------------------------------------------------

# A country, two provinces and their districts (admin levels 0-2, the ones a region may have).
TREE = {"AF": None, "AF01": "AF", "AF02": "AF", "AF0101": "AF01", "AF0102": "AF01", "AF0103": "AF01", "AF0201": "AF02"}
STATUSES = [s for s, _ in AccessStatus.choices]

changes_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(TREE)), st.sampled_from(STATUSES), st.integers(min_value=0, max_value=30)),
    max_size=12,
)


def reference_effective(records: list[tuple[str, str, int, int]], pcode: str, day: int) -> tuple[str | None, str]:
    """Plain rule: walk up from the region; the first one with a record in force at `day` gives the
    status (the latest by effective day, then by order of recording)."""
    region = pcode
    while region is not None:
        in_force = [r for r in records if r[0] == region and r[2] <= day]
        if in_force:
            latest = max(in_force, key=lambda r: (r[2], r[3]))
            return latest[1], region
        region = TREE[region]
    return None, ""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=changes_strategy, day=st.integers(min_value=0, max_value=31))
def test_effective_status_matches_a_plain_reference(changes, day, db):
    StatusChange.objects.all().delete()
    Region.objects.update(current_status_change=None, access_status="")
    regions = {}
    for pcode in sorted(TREE, key=len):
        regions[pcode] = make_region(pcode, parent=regions.get(TREE[pcode]))
    source = SourceFactory()
    recorded = []
    for order, (pcode, status, offset) in enumerate(changes):
        change = record(regions[pcode], status, source, at=T0 + timedelta(days=offset))
        if change is not None:
            recorded.append((pcode, status, offset, order))

    for at in (T0 + timedelta(days=day, hours=1), None):
        reference_day = day if at is not None else 10_000
        shown = attach_effective_status(with_effective_status(Region.objects.filter(pcode__in=TREE), at=at))
        for region in shown:
            status, from_pcode = reference_effective(recorded, region.pcode, reference_day)
            assert region.effective_status == status, (region.pcode, at)
            assert (region.status_from.pcode if region.status_from else "") == from_pcode
            expected_basis = (
                StatusBasis.NONE
                if status is None
                else StatusBasis.RECORDED
                if from_pcode == region.pcode
                else StatusBasis.INHERITED
            )
            assert region.status_basis == expected_basis
