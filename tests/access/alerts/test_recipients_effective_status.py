"""Alerts follow the effective status (access.selectors.status): who hears of a change, judged how, told
what; and a back-dated change that leaves the status in force as it was is told as a correction of
history, never as a change."""

from datetime import UTC, datetime, timedelta
from unittest import mock
from xml.etree import ElementTree as ET

import pytest
from django.core import mail

from access.alerts import sending
from access.alerts.cap import cap_alert, cap_feed, status_change_events
from access.alerts.choices import AlertMode, AlertTrigger, BatchKind
from access.alerts.fan_out import fan_out
from access.alerts.recipients import subscriptions_for_status_change
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence
from access.models import AlertDelivery, AlertEvent
from access.services import change_access_status
from humtrack.actor import SYSTEM
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def change(region, status, **kwargs):
    return change_access_status(
        region=region,
        status=status,
        reason=kwargs.pop("reason", "Road closed at the valley entrance"),
        source=SourceFactory(),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
        **kwargs,
    )


def subscribe(email, *regions, **fields):
    return create_subscription(actor=SYSTEM, regions=list(regions), email=email, **fields)


def deliver(region, status, **kwargs):
    """A change, fanned out and its immediate emails sent, as the worker would."""
    recorded = change(region, status, **kwargs)
    sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)
    return recorded


def received(email):
    return [message for message in mail.outbox if message.to == [email]]


def only_email_to(email):
    messages = received(email)
    assert len(messages) == 1, [m.subject for m in mail.outbox]
    message = messages[0]
    return message, message.body, message.alternatives[0][0]


def later_than(moment):
    """The pipeline's clock, moved just past `moment`."""
    return mock.patch("django.utils.timezone.now", return_value=moment + timedelta(seconds=1))


def told(recorded):
    return {email.split("@")[0] for email in subscriptions_for_status_change(recorded).values_list("email", flat=True)}


# --- Who hears of a change to an ancestor -------------------------------------------------------------


@pytest.mark.parametrize("include_descendants", [False, True])
def test_a_district_follower_hears_of_the_province_change_it_inherits_named_as_inherited(tree, include_descendants):
    change(tree["AF"], AccessStatus.CONSTRAINED, silent=True)
    subscribe("bazarak@example.org", tree["AF0801"], include_descendants=include_descendants)

    deliver(tree["AF08"], AccessStatus.INACCESSIBLE)

    message, text, html = only_email_to("bazarak@example.org")
    # Bazarak showed Afghanistan's constrained (Panjsher had no record either), and now Panjsher's.
    assert message.subject == "[humtrack] Bazarak (AF0801): constrained → inaccessible, taken from Panjsher (AF08)"
    inherited = (
        "Bazarak (AF0801), which you follow, has no status of its own: it now takes Panjsher's (AF08): inaccessible."
    )
    assert inherited in text
    assert inherited.replace("'", "&#x27;") in html
    assert "Road closed at the valley entrance" in text
    assert message.extra_headers["References"] == "<region.AF0801@humtrack.localhost>"


def test_a_district_with_its_own_record_does_not_hear_of_its_province_change(tree):
    change(tree["AF0801"], AccessStatus.CONSTRAINED, silent=True)
    subscribe("bazarak@example.org", tree["AF0801"], include_descendants=False)
    subscribe("bazarak-and-below@example.org", tree["AF0801"])
    subscribe("shutul@example.org", tree["AF0806"])  # no record of its own: inherits the change

    deliver(tree["AF08"], AccessStatus.INACCESSIBLE)

    assert [m.to[0] for m in mail.outbox] == ["shutul@example.org"]
    assert mail.outbox[0].subject == (
        "[humtrack] Shutul (AF0806): no information recorded → inaccessible, taken from Panjsher (AF08)"
    )


def test_a_province_follower_with_descendants_hears_of_the_country_change_its_province_inherits(tree):
    change(tree["AF03"], AccessStatus.CONSTRAINED, silent=True)  # Parwan has its own record
    subscribe("panjshir@example.org", tree["AF08"])
    subscribe("parwan@example.org", tree["AF03"])
    subscribe("jabal-saraj@example.org", tree["AF0305"])  # takes Parwan's record, not the country's
    subscribe("country@example.org", tree["AF"], include_descendants=False)

    deliver(tree["AF"], AccessStatus.INACCESSIBLE)

    assert sorted(m.to[0] for m in mail.outbox) == ["country@example.org", "panjshir@example.org"]
    message, text, _ = only_email_to("panjshir@example.org")
    # Nothing was recorded on Panjsher or above it: "no information recorded", never "unknown".
    assert message.subject == (
        "[humtrack] Panjsher (AF08): no information recorded → inaccessible, taken from Afghanistan (AF)"
    )
    assert "Panjsher (AF08), which you follow, has no status of its own: it now takes Afghanistan's (AF)" in text
    country, _, _ = only_email_to("country@example.org")
    assert country.subject == "[humtrack] Afghanistan (AF): no information recorded → inaccessible"


