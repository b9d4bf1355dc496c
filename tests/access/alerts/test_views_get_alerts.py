"""The public "get alerts" page and its confirmation link (access/alerts/views.py get_alerts, confirm):
double opt-in, no enumeration of addresses, rate limits per address and per IP."""

import re
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from access.alerts import links, tasks
from access.alerts.choices import AlertMode
from access.alerts.enqueue import SEND_CONFIRMATION_EMAIL
from access.alerts.subscriptions import create_subscription
from access.models import Subscription
from humtrack.actor import SYSTEM
from tests.factories import make_coordinator

pytestmark = pytest.mark.django_db

PAGE = reverse("alerts:get-alerts")
PANJSHIR_DARI = "پنجشیر"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # django-ratelimit counts in the default cache (locmem in tests), which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def afghanistan(tree):
    """The tree, with Afghanistan's zone and Dari and Pashto names for Panjshir."""
    tree["AF"].time_zone = "Asia/Kabul"
    tree["AF"].save(update_fields=["time_zone"])
    tree["AF08"].name_fa_af = PANJSHIR_DARI
    tree["AF08"].name_ps = "پنجشېر"
    tree["AF08"].save(update_fields=["name_fa_af", "name_ps"])
    return tree


@pytest.fixture
def worker():
    """The broker and a worker, in this process: a task published by name runs at once."""
    published = []

    def run(name, args=(), **options):
        published.append(name)
        assert name == SEND_CONFIRMATION_EMAIL
        tasks.send_confirmation_email(*args)

    with mock.patch("access.alerts.enqueue.celery_app.send_task", side_effect=run):
        yield published


def ask(client, email="officer@example.org", regions="Panjshir", ip="192.0.2.10", **fields):
    """The public page's form, posted from `ip`."""
    data = {"email": email, "regions": regions, "language": "en", "time_zone": "", "mode": AlertMode.IMMEDIATE}
    return client.post(PAGE, {**data, **fields}, REMOTE_ADDR=ip)


def confirm_link(message) -> str:
    match = re.search(r"http://\S+/alerts/confirm/\S+/", message.body)
    assert match, "no confirmation link in the email"
    return match.group(0)


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_the_page_offers_the_form_in_the_requests_language_with_a_language_switch(client, afghanistan):
    client.cookies["django_language"] = "fa-af"
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa-af" dir="rtl">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'action="/i18n/setlang/"' in html
    assert re.search(r'<option value="fa-af" selected>', html)  # the emails' language defaults to the page's


