"""access/services/incidents.py and the rules of access/models/incidents.py: an incident is refused where it
would mislead (a point outside its region, a date in the future, a type from another category)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access.choices import Confidence, ConstraintCategory, IncidentType
from access.models import Incident
from access.services import record_incident, update_incident
from humtrack.actor import Actor
from tests.factories import UserFactory

# A square around Panjsher's valley (lon 69–71, lat 35–36), as GeoJSON (longitude, latitude).
PANJSHER_SQUARE = {"type": "Polygon", "coordinates": [[[69, 35], [71, 35], [71, 36], [69, 36], [69, 35]]]}


@pytest.fixture
def actor(db):
    return Actor(user=UserFactory(is_superuser=True, is_staff=True))


@pytest.fixture
def outlined(tree):
    tree["AF08"].boundary = PANJSHER_SQUARE
    tree["AF08"].save()
    return tree


def record(actor, region, source, **changes):
    fields = dict(
        actor=actor,
        region=region,
        occurred_at=datetime(2021, 9, 1, 12, tzinfo=UTC),
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        incident_type=IncidentType.CONVOY_BLOCKED,
        source=source,
        confidence=Confidence.REPORTED,
    )
    return record_incident(**(fields | changes))


def errors_of(call):
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_a_point_in_a_district_is_checked_against_its_province_outline(actor, outlined, source):
    # Bazarak has no outline loaded: the point must at least lie in Panjsher's.
    inside = record(actor, outlined["AF0801"], source, latitude=35.3, longitude=69.5)
    assert (inside.latitude, inside.longitude) is not None
    errors = errors_of(lambda: record(actor, outlined["AF0801"], source, latitude=34.5, longitude=69.5))
    assert errors["latitude"] == ["The point lies outside the outline of Panjsher (AF08)."]
    assert Incident.objects.count() == 1


def test_a_point_is_not_checked_where_no_outline_is_loaded(actor, tree, source):
    assert record(actor, tree["AF0305"], source, latitude=10, longitude=10).has_point


def test_a_point_needs_both_coordinates(actor, tree, source):
    assert "longitude" in errors_of(lambda: record(actor, tree["AF08"], source, latitude=35.3))


def test_an_incident_in_the_future_is_refused(actor, tree, source):
    tomorrow = timezone.now() + timedelta(days=1)
    assert "occurred_at" in errors_of(lambda: record(actor, tree["AF08"], source, occurred_at=tomorrow))
    errors = errors_of(lambda: record(actor, tree["AF08"], source, occurred_until=datetime(2021, 8, 1, tzinfo=UTC)))
    assert errors["occurred_until"] == ["An incident cannot end before it starts."]
    errors = errors_of(lambda: record(actor, tree["AF08"], source, reported_at=datetime(2021, 8, 1, tzinfo=UTC)))
    assert errors["reported_at"] == ["An incident cannot be reported before it happened."]


def test_a_type_from_another_category_is_refused(actor, tree, source):
    errors = errors_of(lambda: record(actor, tree["AF08"], source, incident_type=IncidentType.STAFF_KILLED))
    assert errors["incident_type"] == [
        "“Aid worker killed” is not a type of incident under “Restriction of movement within the country "
        "(impediments to freedom of movement or administrative restrictions)”."
    ]
    incident = record(actor, tree["AF08"], source)
    with pytest.raises(ValidationError):
        update_incident(incident=incident, actor=actor, category=ConstraintCategory.VIOLENCE_AGAINST_AID)
    incident.refresh_from_db()
    assert incident.category == ConstraintCategory.MOVEMENT_RESTRICTIONS


def test_an_incident_names_no_group_unless_the_source_does(actor, tree, source):
    assert list(record(actor, tree["AF08"], source).affected_groups.all()) == []
    named = record(actor, tree["AF08"], source, affected_groups=["women_aid_workers"])
    assert [g.code for g in named.affected_groups.all()] == ["women_aid_workers"]
