"""A worsening is never held back (issue 14 §4): a change that leaves a region or corridor worse than
anything the person was told about it goes out at once, past the flood window and the hourly cap;
improvements and back-and-forth wait for the follow-up; a digest stays a digest. And the digest hour
is the subscriber's own."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings

from access.alerts import sending
from access.alerts.choices import AlertMode, BatchKind, DeliveryStatus
from access.alerts.fan_out import fan_out, next_digest_at
from access.choices import AccessStatus, Confidence, CorridorStatus
from access.models import AlertDelivery
from access.services import change_corridor_status, create_corridor
from humtrack.actor import SYSTEM
from tests.access.test_alerts_pipeline import change, deliver, subjects, subscribe
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def panjshir(tree):
    change(tree["AF08"], AccessStatus.CONSTRAINED, silent=True)
    return tree


def waiting():
    return list(
        AlertDelivery.objects.filter(status=DeliveryStatus.BATCHED).values_list("event__status_after", flat=True)
    )


def test_a_worsening_inside_the_flood_window_goes_out_at_once(panjshir):
    # Seen: "severely constrained → inaccessible" a minute after an alert reached the person nine minutes late.
    subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    assert subjects(mail.outbox) == [
        "[humtrack] Panjsher (AF08): constrained → severely constrained",
        "[humtrack] Panjsher (AF08): severely constrained → inaccessible",
    ]
    assert waiting() == []


@override_settings(ALERTS_FLOOD_WINDOW_SECONDS=0, ALERTS_HOURLY_CAP=1)
def test_a_worsening_past_the_hourly_cap_goes_out_at_once(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    assert len(mail.outbox) == 2
    deliver(panjshir["AF08"], AccessStatus.CONSTRAINED)  # an improvement past the cap waits
    assert len(mail.outbox) == 2 and waiting() == [AccessStatus.CONSTRAINED]


def test_an_improvement_inside_the_flood_window_waits_for_the_follow_up(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    deliver(panjshir["AF08"], AccessStatus.ACCESSIBLE)
    assert len(mail.outbox) == 1 and waiting() == [AccessStatus.ACCESSIBLE]


def test_closed_again_after_reopening_is_back_and_forth_and_waits(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    deliver(panjshir["AF08"], AccessStatus.ACCESSIBLE)
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)  # no worse than what they were told
    assert len(mail.outbox) == 1
    assert sorted(waiting()) == [AccessStatus.ACCESSIBLE, AccessStatus.INACCESSIBLE]


def test_a_status_they_were_told_and_whose_improvement_still_waits_is_not_news(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    deliver(panjshir["AF08"], AccessStatus.ACCESSIBLE)  # waits: they were not told
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)  # the status they last heard of
    assert len(mail.outbox) == 1 and len(waiting()) == 2


def test_a_worsening_in_another_followed_region_goes_out_at_once(panjshir):
    subscribe("country@example.org", panjshir["AF"])
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    deliver(panjshir["AF03"], AccessStatus.CONSTRAINED)  # nothing told about Parwan: a worsening, at once
    assert len(mail.outbox) == 2


def test_a_worsening_still_waits_for_the_digest_of_a_digest_reader(panjshir):
    subscribe("digest@example.org", panjshir["AF08"], mode=AlertMode.DIGEST)
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    assert mail.outbox == []
    assert AlertDelivery.objects.get().batch_kind == BatchKind.DIGEST


def test_a_correction_of_history_never_jumps_the_queue(panjshir):
    subscribe("panjshir@example.org", panjshir["AF08"])
    deliver(panjshir["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    # Back-dated behind the change in force: history is corrected, the status in force is not.
    deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE, effective_at=datetime(2021, 8, 1, tzinfo=UTC))
    assert len(mail.outbox) == 1


def test_a_corridor_closed_after_it_was_restricted_goes_out_at_once(tree):
    source = SourceFactory()
    corridor = create_corridor(
        actor=SYSTEM,
        regions=[tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.OPEN,
        source=source,
        confidence=Confidence.CONFIRMED,
        name="Jabal Saraj – Bazarak",
    )
    subscribe("bazarak@example.org", tree["AF0801"])

    def corridor_change(status):
        recorded = change_corridor_status(
            corridor=corridor, status=status, reason="Checkpoint", source=source, confidence=Confidence.REPORTED,
            actor=SYSTEM,
        )  # fmt: skip
        sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)

    corridor_change(CorridorStatus.RESTRICTED)
    corridor_change(CorridorStatus.CLOSED)
    corridor_change(CorridorStatus.OPEN)  # an improvement: waits
    assert [m.subject for m in mail.outbox] == [
        "[humtrack] Corridor Jabal Saraj – Bazarak: open → restricted",
        "[humtrack] Corridor Jabal Saraj – Bazarak: restricted → closed",
    ]


# --- The digest hour is the subscriber's ----------------------------------------------------------


@override_settings(ALERTS_DIGEST_HOUR=6)
def test_the_next_digest_is_at_the_digest_hour_in_the_subscribers_zone():
    # 06:00 in Kabul (UTC+4:30) is 01:30 UTC.
    assert next_digest_at(datetime(2021, 9, 1, 0, 0, tzinfo=UTC), "Asia/Kabul") == datetime(
        2021, 9, 1, 1, 30, tzinfo=UTC
    )
    assert next_digest_at(datetime(2021, 9, 1, 1, 30, tzinfo=UTC), "Asia/Kabul") == datetime(
        2021, 9, 2, 1, 30, tzinfo=UTC
    )
    assert next_digest_at(datetime(2021, 9, 1, 0, 0, tzinfo=UTC), "UTC") == datetime(2021, 9, 1, 6, 0, tzinfo=UTC)
    # Across a change of offset the wall clock holds: 06:00 in New York before and after 7 Nov 2021.
    assert next_digest_at(datetime(2021, 11, 6, 12, 0, tzinfo=UTC), "America/New_York") == datetime(
        2021, 11, 7, 11, 0, tzinfo=UTC
    )


@override_settings(ALERTS_DIGEST_HOUR=6)
def test_a_kabul_digest_reader_gets_the_digest_at_six_in_kabul(panjshir):
    subscription = subscribe("kabul@example.org", panjshir["AF08"], mode=AlertMode.DIGEST, time_zone="Asia/Kabul")
    now = datetime(2021, 9, 1, 0, 0, tzinfo=UTC)  # 04:30 in Kabul
    with mock.patch("django.utils.timezone.now", return_value=now):
        deliver(panjshir["AF08"], AccessStatus.INACCESSIBLE)
    delivery = AlertDelivery.objects.get(subscription=subscription)
    assert delivery.send_after == datetime(2021, 9, 1, 1, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=delivery.send_after - timedelta(seconds=1)):
        assert sending.send_batch(subscription.pk, BatchKind.DIGEST) is False  # 05:59:59 in Kabul: not yet
    with mock.patch("django.utils.timezone.now", return_value=delivery.send_after):
        assert sending.send_batch(subscription.pk, BatchKind.DIGEST) is True
    assert len(mail.outbox) == 1
