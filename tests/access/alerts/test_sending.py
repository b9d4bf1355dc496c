"""access/alerts/sending.py: what the sending code reads, and a batch giving way (the rest of the
pipeline's rules: tests/access/test_alerts_pipeline.py)."""

import pytest

from access.alerts.choices import DeliveryStatus
from access.alerts.fan_out import fan_out
from access.alerts.giving_way import GIVE_WAY_EVERY
from access.alerts.sending import deliveries_with_content, send_deliveries
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence
from access.models import AlertDelivery
from access.services import change_access_status
from humtrack.actor import SYSTEM
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def test_deliveries_come_with_their_content_in_two_queries_each_event_loaded_once(tree, django_assert_num_queries):
    for n in range(3):
        create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email=f"staff{n}@example.org")
    for status in (AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE):
        change = change_access_status(
            region=tree["AF08"], status=status, reason="Road closed", source=SourceFactory(),
            confidence=Confidence.CONFIRMED, actor=SYSTEM,
        )  # fmt: skip
        fan_out(change.alert_event.pk)

    with django_assert_num_queries(2):
        deliveries = deliveries_with_content(AlertDelivery.objects.all())
        shown = [
            (d.subscription.email, d.event.status_change.region.pcode, d.event.status_change.to_status,
             d.event.status_change.source.title, d.event.status_change.recorded_by, d.event.status_change.organisation)
            for d in deliveries
        ]  # fmt: skip

    assert len(shown) == 6
    assert [d.event.status_change.to_status for d in deliveries] == ["constrained"] * 3 + ["inaccessible"] * 3
    # Copies of one alert share one loaded event: its change is read and parsed once per batch.
    assert len({id(d.event) for d in deliveries}) == 2


def fanned_out_to(tree, people: int) -> list[int]:
    """A change to `people` subscribers of Panjshir, fanned out: the deliveries to send now."""
    for n in range(people):
        create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email=f"staff{n}@example.org")
    change = change_access_status(
        region=tree["AF08"], status=AccessStatus.INACCESSIBLE, reason="Road closed", source=SourceFactory(),
        confidence=Confidence.CONFIRMED, actor=SYSTEM,
    )  # fmt: skip
    return fan_out(change.alert_event.pk).send_now


def statuses(ids) -> dict[int, str]:
    return dict(AlertDelivery.objects.filter(pk__in=ids).values_list("pk", "status"))


def test_a_batch_giving_way_stops_after_a_step_and_hands_back_what_it_did_not_offer(tree, smtp):
    ids = fanned_out_to(tree, 25)
    asked = []

    outcome = send_deliveries(ids, give_way=lambda: asked.append("asked") or True)

    assert (outcome.sent, len(outcome.left), len(asked)) == (GIVE_WAY_EVERY, 25 - GIVE_WAY_EVERY, 1)
    now = statuses(ids)
    assert {now[pk] for pk in outcome.left} == {DeliveryStatus.PENDING}
    assert {now[pk] for pk in set(ids) - set(outcome.left)} == {DeliveryStatus.SENT}
    assert len(smtp.handler.messages) == GIVE_WAY_EVERY
    # The next claim takes what was handed back: everyone has exactly one email.
    assert send_deliveries(outcome.left).sent == 25 - GIVE_WAY_EVERY
    assert set(smtp.handler.recipients().values()) == {1} and len(smtp.handler.recipients()) == 25
    assert set(statuses(ids).values()) == {DeliveryStatus.SENT}


def test_a_batch_asks_every_few_emails_and_goes_on_while_nothing_waits(tree, smtp):
    ids = fanned_out_to(tree, 25)
    asked = []

    outcome = send_deliveries(ids, give_way=lambda: asked.append("asked") and False)

    # Asked after the 10th and the 20th; never after the last (nothing left to hand back).
    assert (outcome.sent, outcome.left, len(asked)) == (25, [], 25 // GIVE_WAY_EVERY)
    assert set(statuses(ids).values()) == {DeliveryStatus.SENT}
