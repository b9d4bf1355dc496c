"""Alert emails in the reader's language and time zone (issue 14 §2, §5) with links that open (§1):
rendered through the real pipeline (fan-out, sending, Django's locmem backend), read as received."""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.urls import resolve
from django.utils import translation

from access.alerts import emails, links, notices, sending
from access.alerts.choices import AlertMode, BatchKind
from access.alerts.fan_out import fan_out
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence, Reliability
from access.models import AlertDelivery
from access.services import change_access_status
from humtrack.actor import SYSTEM
from humtrack.dates import solar_hijri_date
from tests.factories import SourceFactory, make_coordinator

pytestmark = pytest.mark.django_db

CHANGED_AT = datetime(2021, 9, 1, 10, tzinfo=UTC)  # 14:30 in Kabul, 10 Sonbola 1400
PANJSHIR_SINCE = datetime(2021, 8, 20, 6, tzinfo=UTC)  # 10:30 in Kabul


def in_language(language, msgid):
    """What the committed catalogue says for `msgid` in `language` (locale/), checked not to be English."""
    with translation.override(language):
        text = translation.gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation"
    return text


def solar_in(language, day):
    with translation.override(language):
        return solar_hijri_date(day)


@pytest.fixture
def valley(tree):
    """Panjsher constrained since 20 Aug 2021 (on a B-graded source); Shutul, a district of it with no
    record of its own, in Dari and Pashto by name; Afghanistan in Kabul time."""
    tree["AF"].time_zone = "Asia/Kabul"
    tree["AF"].save(update_fields=["time_zone"])
    for pcode, dari, pashto in (("AF08", "پنجشیر", "پنجشېر"), ("AF0806", "شتل", "شتول")):
        tree[pcode].name_fa_af, tree[pcode].name_ps = dari, pashto
        tree[pcode].save(update_fields=["name_fa_af", "name_ps"])
    change(tree["AF08"], AccessStatus.CONSTRAINED, effective_at=PANJSHIR_SINCE, silent=True)
    return tree


def change(region, status, **kwargs):
    return change_access_status(
        region=region,
        status=status,
        reason=kwargs.pop("reason", "Road closed at the valley entrance"),
        source=SourceFactory(reliability=Reliability.B),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
        **kwargs,
    )


def subscribe(email, region, **fields):
    return create_subscription(actor=SYSTEM, regions=[region], email=email, **fields)


def shutul_closes(valley):
    recorded = change(valley["AF0806"], AccessStatus.INACCESSIBLE, effective_at=CHANGED_AT)
    sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)
    return recorded


def email_to(address):
    (message,) = [message for message in mail.outbox if message.to == [address]]
    return message, message.body, message.alternatives[0][0]


def link_tokens(body, url_name):
    """The tokens of the links to `url_name` in a body, each checked to resolve to that page."""
    tokens = []
    for url in re.findall(r"https?://[^\s\"<>]+", body):
        match = resolve(urlparse(url).path)
        if match.view_name == url_name:
            tokens.append(match.kwargs["token"])
    return tokens


@pytest.mark.parametrize("language", ["ps", "fa-af"])
def test_an_alert_in_dari_or_pashto_is_written_right_to_left_in_that_language_with_kabul_time(valley, language):
    subscribe("reader@example.org", valley["AF0806"], language=language, name="Farid")

    shutul_closes(valley)

    message, text, html = email_to("reader@example.org")
    shutul = valley["AF0806"].localised_name(language)
    assert message.subject.startswith(f"[humtrack] {shutul} (AF0806): ")
    assert "Shutul" not in message.subject and "Shutul" not in text and "Shutul" not in html
    assert f'<html lang="{language}" dir="rtl">' in html
    assert '<body dir="rtl"' in html and "direction:rtl" in html and "text-align:right" in html
    assert "text-align:left" not in html
    for body in (text, html):
        assert in_language(language, "Access has changed in a region you follow.") in body
        assert "Access has changed" not in body
        assert "Farid" in body
        assert solar_in(language, CHANGED_AT.date()) in body
        assert "14:30" in body and "10:00 UTC" in body  # Kabul time, UTC beside
        assert valley["AF08"].localised_name(language) in body  # its province
    assert (
        f"{in_language(language, 'Reason:')} Road closed" in text and f"{in_language(language, 'Reason')}</th>" in html
    )
    assert f">{in_language(language, 'Manage my alerts')}</a>" in html
    with translation.override(language):
        # The same strings the catalogue gives in that language, not English's.
        assert translation.gettext("Access has changed in a region you follow.") in html


def test_an_english_alert_says_the_reliability_since_when_the_province_and_the_ancestor(valley):
    subscribe("reader@example.org", valley["AF0806"], time_zone="Asia/Kabul")

    shutul_closes(valley)

    message, text, html = email_to("reader@example.org")
    assert message.subject == "[humtrack] Shutul (AF0806): constrained → inaccessible"
    assert '<html lang="en" dir="ltr">' in html and "text-align:left" in html
    for body in (text, html):
        assert "B – usually reliable" in body
        assert "1 September 2021, 14:30 Afghanistan Time (10:00 UTC)" in body
        # Constrained since Panjsher's change of 20 August (10:30 in Kabul), inherited by Shutul.
        assert "constrained since 20 August 2021, 10:30 Afghanistan Time (06:00 UTC)" in body
        assert "Shutul (AF0806), Panjsher province" in body
        assert "Before, Shutul (AF0806) had no status of its own and took Panjsher&#x27;s: constrained." in (
            body.replace("'", "&#x27;")
        )
        assert "Sonbola" not in body  # the Solar Hijri date is for Dari and Pashto readers


