"""An endpoint failing for a day is disabled, its pending deliveries held, and its organisation's contact
and the coordinators told once; a success in between starts the day again."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from access.alerts.webhooks import delivery
from access.alerts.webhooks.choices import WebhookDeliveryStatus
from access.alerts.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import OrganisationFactory, UserFactory, make_coordinator
from tests.webhooks import Receiver, make_endpoint

from .test_delivery import make_due, outage_event, run

pytestmark = pytest.mark.django_db

Status = WebhookDeliveryStatus


@pytest.fixture
def failing():
    with Receiver(answer=503) as receiver:
        yield receiver


@pytest.fixture
def people(tree):
    coordinator = make_coordinator(tree["AF08"])
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    UserFactory(username="staff-without-regions", is_staff=True)
    UserFactory(username="a-partner")
    return {coordinator.email, admin.email}


def test_the_first_failure_starts_the_clock_and_a_success_stops_it(failing):
    endpoint = make_endpoint(failing)
    registered = endpoint.updated_at
    outage_event(1)
    before = timezone.now()
    run()
    endpoint.refresh_from_db()
    assert endpoint.failing_since >= before
    # What the API shows changed: so does what its ETag is made from.
    assert endpoint.updated_at > registered
    first_failure = endpoint.failing_since

    outage_event(2)
    make_due()
    run()  # failing still: the clock is not restarted
    endpoint.refresh_from_db()
    assert endpoint.failing_since == first_failure

    failing.answer = 200
    make_due()
    failing_seen = endpoint.updated_at
    run()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert endpoint.updated_at > failing_seen
    assert endpoint.active


def test_an_endpoint_failing_for_a_day_is_disabled_its_deliveries_held_and_people_told_once(
    failing, people, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory(name="WFP Afghanistan", contact_email="webhooks@wfp.example.org")
    endpoint = make_endpoint(failing, organisation=organisation)
    healthy = make_endpoint(failing, "/healthy")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=25))
    WebhookEndpoint.objects.filter(pk=healthy.pk).update(failing_since=timezone.now() - timedelta(hours=23))
    for outage_id in range(3):
        outage_event(outage_id)
    delivery.fan_out_events(timezone.now())
    WebhookDelivery.objects.filter(endpoint=endpoint).exclude(event__payload__data__id=0).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )  # two of its deliveries wait for a retry: they are held with it

    with django_capture_on_commit_callbacks(execute=True):
        run()

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    assert "failed for 25 hours" in endpoint.disabled_reason
    assert endpoint.history.first().history_change_reason.startswith("Disabled automatically")
    assert set(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status", flat=True)) == {Status.HELD}
    assert WebhookEndpoint.objects.get(pk=healthy.pk).active  # 23 hours: not yet

    assert sorted(message.to[0] for message in mail.outbox) == sorted({"webhooks@wfp.example.org", *people})
    message = mail.outbox[0]
    assert "WFP Afghanistan" in message.subject
    assert endpoint.url in message.body
    assert "HTTP 503" in message.body
    assert "Deliveries held until it is enabled again: 3" in message.body

    # Held deliveries are not sent while it is disabled, and no one is told twice.
    WebhookDelivery.objects.filter(endpoint=endpoint).update(next_attempt_at=timezone.now())
    posts = len(failing.received)
    with django_capture_on_commit_callbacks(execute=True):
        make_due()
        run()
    assert len(failing.received) - posts == WebhookDelivery.objects.filter(endpoint=healthy).count()
    assert len(mail.outbox) == 3
