"""The webhook outbox: which changes write which events, in the change's transaction, waking a worker on commit."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from access.alerts import enqueue
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.models import WebhookEvent
from access.choices import AccessStatus, Confidence, CorridorStatus, Utility
from access.services import (
    change_access_status,
    change_corridor_status,
    create_corridor,
    record_outage,
    update_outage,
    update_restriction,
)
from humtrack.actor import Actor
from tests.factories import OrganisationFactory

from .test_payloads import record_restriction_in

pytestmark = pytest.mark.django_db


def types():
    return list(WebhookEvent.objects.order_by("id").values_list("event_type", flat=True))


def change(region, status, source, **kwargs):
    return change_access_status(
        region=region, status=status, reason="Checkpoint closed", source=source, confidence=Confidence.CONFIRMED,
        actor=Actor(), **kwargs,
    )  # fmt: skip


def test_an_event_is_the_type_its_time_in_utc_and_the_record_and_wakes_a_worker_on_commit(
    django_capture_on_commit_callbacks,
):
    occurred_at = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            event = record_webhook_event(event_type="outage.created", data={"id": 7}, occurred_at=occurred_at)
    assert event.payload == {
        "type": "outage.created",
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"id": 7},
    }
    assert enqueue.wake_webhook_delivery in callbacks


def test_an_event_of_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        record_webhook_event(event_type="region.deleted", data={})


def test_the_event_rolls_back_with_the_change(tree, source):
    with pytest.raises(RuntimeError), transaction.atomic():
        change(tree["AF08"], AccessStatus.CONSTRAINED, source)
        assert types() == ["region.status_changed"]
        raise RuntimeError("the change fails after the event was written")
    assert types() == []


def test_a_status_change_writes_one_event_but_not_a_silent_a_back_dated_or_a_no_op_one(tree, source):
    change(tree["AF08"], AccessStatus.CONSTRAINED, source)
    change(tree["AF08"], AccessStatus.CONSTRAINED, source)  # already so: no change
    change(tree["AF0801"], AccessStatus.INACCESSIBLE, source, silent=True)
    change(tree["AF08"], AccessStatus.ACCESSIBLE, source, effective_at=timezone.now() - timedelta(days=3))
    assert types() == ["region.status_changed"]
    assert WebhookEvent.objects.get().payload["data"]["pcode"] == "AF08"


def test_a_corridor_status_change_writes_an_event_but_not_a_silent_one(tree, source):
    corridor = create_corridor(
        actor=Actor(), name="Kabul – Bazarak", regions=[tree["AF03"], tree["AF0801"]], status=CorridorStatus.OPEN,
        source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    for status, silent in ((CorridorStatus.CLOSED, False), (CorridorStatus.OPEN, True)):
        change_corridor_status(
            corridor=corridor, status=status, reason="Fighting", source=source, confidence=Confidence.REPORTED,
            actor=Actor(), silent=silent,
        )  # fmt: skip
    assert types() == ["corridor.status_changed"]


def test_restrictions_write_created_then_updated_for_a_change_but_nothing_for_no_change(tree, source):
    restriction = record_restriction_in(tree, source)
    update_restriction(restriction=restriction, actor=Actor(), description="Also at night")
    update_restriction(restriction=restriction, actor=Actor(), description="Also at night")  # the same
    update_restriction(restriction=restriction, actor=Actor(), ends_at=timezone.now() + timedelta(days=3))
    assert types() == ["restriction.created", "restriction.updated", "restriction.updated"]


def test_outages_write_created_and_restored_but_nothing_for_other_corrections(tree, source):
    organisation = OrganisationFactory()
    outage = record_outage(
        actor=Actor(organisation=organisation), region=tree["AF08"], utility=Utility.INTERNET,
        started_at=timezone.now() - timedelta(hours=3), source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip
    update_outage(outage=outage, actor=Actor(organisation=organisation), cause_detail="Tower down")
    update_outage(outage=outage, actor=Actor(organisation=organisation), restored_at=timezone.now())
    assert types() == ["outage.created", "outage.restored"]
