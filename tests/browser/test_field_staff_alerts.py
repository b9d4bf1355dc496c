"""Issue 14's "done when", in a real browser: a field officer gets alerts in Dari without an account.

Headless Chromium against the live server. The officer opens the public page, switches it to Dari,
asks for alerts about Panjshir (in Dari, Kabul time) and confirms from the email; a status change on
Panjshir sends an RTL Dari email with the Kabul time and the Solar Hijri date; its region link and its
manage link open readable pages without login; an unfollow on the manage page takes effect, and Undo
restores it. The Celery tasks run in this process (a worker's work, without the broker).
"""

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import translation
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from access.alerts import links, sending, tasks
from access.alerts.enqueue import SEND_CONFIRMATION_EMAIL
from access.alerts.fan_out import fan_out
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence
from access.models import Subscription
from access.services import change_access_status
from humtrack.actor import SYSTEM
from humtrack.dates import reader_moment
from tests.browser.waiting import wait
from tests.factories import SourceFactory, make_tree

with translation.override("fa-af"):
    INACCESSIBLE_IN_DARI = str(AccessStatus.INACCESSIBLE.label)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICER = "officer@example.org"
PANJSHIR_DARI = "پنجشیر"
CLOSED_AT = datetime(2021, 9, 1, 10, 0, tzinfo=UTC)  # 14:30 in Kabul; 10 Sonbola 1400


@pytest.fixture
def afghanistan(db, settings, live_server):
    """The small tree, Afghanistan in Kabul time, Panjshir's Dari name; the emails' links to the live server."""
    settings.SITE_URL = live_server.url
    cache.clear()  # the public page's rate limits
    tree = make_tree()
    tree["AF"].time_zone = "Asia/Kabul"
    tree["AF"].save(update_fields=["time_zone"])
    tree["AF08"].name_fa_af = PANJSHIR_DARI
    tree["AF08"].save(update_fields=["name_fa_af"])
    return tree


@pytest.fixture
def worker():
    """The confirmation task runs at once when published, in this process (the live server's thread
    included); the test runs the alert pipeline's steps itself."""

    def run(name, args=(), **options):
        if name == SEND_CONFIRMATION_EMAIL:
            tasks.send_confirmation_email(*args)

    with mock.patch("access.alerts.enqueue.celery_app.send_task", side_effect=run):
        yield


def email_to(address: str):
    return [message for message in mail.outbox if message.to == [address]][-1]


def link_in(text: str, path: str) -> str:
    """The first absolute link in `text` whose path starts with `path`."""
    match = re.search(rf'https?://[^\s"<>]+{re.escape(path)}[^\s"<>]*', text)
    assert match, f"no link to {path} in the email"
    return match.group(0).replace("&amp;", "&")


def followed(subscription) -> list[str]:
    return sorted(subscription.regions.values_list("pcode", flat=True))


def test_a_field_officer_subscribes_in_dari_reads_the_alert_and_manages_it_without_an_account(
    chromium, live_server, afghanistan, worker, artifacts
):
    browser = chromium
    # The public page, switched to Dari with its language switch.
    browser.get(f"{live_server.url}/alerts/")
    Select(browser.find_element(By.ID, "language-switch")).select_by_value("fa-af")
    browser.find_element(By.ID, "language-switch-submit").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, 'html[lang="fa-af"][dir="rtl"]')))

    # Subscribe to Panjshir, named in Dari, in Dari, in Kabul time.
    browser.find_element(By.NAME, "email").send_keys(OFFICER)
    browser.find_element(By.NAME, "regions").send_keys(PANJSHIR_DARI)
    assert Select(browser.find_element(By.NAME, "language")).first_selected_option.get_attribute("value") == "fa-af"
    Select(browser.find_element(By.NAME, "time_zone")).select_by_value("Asia/Kabul")
    browser.find_element(By.CSS_SELECTOR, "#get-alerts button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "sent")))
    assert not Subscription.objects.exists()

    # The confirmation email, in Dari; its link opens a page with a button, which confirms.
    confirmation = email_to(OFFICER)
    assert 'lang="fa-af" dir="rtl"' in confirmation.alternatives[0][0]
    browser.get(link_in(confirmation.body, "/alerts/confirm/"))
    browser.find_element(By.ID, "confirm-button").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "manage-link")))
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.language, subscription.time_zone) == (OFFICER, "fa-af", "Asia/Kabul")
    assert followed(subscription) == ["AF08"]

    # A status change on Panjshir, through the service; the pipeline sends the alert.
    recorded = change_access_status(
        region=afghanistan["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Checkpoints closed at the valley entrance",
        source=SourceFactory(),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
        effective_at=CLOSED_AT,
    )
    mail.outbox.clear()
    sending.send_deliveries(fan_out(recorded.alert_event.pk).send_now)
    alert = email_to(OFFICER)
    html = alert.alternatives[0][0]
    # An RTL Dari email with the Kabul time and the Solar Hijri date (issue 14 §2).
    assert re.search(r'<html[^>]* lang="fa-af"[^>]* dir="rtl"', html)
    kabul = reader_moment(CLOSED_AT, time_zone="Asia/Kabul", language="fa-af")
    assert kabul.local_time == "14:30"
    assert kabul.local_time in html and kabul.solar_hijri and kabul.solar_hijri in html

    # Its region link opens a readable page, without login.
    browser.delete_all_cookies()
    browser.get(link_in(html, "/situation/regions/AF08/page/"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert PANJSHIR_DARI in browser.find_element(By.ID, "region-name").text
    assert browser.find_element(By.ID, "region-status").text == INACCESSIBLE_IN_DARI
    browser.save_screenshot(str(artifacts / "field-staff-region-page.png"))

    # Its manage link: unfollow Panjshir (nothing followed any more), then Undo (followed again).
    browser.get(link_in(html, "/alerts/manage/"))
    browser.find_element(By.ID, "unfollow-AF08").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "undo-unfollow")))
    assert followed(subscription) == []
    browser.find_element(By.ID, "undo-unfollow").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "unfollow-AF08")))
    assert followed(subscription) == ["AF08"]
    browser.save_screenshot(str(artifacts / "field-staff-manage-page.png"))


def test_the_region_and_manage_pages_open_from_their_signed_links_without_an_account(
    chromium, live_server, afghanistan
):
    """The pages alone, from the links access.alerts.links makes (what the emails carry)."""
    browser = chromium
    subscription = create_subscription(
        actor=SYSTEM, email=OFFICER, regions=[afghanistan["AF08"]], language="fa-af", time_zone="Asia/Kabul"
    )
    change_access_status(
        region=afghanistan["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Checkpoints closed at the valley entrance",
        source=SourceFactory(),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
        effective_at=CLOSED_AT,
    )
    browser.get(links.region_page_url(subscription.pk, "AF0801"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fa-af"
    assert browser.find_element(By.ID, "region-status").text == INACCESSIBLE_IN_DARI
    assert "AF08" in browser.find_element(By.ID, "status-inherited").text
    kabul = reader_moment(CLOSED_AT, time_zone="Asia/Kabul", language="fa-af")
    assert kabul.text in browser.find_element(By.TAG_NAME, "main").text

    browser.find_element(By.ID, "manage-link").click()
    browser.find_element(By.ID, "unfollow-AF08").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "undo-unfollow")))
    assert followed(subscription) == []
    assert browser.find_element(By.ID, "followed-none")
    browser.find_element(By.ID, "undo-unfollow").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "unfollow-AF08")))
    assert followed(subscription) == ["AF08"]
