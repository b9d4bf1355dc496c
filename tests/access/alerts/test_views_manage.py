"""Manage my alerts (access/alerts/views.py manage) and the unsubscribe page's undo: a person changes
their own subscription from a signed link, with no account, in their language."""

import pytest
from django.test import Client
from django.urls import reverse

from access.alerts import links
from access.alerts.choices import AlertMode, AlertTrigger
from access.alerts.emails import unsubscribe_token
from access.alerts.subscriptions import SUBSCRIBER_REASON, create_subscription
from access.choices import AccessStatus
from humtrack.actor import SYSTEM
from tests.access.alerts.test_views_get_alerts import PANJSHIR_DARI, afghanistan  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(afghanistan):  # noqa: F811
    return create_subscription(
        actor=SYSTEM, email="officer@example.org", regions=[afghanistan["AF08"]], language="fa-af"
    )


def manage_path(subscription) -> str:
    return reverse("alerts:manage", args=[links.manage_token(subscription.pk)])


def pcodes(subscription) -> list[str]:
    return sorted(subscription.regions.values_list("pcode", flat=True))


def test_the_page_is_in_the_subscriptions_language_and_sends_no_referer(client, subscription):
    response = client.get(manage_path(subscription))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa-af" dir="rtl">' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Content-Language"] == "fa-af"
    assert PANJSHIR_DARI in html
    assert links.region_page_url(subscription.pk, "AF08") in html


@pytest.mark.parametrize("token", ["nonsense", "1:forged"])
def test_a_bad_link_is_a_readable_404(client, subscription, token):
    response = client.get(reverse("alerts:manage", args=[token]))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert "officer@example.org" not in response.content.decode()


def test_a_token_for_another_page_does_not_open_it(client, subscription):
    # The unsubscribe link's token is signed with another salt.
    assert client.get(reverse("alerts:manage", args=[unsubscribe_token(subscription)])).status_code == 404


def test_a_region_is_found_by_its_dari_name_and_followed(client, subscription, afghanistan):  # noqa: F811
    found = client.get(manage_path(subscription), {"q": "af03"})
    assert 'id="follow-AF03"' in found.content.decode()
    found = client.get(manage_path(subscription), {"q": "پنجشير"})  # an Arabic yeh, typed on an Arabic keyboard
    assert PANJSHIR_DARI in found.content.decode()
    response = client.post(manage_path(subscription), {"action": "follow", "pcode": "AF03"})
    assert response.status_code == 303
    assert pcodes(subscription) == ["AF03", "AF08"]
    assert subscription.history.latest().history_change_reason == SUBSCRIBER_REASON


def test_unfollow_then_undo_restores_the_region(client, subscription):
    response = client.post(manage_path(subscription), {"action": "unfollow", "pcode": "AF08"})
    assert pcodes(subscription) == []
    page = client.get(response["Location"]).content.decode()
    assert 'id="undo-unfollow"' in page and 'name="pcode" value="AF08"' in page
    client.post(manage_path(subscription), {"action": "follow", "pcode": "AF08"})
    assert pcodes(subscription) == ["AF08"]


def test_preferences_are_saved_and_a_new_language_re_renders_the_page(client, subscription):
    data = {
        "action": "preferences",
        "mode": AlertMode.DIGEST,
        "trigger": AlertTrigger.CROSSING,
        "threshold_status": AccessStatus.SEVERELY_CONSTRAINED,
        "include_corridors": "",
        "language": "ps",
        "time_zone": "Asia/Kabul",
    }
    response = client.post(manage_path(subscription), data)
    assert response.status_code == 303
    subscription.refresh_from_db()
    assert (subscription.mode, subscription.trigger, subscription.threshold_status) == (
        AlertMode.DIGEST,
        AlertTrigger.CROSSING,
        AccessStatus.SEVERELY_CONSTRAINED,
    )
    assert (subscription.include_corridors, subscription.language) == (False, "ps")
    assert subscription.time_zone == "Asia/Kabul"
    assert '<html lang="ps" dir="rtl">' in client.get(response["Location"]).content.decode()


def test_crossing_without_a_level_is_refused_and_nothing_changes(client, subscription):
    data = {"action": "preferences", "mode": "immediate", "trigger": "crossing", "language": "en", "time_zone": "UTC"}
    response = client.post(manage_path(subscription), data)
    assert response.status_code == 400
    subscription.refresh_from_db()
    assert (subscription.trigger, subscription.language) == (AlertTrigger.ANY, "fa-af")


def test_pause_and_resume(client, subscription):
    client.post(manage_path(subscription), {"action": "pause"})
    subscription.refresh_from_db()
    assert not subscription.active
    assert 'id="resume"' in client.get(manage_path(subscription)).content.decode()
    client.post(manage_path(subscription), {"action": "resume"})
    subscription.refresh_from_db()
    assert subscription.active


def test_unsubscribe_from_the_manage_page_then_undo(client, subscription):
    response = client.post(manage_path(subscription), {"action": "unsubscribe"})
    subscription.refresh_from_db()
    assert not subscription.active
    assert 'value="resubscribe"' in client.get(response["Location"]).content.decode()
    client.post(manage_path(subscription), {"action": "resubscribe"})
    subscription.refresh_from_db()
    assert subscription.active


def test_the_unsubscribe_page_offers_an_undo_that_resubscribes(subscription):
    browser = Client(enforce_csrf_checks=True)
    unsubscribe = reverse("alerts:unsubscribe", args=[unsubscribe_token(subscription)])
    page = browser.post(unsubscribe, {"List-Unsubscribe": "One-Click"})  # csrf_exempt (RFC 8058)
    subscription.refresh_from_db()
    assert page.status_code == 200 and not subscription.active
    html = page.content.decode()
    assert '<html lang="fa-af" dir="rtl">' in html
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    undo = browser.post(manage_path(subscription), {"action": "resubscribe", "csrfmiddlewaretoken": token})
    assert undo.status_code == 303
    subscription.refresh_from_db()
    assert subscription.active


def test_the_manage_page_refuses_a_post_without_its_csrf_token(subscription):
    response = Client(enforce_csrf_checks=True).post(manage_path(subscription), {"action": "unfollow", "pcode": "AF08"})
    assert response.status_code == 403
    assert pcodes(subscription) == ["AF08"]