def test_a_blank_time_zone_shows_utc_and_a_first_record_says_there_was_no_earlier_one(tree):
    reader = subscribe("reader@example.org", tree["AF08"])
    reader.time_zone = ""  # a row older than the field
    reader.save(update_fields=["time_zone"])

    recorded = change(tree["AF08"], AccessStatus.INACCESSIBLE, effective_at=CHANGED_AT)
    sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)

    _, text, _ = email_to("reader@example.org")
    assert "In effect: 1 September 2021, 10:00 UTC" in text
    assert "Previous status since: no earlier record" in text


def test_the_links_open_the_region_page_and_the_manage_page_for_that_subscriber_only(valley):
    first = subscribe("first@example.org", valley["AF0806"], language="fa-af")
    second = subscribe("second@example.org", valley["AF0806"], language="fa-af")

    shutul_closes(valley)

    tokens = {}
    for subscription in (first, second):
        _, text, html = email_to(subscription.email)
        page_tokens = link_tokens(text, "situation:region-page")
        manage_tokens = link_tokens(text, "alerts:manage")
        assert page_tokens and manage_tokens
        assert link_tokens(html, "situation:region-page") == page_tokens  # the HTML's links too
        assert link_tokens(html, "alerts:manage") == manage_tokens
        assert {links.region_page_reader(token, "AF0806") for token in page_tokens} == {subscription.pk}
        assert {links.manage_subscription_id(token) for token in manage_tokens} == {subscription.pk}
        assert "/situation/regions/AF0806/\n" not in text  # no longer the JSON details
        tokens[subscription.pk] = (page_tokens[0], manage_tokens[0])
    assert tokens[first.pk][0] != tokens[second.pk][0] and tokens[first.pk][1] != tokens[second.pk][1]


def test_one_event_is_rendered_once_per_language_and_zone_and_copied_per_recipient(valley):
    for number in range(3):
        subscribe(f"dari{number}@example.org", valley["AF0806"], language="fa-af", time_zone="Asia/Kabul")
    subscribe("english@example.org", valley["AF0806"], language="en", time_zone="Asia/Kabul")
    subscribe("english-utc@example.org", valley["AF0806"], language="en", time_zone="UTC")

    with mock.patch.object(emails, "render_event", wraps=emails.render_event) as render_event:
        shutul_closes(valley)

    assert render_event.call_count == 3
    assert len(mail.outbox) == 5
    _, english_utc, _ = email_to("english-utc@example.org")
    assert "In effect: 1 September 2021, 10:00 UTC" in english_utc


def test_a_daily_digest_in_pashto_is_right_to_left_with_its_own_links(valley):
    subscription = subscribe("digest@example.org", valley["AF0806"], language="ps", mode=AlertMode.DIGEST)
    shutul_closes(valley)

    with mock.patch("django.utils.timezone.now", return_value=AlertDelivery.objects.get().send_after):
        sending.send_batch(subscription.pk, BatchKind.DIGEST)

    message, text, html = email_to("digest@example.org")
    assert '<html lang="ps" dir="rtl">' in html
    assert in_language("ps", "Access has changed in a region you follow.") not in html  # a digest says its own
    assert f"{in_language('ps', 'Reason:')} Road closed" in text and solar_in("ps", CHANGED_AT.date()) in text
    assert {links.region_page_reader(t, "AF0806") for t in link_tokens(text, "situation:region-page")} == {
        subscription.pk
    }
    assert {links.manage_subscription_id(t) for t in link_tokens(html, "alerts:manage")} == {subscription.pk}
    assert message.subject.startswith("[humtrack] ") and "Daily digest" not in message.subject


def test_a_coordinator_notice_is_written_in_the_site_language_whatever_language_is_active(tree):
    make_coordinator(tree["AF08"], username="panjshir-coordinator")
    change(tree["AF0806"], AccessStatus.CONSTRAINED)  # confirmed, but a month before "now": stale

    with translation.override("ps"):  # as in a request of a Pashto reader that set the notice off
        assert translation.gettext("Reason:") == in_language("ps", "Reason:")
        with mock.patch("django.utils.timezone.now", return_value=CHANGED_AT + timedelta(days=30)):
            assert notices.send_staleness_notices() == 1

    (notice,) = mail.outbox
    assert notice.subject.startswith("[humtrack] ") and notice.subject.endswith("without a confirmed update")
    assert "Shutul (AF0806): constrained" in notice.body
    assert "you coordinate had no confirmed status update" in notice.body
    assert '<html lang="en" dir="ltr">' in notice.alternatives[0][0]


def test_a_correction_of_history_says_since_when_the_status_in_force_holds_in_the_readers_zone(valley):
    subscribe("reader@example.org", valley["AF08"], time_zone="Asia/Kabul", language="fa-af")
    change(valley["AF08"], AccessStatus.INACCESSIBLE, effective_at=CHANGED_AT, silent=True)

    back_dated = change(valley["AF08"], AccessStatus.ACCESSIBLE, effective_at=datetime(2021, 8, 25, 21, tzinfo=UTC))
    sending.send_deliveries(fan_out(back_dated.alert_event.pk).send_now)

    message, text, _ = email_to("reader@example.org")
    # 21:00 UTC on 25 August is 26 August in Kabul: the day in the title is the reader's.
    assert "26 " in message.subject and solar_in("fa-af", datetime(2021, 8, 26).date()) in message.subject
    since = in_language("fa-af", "Status in force since")
    assert since in text
    assert "14:30" in text.split(since)[1]  # Kabul time of the change in force
