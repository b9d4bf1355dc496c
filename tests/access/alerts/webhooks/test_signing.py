"""Standard Webhooks signatures: a receiver verifies them with the standardwebhooks package, with either
secret during a rotation's overlap and only the new one after it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from access.alerts.webhooks.models import WebhookEndpoint
from access.alerts.webhooks.signing import signed_headers, signing_secrets
from tests.webhooks import new_secret

BODY = '{"type":"outage.created","timestamp":"2021-09-01T08:00:00Z","data":{"id":7,"region":"AF08"}}'


def test_the_headers_verify_with_the_endpoints_secret_and_name_the_message():
    secret = new_secret()
    headers = signed_headers(secrets=[secret], message_id="msg_1", body=BODY)
    assert Webhook(secret).verify(BODY, headers)["data"]["region"] == "AF08"
    assert headers["webhook-id"] == "msg_1"
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("AF08", "AF03"), headers)


def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one():
    old, new = new_secret(), new_secret()
    now = timezone.now()
    endpoint = WebhookEndpoint(secret=new, previous_secret=old, previous_secret_expires_at=now + timedelta(hours=1))

    during = signed_headers(secrets=signing_secrets(endpoint, now), message_id="msg_2", body=BODY, now=now)
    assert len(during["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, during)

    later = now + timedelta(hours=2)
    assert signing_secrets(endpoint, later) == [new]
    after = signed_headers(secrets=signing_secrets(endpoint, later), message_id="msg_2", body=BODY)
    Webhook(new).verify(BODY, after)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY, after)