def test_who_follows_the_changed_region_or_an_ancestor_reads_of_the_region_itself(tree):
    change(tree["AF"], AccessStatus.CONSTRAINED, silent=True)
    subscribe("country@example.org", tree["AF"])
    subscribe("both@example.org", tree["AF08"], tree["AF0801"])

    deliver(tree["AF08"], AccessStatus.INACCESSIBLE)

    for email in ("country@example.org", "both@example.org"):
        message, text, _ = only_email_to(email)
        assert message.subject == "[humtrack] Panjsher (AF08): constrained → inaccessible"
        # What people saw before was inherited: the email says whose it was.
        assert "Before, Panjsher (AF08) had no status of its own and took Afghanistan's: constrained." in text


def test_a_digest_names_the_followed_district_that_inherits_the_change(tree):
    subscription = subscribe("bazarak-digest@example.org", tree["AF0801"], mode=AlertMode.DIGEST)
    deliver(tree["AF08"], AccessStatus.INACCESSIBLE)

    with later_than(AlertDelivery.objects.get().send_after):
        sending.send_batch(subscription.pk, BatchKind.DIGEST)

    _, text, html = only_email_to("bazarak-digest@example.org")
    assert "Bazarak (AF0801): no information recorded → inaccessible, taken from Panjsher (AF08)" in text
    assert "Bazarak (AF0801), which you follow, has no status of its own" in text
    assert "Bazarak (AF0801), which you follow, has no status of its own" in html


def test_a_province_recording_the_status_it_inherited_tells_only_any_subscribers_so(tree):
    change(tree["AF"], AccessStatus.INACCESSIBLE, silent=True)
    subscribe("bazarak@example.org", tree["AF0801"])
    subscribe("panjshir@example.org", tree["AF08"])
    subscribe("worsening@example.org", tree["AF0801"], trigger=AlertTrigger.WORSENING)

    deliver(tree["AF08"], AccessStatus.INACCESSIBLE)

    assert sorted(m.to[0] for m in mail.outbox) == ["bazarak@example.org", "panjshir@example.org"]
    bazarak, _, _ = only_email_to("bazarak@example.org")
    assert bazarak.subject == "[humtrack] Bazarak (AF0801): still inaccessible, now taken from Panjsher (AF08)"
    panjshir, _, _ = only_email_to("panjshir@example.org")
    assert panjshir.subject == (
        "[humtrack] Panjsher (AF08): inaccessible, now its own record (before: inherited from Afghanistan (AF))"
    )


# --- The trigger judges the effective status before → after -----------------------------------------


def test_the_trigger_judges_the_status_people_saw_before_not_the_regions_own_record(tree):
    # Afghanistan constrained, Panjsher no record of its own: people saw Panjsher constrained.
    change(tree["AF"], AccessStatus.CONSTRAINED, silent=True)
    for region in (tree["AF08"], tree["AF0801"]):
        name = region.name.lower()
        subscribe(f"{name}-any@example.org", region)
        subscribe(f"{name}-worsening@example.org", region, trigger=AlertTrigger.WORSENING)
        subscribe(
            f"{name}-crossing-severe@example.org",
            region,
            trigger=AlertTrigger.CROSSING,
            threshold_status=AccessStatus.SEVERELY_CONSTRAINED,
        )
        subscribe(
            f"{name}-crossing-constrained@example.org",
            region,
            trigger=AlertTrigger.CROSSING,
            threshold_status=AccessStatus.CONSTRAINED,
        )

    recorded = change(tree["AF08"], AccessStatus.SEVERELY_CONSTRAINED)

    # constrained → severely constrained: a worsening, crossing into severe, not into constrained (it was).
    wanted = {"any", "worsening", "crossing-severe"}
    assert told(recorded) == {f"{name}-{trigger}" for name in ("panjsher", "bazarak") for trigger in wanted}

    improved = change(tree["AF08"], AccessStatus.CONSTRAINED)
    assert told(improved) == {"panjsher-any", "bazarak-any"}


# --- A back-dated change behind a later one: a correction of history ---------------------------------


@pytest.fixture
def khak_e_jabbar(tree):
    """As Khak-e-Jabbar in the issue: Panjsher constrained from 1 Aug 2021, inaccessible since a change on
    5 Sep 2021 (T)."""
    change(tree["AF08"], AccessStatus.CONSTRAINED, effective_at=datetime(2021, 8, 1, tzinfo=UTC), silent=True)
    change(tree["AF08"], AccessStatus.INACCESSIBLE, effective_at=datetime(2021, 9, 5, tzinfo=UTC), silent=True)
    subscribe("any@example.org", tree["AF08"])
    subscribe("worsening@example.org", tree["AF08"], trigger=AlertTrigger.WORSENING)
    subscribe(
        "crossing@example.org", tree["AF08"], trigger=AlertTrigger.CROSSING, threshold_status="severely_constrained"
    )
    subscribe("bazarak@example.org", tree["AF0801"])
    return tree


