"""access/alerts/links.py: the signer made once per salt signs exactly as Django's Signer does."""

import string

import pytest
from django.core import signing
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from access.alerts import links
from access.alerts.emails import UNSUBSCRIBE_SALT, subscription_id_from_token

SALTS = [links.REGION_PAGE_SALT, links.MANAGE_SALT, UNSUBSCRIBE_SALT]
VALUES = st.text(alphabet=string.printable + "ءآأپچژکگی", max_size=40)


@settings(max_examples=200, deadline=None)
@given(salt=st.sampled_from(SALTS), value=VALUES)
def test_a_token_is_the_one_djangos_signer_makes_and_each_opens_the_other(salt, value):
    token = links.signer(salt).sign(value)

    assert token == signing.Signer(salt=salt).sign(value)
    assert signing.Signer(salt=salt).unsign(token) == value
    assert links.signer(salt).unsign(signing.Signer(salt=salt).sign(value)) == value


@given(value=VALUES)
def test_a_token_for_one_salt_opens_nothing_signed_for_another(value):
    token = links.signer(links.MANAGE_SALT).sign(value)

    with pytest.raises(signing.BadSignature):
        links.signer(links.REGION_PAGE_SALT).unsign(token)


def test_a_new_secret_key_signs_anew_and_the_old_one_still_opens_old_links_as_a_fallback():
    with override_settings(SECRET_KEY="old-" + "k" * 50):
        old_token = links.signer(UNSUBSCRIBE_SALT).sign("42")
        assert subscription_id_from_token(old_token) == 42

    with override_settings(SECRET_KEY="new-" + "k" * 50, SECRET_KEY_FALLBACKS=[]):
        new_token = links.signer(UNSUBSCRIBE_SALT).sign("42")
        assert new_token != old_token  # not the signer made for the old key
        assert new_token == signing.Signer(salt=UNSUBSCRIBE_SALT).sign("42")
        assert subscription_id_from_token(old_token) is None

    with override_settings(SECRET_KEY="new-" + "k" * 50, SECRET_KEY_FALLBACKS=["old-" + "k" * 50]):
        assert subscription_id_from_token(old_token) == 42  # rotating the key keeps old emails' links working
        assert links.signer(UNSUBSCRIBE_SALT).sign("42") == new_token
