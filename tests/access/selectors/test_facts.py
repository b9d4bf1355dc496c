"""access.selectors.facts: lists with what they show, in a constant number of queries."""

from datetime import UTC, datetime

import pytest

from access.choices import Confidence, CorridorStatus
from access.selectors.facts import corridors_with_route, restrictions_with_groups
from access.services import create_corridor, record_restriction
from humtrack.actor import SYSTEM

pytestmark = pytest.mark.django_db


def test_corridors_come_with_their_route_in_order_in_two_queries(tree, source, django_assert_num_queries):
    for n in range(3):
        create_corridor(
            actor=SYSTEM, regions=[tree["AF0305"], tree["AF08"], tree["AF0801"]], status=CorridorStatus.OPEN,
            source=source, confidence=Confidence.REPORTED, name=f"Route {n}",
        )  # fmt: skip
    with django_assert_num_queries(2):
        routes = [[w.region.pcode for w in c.waypoints.all()] for c in corridors_with_route()]
    assert routes == [["AF0305", "AF08", "AF0801"]] * 3


def test_restrictions_come_with_their_groups_in_two_queries(tree, source, django_assert_num_queries):
    for region in (tree["AF0801"], tree["AF0806"]):
        record_restriction(
            actor=SYSTEM, affected_groups=["women_aid_workers", "all_aid_workers"], region=region,
            category="movement_restrictions", severity="high", starts_at=datetime(2021, 9, 1, tzinfo=UTC),
            source=source, confidence=Confidence.REPORTED,
        )  # fmt: skip
    with django_assert_num_queries(2):
        shown = {
            (r.region.pcode, tuple(sorted(g.code for g in r.affected_groups.all()))) for r in restrictions_with_groups()
        }
    assert shown == {
        ("AF0801", ("all_aid_workers", "women_aid_workers")),
        ("AF0806", ("all_aid_workers", "women_aid_workers")),
    }


def test_a_fact_is_in_force_from_its_start_until_its_end(tree, source):
    """The one rule behind the API's in_force_at filters and the situation page's past days."""
    from datetime import UTC, datetime

    from access.choices import Confidence, Utility
    from access.selectors.facts import outages_in_force_at
    from access.services import record_outage
    from humtrack.actor import SYSTEM

    started, restored = datetime(2021, 9, 1, tzinfo=UTC), datetime(2021, 9, 3, tzinfo=UTC)
    outage = record_outage(
        actor=SYSTEM, region=tree["AF08"], utility=Utility.INTERNET, started_at=started, restored_at=restored,
        source=source, confidence=Confidence.CONFIRMED,
    )  # fmt: skip
    assert list(outages_in_force_at(started)) == [outage]
    assert not outages_in_force_at(restored).exists()  # restored at that moment: no longer in force
    assert not outages_in_force_at(datetime(2021, 8, 31, tzinfo=UTC)).exists()
