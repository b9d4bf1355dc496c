"""access/alerts/self_service.py: what people do without an account, through the subscription services,
each write in the audit history with the subscriber named as the one who asked."""

import pytest

from access.alerts import self_service
from access.alerts.choices import AlertMode
from access.alerts.subscriptions import SUBSCRIBER_REASON, create_subscription, update_own_subscription
from access.models import Subscription
from humtrack.actor import SYSTEM, Actor
from tests.access.alerts.test_views_get_alerts import afghanistan  # noqa: F401 (the fixture)
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def request_for(*pcodes, email="officer@example.org", **fields):
    return {"email": email, "pcodes": list(pcodes), "language": "ps", "time_zone": "", "mode": "immediate", **fields}


def reasons(subscription) -> list[str]:
    return list(subscription.history.order_by("history_id").values_list("history_change_reason", flat=True))


def test_a_confirmed_request_creates_a_subscription_in_its_language_and_the_regions_zone(afghanistan):  # noqa: F811
    subscription = self_service.confirm_request(request=request_for("AF08", "AF0305"))
    assert subscription is not None
    assert (subscription.language, subscription.time_zone, subscription.created_by, subscription.organisation) == (
        "ps",
        "Asia/Kabul",
        None,
        None,
    )
    assert sorted(subscription.regions.values_list("pcode", flat=True)) == ["AF0305", "AF08"]


def test_a_request_whose_regions_are_all_gone_creates_nothing(afghanistan):  # noqa: F811
    assert self_service.confirm_request(request=request_for("AF99")) is None
    assert not Subscription.objects.exists()


def test_a_partners_subscription_for_the_same_address_is_left_alone(afghanistan):  # noqa: F811
    partners = create_subscription(
        actor=Actor(organisation=OrganisationFactory(name="Logistics Cluster")),
        email="officer@example.org",
        regions=[afghanistan["AF03"]],
    )
    own = self_service.confirm_request(request=request_for("AF08", mode=AlertMode.DIGEST))
    assert own is not None and own.pk != partners.pk
    assert list(partners.regions.values_list("pcode", flat=True)) == ["AF03"]


def test_confirming_again_resumes_and_adds_regions_in_one_audited_change(afghanistan):  # noqa: F811
    own = create_subscription(actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF03"]], active=False)
    confirmed = self_service.confirm_request(request=request_for("AF08", email="OFFICER@example.org"))
    assert confirmed is not None and confirmed.pk == own.pk
    assert confirmed.active
    assert sorted(confirmed.regions.values_list("pcode", flat=True)) == ["AF03", "AF08"]
    assert reasons(own)[-1] == "Confirmed by the subscriber from the get-alerts page (regions added)"


def test_follow_unfollow_pause_and_resume_are_audited_as_the_subscribers(afghanistan):  # noqa: F811
    subscription = create_subscription(actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF08"]])
    self_service.follow(subscription=subscription, region=afghanistan["AF03"])
    self_service.follow(subscription=subscription, region=afghanistan["AF03"])  # already followed: no write
    self_service.unfollow(subscription=subscription, region=afghanistan["AF08"])
    self_service.pause(subscription=subscription)
    self_service.resume(subscription=subscription)
    assert reasons(subscription) == [
        "Subscribed",
        SUBSCRIBER_REASON,
        SUBSCRIBER_REASON,
        "Paused by the subscriber from the manage page",
        "Resumed by the subscriber from the manage page",
    ]
    assert list(subscription.regions.values_list("pcode", flat=True)) == ["AF03"]


def test_resuming_also_lifts_the_pipelines_pause_after_failures(afghanistan):  # noqa: F811
    subscription = create_subscription(actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF08"]])
    Subscription.objects.filter(pk=subscription.pk).update(paused_at="2021-09-01T10:00Z", consecutive_failures=3)
    subscription.refresh_from_db()
    self_service.resume(subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.is_receiving and subscription.consecutive_failures == 0


def test_the_subscriber_cannot_change_the_address():
    # The manage link may be forwarded: whoever holds it must not redirect the alerts elsewhere.
    assert "email" not in update_own_subscription.__kwdefaults__
