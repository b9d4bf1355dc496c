"""access/alerts/sending.py: what the sending code reads."""

import pytest

from access.alerts.fan_out import fan_out
from access.alerts.sending import deliveries_with_content
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