def test_a_request_stores_nothing_and_emails_a_confirmation_only_to_the_address(client, afghanistan, worker):
    response = ask(client, regions=f"{PANJSHIR_DARI}, AF03", language="fa-af")
    assert response.status_code == 303
    assert Subscription.objects.count() == 0
    assert worker == [SEND_CONFIRMATION_EMAIL]
    [message] = mail.outbox
    assert message.to == ["officer@example.org"] and not message.cc and not message.bcc
    html = message.alternatives[0][0]
    assert '<html lang="fa-af" dir="rtl">' in html
    assert PANJSHIR_DARI in message.body
    request = links.confirmed_request(confirm_link(message).rstrip("/").rsplit("/", 1)[1])
    assert request == {
        "email": "officer@example.org",
        "pcodes": ["AF08", "AF03"],
        "language": "fa-af",
        "time_zone": "",
        "mode": "immediate",
    }
    assert "Check your inbox" in client.get(response["Location"]).content.decode()


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(client, afghanistan, worker):
    unknown = ask(client, email="officer@example.org")
    create_subscription(actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF08"]])
    known = ask(client, email="officer@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert (known.status_code, known["Location"]) == (303, f"{PAGE}?sent=1")
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert sorted(known.cookies) == sorted(unknown.cookies)
    # An email went to the address both times, and only to it.
    assert [message.to for message in mail.outbox] == [["officer@example.org"]] * 2


def test_an_unknown_region_is_named_in_a_clear_error(client, afghanistan, worker):
    response = ask(client, regions="Panjshir, Atlantis")
    assert response.status_code == 400
    assert "No region is called “Atlantis”" in response.content.decode()
    assert mail.outbox == []


def test_a_region_is_found_by_its_pcode_and_by_its_pashto_name(client, afghanistan, worker):
    assert ask(client, regions="af0305، پنجشېر").status_code == 303  # an Arabic comma between them
    assert links.confirmed_request(confirm_link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1])["pcodes"] == [
        "AF0305",
        "AF08",
    ]


@override_settings(ALERTS_SIGNUP_RATE_PER_ADDRESS="2/h", ALERTS_SIGNUP_RATE_PER_IP="100/h")
def test_requests_for_one_address_are_limited_whoever_asks(client, afghanistan, worker):
    assert [ask(client, ip=f"192.0.2.{n}").status_code for n in range(3)] == [303, 303, 429]
    limited = ask(client, email="OFFICER@example.org", ip="198.51.100.7")
    assert limited.status_code == 429
    assert "try again later" in limited.content.decode()
    assert len(mail.outbox) == 2
    assert ask(client, email="someone.else@example.org").status_code == 303


@override_settings(ALERTS_SIGNUP_RATE_PER_ADDRESS="100/h", ALERTS_SIGNUP_RATE_PER_IP="3/h")
def test_requests_from_one_ip_are_limited_whatever_the_address_and_the_same_for_known_ones(client, afghanistan, worker):
    create_subscription(actor=SYSTEM, email="known@example.org", regions=[afghanistan["AF08"]])
    statuses = [ask(client, email=f"person{n}@example.org").status_code for n in range(3)]
    known, unknown = ask(client, email="known@example.org"), ask(client, email="new@example.org")
    assert statuses == [303, 303, 303]
    assert known.status_code == unknown.status_code == 429
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert ask(client, ip="198.51.100.7").status_code == 303


def test_when_the_broker_is_down_the_page_asks_to_try_again(client, afghanistan):
    with mock.patch("access.alerts.enqueue.celery_app.send_task", side_effect=OSError("Connection refused")):
        response = ask(client)
    assert response.status_code == 503
    assert "try again" in response.content.decode()


# --- The confirmation link -------------------------------------------------------------------------


def test_opening_the_link_only_shows_a_button_and_confirming_creates_the_subscription(client, afghanistan, worker):
    ask(client, regions="Panjshir", language="fa-af", time_zone="")
    link = confirm_link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000")
    page = client.get(link)
    assert page.status_code == 200 and 'id="confirm-button"' in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert Subscription.objects.count() == 0
    confirmed = client.post(link)
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.language, subscription.time_zone) == (
        "officer@example.org",
        "fa-af",
        "Asia/Kabul",
    )
    assert list(subscription.regions.values_list("pcode", flat=True)) == ["AF08"]
    assert '<html lang="fa-af" dir="rtl">' in confirmed.content.decode()
    assert links.manage_url(subscription.pk) in confirmed.content.decode()
    client.post(link)  # twice: nothing more
    assert Subscription.objects.count() == 1


def test_confirming_adds_the_regions_to_the_addresss_own_subscription(client, afghanistan, worker):
    own = create_subscription(actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF03"]])
    coordinators = create_subscription(
        actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF0806"]], name="Added by a coordinator"
    )
    coordinators.created_by = make_coordinator(afghanistan["AF08"])
    coordinators.save()
    ask(client, email="Officer@example.org", regions="AF08", mode=AlertMode.DIGEST)
    client.post(confirm_link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000"))
    own.refresh_from_db()
    assert sorted(own.regions.values_list("pcode", flat=True)) == ["AF03", "AF08"]
    assert own.mode == AlertMode.DIGEST
    assert list(coordinators.regions.values_list("pcode", flat=True)) == ["AF0806"]
    assert Subscription.objects.count() == 2


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_or_expired_confirmation_link_is_a_readable_400(client, afghanistan, method):
    token = links.confirm_token({"email": "officer@example.org", "pcodes": ["AF08"], "language": "en"})
    expired = mock.patch("django.core.signing.time.time", return_value=signing.time.time() + 8 * 24 * 3600)
    for link_token, patch in ((token[:-2] + "xx", mock.MagicMock()), (token, expired)):
        with patch:
            response = getattr(client, method)(reverse("alerts:confirm", args=[link_token]))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert Subscription.objects.count() == 0
