"""access.services.sync and the in-force rule: one rule for is_active and the counts; the touches a
deletion makes; the sweep reads its partial indexes (the API-level sync checks: tests/access/api/)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.choices import Confidence, ConstraintCategory, Severity
from access.models import AccessRestriction, Subscription, UtilityOutage
from access.models.in_force import in_force
from access.selectors.facts import restrictions_in_force_at
from access.selectors.regions import regions_with_summary
from access.services import create_corridor
from access.services.sync import facts_whose_time_came
from humtrack.actor import SYSTEM
from tests.factories import SourceFactory, UserFactory, make_tree
from tests.infrastructure import require_postgresql

pytestmark = pytest.mark.django_db

BASE = datetime(2021, 9, 1, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=6).map(lambda m: BASE + timedelta(minutes=m))  # ties are likely


@st.composite
def periods(draw):
    start = draw(minutes)
    end = draw(st.none() | minutes.filter(lambda end: end >= start))
    return start, end


class Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=st.lists(periods(), max_size=6), at=minutes)
def test_is_active_the_in_force_filter_and_the_region_count_are_one_rule(tree, facts, at):
    source = SourceFactory.build()
    try:
        with transaction.atomic():
            source.save()
            rows = AccessRestriction.objects.bulk_create(
                AccessRestriction(
                    region=tree["AF0801"], category=ConstraintCategory.DENIAL_OF_NEEDS, severity=Severity.LOW,
                    starts_at=start, ends_at=end, source=source, confidence=Confidence.REPORTED,
                )
                for start, end in facts
            )  # fmt: skip
            expected = {row.pk for row in rows if in_force(row.starts_at, row.ends_at, at)}
            assert set(restrictions_in_force_at(at).values_list("pk", flat=True)) == expected
            region = regions_with_summary(now=at).get(pcode="AF0801")
            assert region.active_restriction_count == len(expected)
            raise Rollback
    except Rollback:
        pass


def test_deleting_a_corridor_touches_the_restrictions_that_named_it(tree, source):
    corridor = create_corridor(
        actor=SYSTEM, name="Kabul – Bazarak", regions=[tree["AF0305"], tree["AF0801"]], status="closed",
        source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    on_it = AccessRestriction.objects.create(
        region=tree["AF0801"], corridor=corridor, category=ConstraintCategory.DENIAL_OF_NEEDS, severity=Severity.LOW,
        starts_at=BASE, source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    AccessRestriction.objects.filter(pk=on_it.pk).update(updated_at=BASE)
    corridor.delete()
    on_it.refresh_from_db()
    assert on_it.corridor is None and on_it.updated_at > BASE  # a sync brings `"corridor": null`


def test_deleting_a_region_touches_the_subscriptions_that_followed_it(db):
    tree = make_tree()
    subscription = Subscription.objects.create(email="amina@example.org", name="Amina")
    subscription.regions.set([tree["AF0806"], tree["AF0801"]])
    Subscription.objects.update(updated_at=BASE)
    tree["AF0806"].delete()
    subscription.refresh_from_db()
    assert list(subscription.regions.values_list("pcode", flat=True)) == ["AF0801"]
    assert subscription.updated_at > BASE


@pytest.mark.parametrize("model", [AccessRestriction, UtilityOutage])
def test_the_sweep_reads_only_its_partial_indexes(tree, model):
    require_postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned whole anyway
    plan = facts_whose_time_came(model, datetime.now(UTC)).explain()
    prefix = "restriction" if model is AccessRestriction else "outage"
    assert f"{prefix}_start_due" in plan and f"{prefix}_end_due" in plan, plan


def test_the_region_page_lists_as_active_what_the_regions_count_counts(client, tree, source):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    soon = datetime.now(UTC) + timedelta(hours=1)
    for imposed_by, starts_at, ends_at in [("Ends-soon group", BASE, soon), ("Starts-soon group", soon, None)]:
        AccessRestriction.objects.create(
            region=tree["AF0801"], category=ConstraintCategory.DENIAL_OF_NEEDS, severity=Severity.LOW,
            imposed_by=imposed_by, starts_at=starts_at, ends_at=ends_at, source=source,
            confidence=Confidence.REPORTED,
        )  # fmt: skip
    page = client.get(f"/admin/access/region/{tree['AF0801'].pk}/change/").content.decode()
    assert "Ends-soon group" in page and "Starts-soon group" not in page
    assert regions_with_summary().get(pcode="AF0801").active_restriction_count == 1