def test_a_back_dated_change_behind_a_later_one_is_announced_as_a_correction_of_history(khak_e_jabbar):
    deliver(khak_e_jabbar["AF08"], AccessStatus.ACCESSIBLE, effective_at=datetime(2021, 8, 30, 12, tzinfo=UTC))

    message, text, html = only_email_to("any@example.org")
    assert message.subject == (
        "[humtrack] Panjsher (AF08): correction of history, on 30 August 2021 it was accessible;"
        " the status in force remains inaccessible"
    )
    correction = "On 30 August 2021 it was accessible (recorded now); the status in force remains inaccessible."
    assert correction in text and correction in html
    assert "Access has changed" not in text
    assert "has been corrected; the status in force has not changed" in text
    bazarak, bazarak_text, _ = only_email_to("bazarak@example.org")
    assert "the status in force remains inaccessible" in bazarak.subject
    assert "Panjsher (AF08), whose status Bazarak (AF0801) takes, was accessible (recorded now)" in bazarak_text


def test_a_correction_of_history_that_looks_like_a_worsening_reaches_no_worsening_or_crossing_subscriber(
    khak_e_jabbar,
):
    # Accessible since 10 Sep; now recorded: it was inaccessible from 30 Aug. Its own record at 30 Aug was
    # constrained, so the change reads constrained → inaccessible (worsening, crossing into severely
    # constrained), but the status in force, accessible, did not change.
    khak = khak_e_jabbar["AF08"]
    change(khak, AccessStatus.ACCESSIBLE, effective_at=datetime(2021, 9, 10, tzinfo=UTC), silent=True)
    recorded = deliver(khak, AccessStatus.INACCESSIBLE, effective_at=datetime(2021, 8, 30, tzinfo=UTC))

    assert recorded.from_status == AccessStatus.CONSTRAINED
    assert sorted(m.to[0] for m in mail.outbox) == ["any@example.org", "bazarak@example.org"]
    assert "the status in force remains accessible" in received("any@example.org")[0].subject


def test_the_cap_entry_of_a_correction_of_history_says_so(khak_e_jabbar):
    recorded = change(khak_e_jabbar["AF08"], AccessStatus.ACCESSIBLE, effective_at=datetime(2021, 8, 30, tzinfo=UTC))

    info = cap_alert(AlertEvent.objects.get(status_change=recorded)).find(f"{CAP}info")

    assert info.findtext(f"{CAP}urgency") == "Past"
    assert info.findtext(f"{CAP}severity") == "Extreme"  # the status in force: inaccessible
    assert "correction of history" in info.findtext(f"{CAP}headline")
    assert "the status in force remains inaccessible" in info.findtext(f"{CAP}description")
    parameters = {p.findtext(f"{CAP}valueName"): p.findtext(f"{CAP}value") for p in info.iter(f"{CAP}parameter")}
    assert parameters["humtrack:correction_of_history"] == "true"
    assert parameters["humtrack:status_in_force"] == "inaccessible"
    assert ET.tostring(info)  # serialisable


def test_a_back_dated_change_that_becomes_current_is_an_ordinary_change(khak_e_jabbar):
    deliver(khak_e_jabbar["AF08"], AccessStatus.ACCESSIBLE, effective_at=datetime(2021, 9, 6, tzinfo=UTC))

    message, _, _ = only_email_to("any@example.org")
    assert message.subject == "[humtrack] Panjsher (AF08): inaccessible → accessible"


def test_the_event_keeps_what_the_change_did_when_it_was_recorded(tree):
    change(tree["AF"], AccessStatus.CONSTRAINED, silent=True)
    recorded = change(tree["AF08"], AccessStatus.INACCESSIBLE)
    change(tree["AF0801"], AccessStatus.ACCESSIBLE, silent=True)  # later: Bazarak no longer inherits

    event = recorded.alert_event
    assert (event.became_current, event.status_before, event.status_before_from, event.status_after) == (
        True,
        AccessStatus.CONSTRAINED,
        tree["AF"],
        AccessStatus.INACCESSIBLE,
    )
    assert {region.pcode for region in event.reached_regions.all()} == {"AF08", "AF0801", "AF0806"}


def test_the_cap_feed_within_a_district_carries_the_province_change_it_inherits(tree):
    change(tree["AF0806"], AccessStatus.CONSTRAINED, silent=True)  # Shutul has its own record
    change(tree["AF08"], AccessStatus.INACCESSIBLE, reason="Panjsher closed")
    change(tree["AF0305"], AccessStatus.CONSTRAINED, reason="Jabal Saraj constrained")

    def headlines(within):
        feed = ET.fromstring(cap_feed(status_change_events(within), feed_url="https://x/"))  # noqa: S314
        return [info.findtext(f"{CAP}headline") for info in feed.iter(f"{CAP}info")]

    assert headlines("AF0801") == ["Panjsher (AF08): no information recorded → inaccessible"]
    assert headlines("AF0806") == []  # its own record: Panjsher's change is not its status
    assert headlines("AF08") == ["Panjsher (AF08): no information recorded → inaccessible"]
