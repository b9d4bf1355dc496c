"""A webhook's `data` is the record exactly as the partner API's GET shows it right after the change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.alerts.webhooks.models import WebhookEvent
from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    CorridorStatus,
    Severity,
    Utility,
)
from access.models import AccessRestriction, UtilityOutage
from access.services import (
    change_access_status,
    change_corridor_status,
    create_corridor,
    end_restrictions,
    record_outage,
    record_restriction,
    restore_outages,
)
from humtrack.actor import Actor
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return Actor(organisation=OrganisationFactory(name="Logistics Cluster"))


def last_event(event_type):
    return WebhookEvent.objects.filter(event_type=event_type).order_by("-id").first()


def test_region_status_changed_carries_the_region_as_get_shows_it(tree, source, reader, actor):
    change_access_status(
        region=tree["AF08"], status=AccessStatus.CONSTRAINED, reason="Checkpoint closed", source=source,
        confidence=Confidence.CONFIRMED, actor=actor,
    )  # fmt: skip
    event = last_event("region.status_changed")
    assert event.payload["data"] == reader.get("/api/v1/regions/AF08/").json()
    assert event.payload["data"]["status"] == "constrained"


def test_corridor_status_changed_carries_the_corridor_as_get_shows_it(tree, source, reader, actor):
    corridor = create_corridor(
        actor=actor, name="Kabul – Bazarak", regions=[tree["AF03"], tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.OPEN, source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    change_corridor_status(
        corridor=corridor, status=CorridorStatus.CLOSED, reason="Fighting", source=source,
        confidence=Confidence.REPORTED, actor=actor,
    )  # fmt: skip
    event = last_event("corridor.status_changed")
    assert event.payload["data"] == reader.get(f"/api/v1/corridors/{corridor.pk}/").json()
    assert event.payload["data"]["regions"] == ["AF03", "AF0305", "AF0801"]


def record_restriction_in(tree, source, actor=None):
    return record_restriction(
        actor=actor or Actor(), region=tree["AF08"], category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        severity=Severity.HIGH,
        affected_groups=[AffectedGroupCode.WOMEN_AID_WORKERS], starts_at=timezone.now() - timedelta(days=1),
        source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip


def test_restriction_events_carry_the_restriction_with_its_groups_as_get_shows_it(tree, source, reader, actor):
    restriction = record_restriction_in(tree, source, actor)
    created = last_event("restriction.created")
    assert created.payload["data"] == reader.get(f"/api/v1/restrictions/{restriction.pk}/").json()
    assert created.payload["data"]["affected_groups"] == ["women_aid_workers"]

    end_restrictions(
        restrictions=AccessRestriction.objects.all(), actor=actor, ended_at=timezone.now(), reason="Lifted",
        source=source,
    )  # fmt: skip
    ended = last_event("restriction.updated")
    assert ended.payload["data"] == reader.get(f"/api/v1/restrictions/{restriction.pk}/").json()
    assert ended.payload["data"]["is_active"] is False


def test_outage_events_carry_the_outage_as_get_shows_it(tree, source, reader, actor):
    outage = record_outage(
        actor=actor, region=tree["AF08"], utility=Utility.ELECTRICITY,
        started_at=timezone.now() - timedelta(hours=5), source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    assert last_event("outage.created").payload["data"] == reader.get(f"/api/v1/outages/{outage.pk}/").json()

    restore_outages(
        outages=UtilityOutage.objects.all(), actor=actor, restored_at=timezone.now(), reason="Grid repaired",
        source=source,
    )  # fmt: skip
    restored = last_event("outage.restored")
    assert restored.payload["data"] == reader.get(f"/api/v1/outages/{outage.pk}/").json()
    assert restored.payload["data"]["restored_at"] is not None
