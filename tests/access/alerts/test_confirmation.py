"""access/alerts/confirmation.py: the double opt-in email, in the language asked for; none for a token
that waited in a queue past its expiry."""

from unittest import mock

import pytest
from django.core import mail, signing

from access.alerts import links
from access.alerts.confirmation import send_confirmation
from tests.access.alerts.test_views_get_alerts import PANJSHIR_DARI, afghanistan  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

REQUEST = {
    "email": "officer@example.org",
    "pcodes": ["AF08"],
    "language": "fa-af",
    "time_zone": "",
    "mode": "immediate",
}


def test_the_email_is_in_the_requests_language_with_the_regions_names_and_the_link(afghanistan):  # noqa: F811
    assert send_confirmation(links.confirm_token(REQUEST)) is True
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == ["officer@example.org"]
    assert '<html lang="fa-af" dir="rtl">' in html
    assert PANJSHIR_DARI in message.body and PANJSHIR_DARI in html
    token = message.body.split("/alerts/confirm/", 1)[1].split("/", 1)[0]
    assert links.confirmed_request(token) == REQUEST


def test_an_expired_or_forged_request_sends_nothing(afghanistan):  # noqa: F811
    token = links.confirm_token(REQUEST)
    later = signing.time.time() + links.CONFIRM_MAX_AGE_SECONDS + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert send_confirmation(token) is False
    assert send_confirmation(token + "x") is False
    assert mail.outbox == []
