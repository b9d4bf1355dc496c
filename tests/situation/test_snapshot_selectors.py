"""situation.snapshot.selectors: a month's counts, and the "under way in the month" rule they rest on
(access.selectors.incidents), against a plain reference over random spans."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.choices import Confidence, ConstraintCategory, IncidentType, PerpetratorType
from access.models import Incident
from access.selectors.incidents import incidents_in_month, month_bounds
from situation.snapshot.selectors import CATEGORY, REGION, incident_counts
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

MONTHS = [date(2021, 7, 1), date(2021, 8, 1), date(2021, 9, 1), date(2021, 10, 1)]
START = datetime(2021, 7, 1, tzinfo=UTC)

# An incident: its start (hours after 1 July 2021) and its length in hours (None: a single moment).
spans = st.lists(
    st.tuples(st.integers(0, 24 * 120), st.one_of(st.none(), st.integers(0, 24 * 70))), min_size=1, max_size=12
)


def under_way_reference(began: datetime, ended: datetime | None, month: date) -> bool:
    """The rule in plain words: an incident is in a month's picture when it overlaps the month; one
    with no end is a single moment, in the month it happened."""
    first, following = month_bounds(month)
    return began < following and (ended if ended is not None else began) >= first


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spans=spans)
def test_a_month_counts_the_incidents_under_way_in_it(tree, spans):
    Incident.objects.all().delete()
    source = SourceFactory()
    created = Incident.objects.bulk_create(
        Incident(
            region=tree["AF0806"],
            occurred_at=START + timedelta(hours=begin),
            occurred_until=None if length is None else START + timedelta(hours=begin + length),
            category=ConstraintCategory.HOSTILITIES,
            incident_type=IncidentType.ACTIVE_HOSTILITIES,
            source=source,
            confidence=Confidence.REPORTED,
        )
        for begin, length in spans
    )
    for month in MONTHS:
        expected = {
            incident.pk
            for incident in created
            if under_way_reference(incident.occurred_at, incident.occurred_until, month)
        }
        assert set(incidents_in_month(month).values_list("pk", flat=True)) == expected

        counted = incident_counts(month=month, within=tree["AF"])
        assert sum(row.count for row in counted[CATEGORY].rows) == len(expected)


def test_regions_are_the_areas_children_with_their_districts_below(tree):
    source = SourceFactory()
    for region, day in (("AF0806", 2), ("AF0806", 3), ("AF0801", 4), ("AF0305", 5), ("AF08", 6)):
        Incident.objects.create(
            region=tree[region],
            occurred_at=datetime(2021, 9, day, tzinfo=UTC),
            category=ConstraintCategory.HOSTILITIES,
            incident_type=IncidentType.FIGHTING_REPORTED,
            perpetrator_type=PerpetratorType.PARTY_TO_THE_CONFLICT,
            source=source,
            confidence=Confidence.CLAIMED,
        )

    rows = incident_counts(month=date(2021, 9, 1), within=tree["AF"])[REGION].rows

    assert [(row.key, row.count, row.depth) for row in rows] == [
        ("AF08", 4, 0),
        ("AF0806", 2, 1),
        ("AF0801", 1, 1),
        ("AF03", 1, 0),
        ("AF0305", 1, 1),
    ]
    assert rows[0].label == "Panjsher"
