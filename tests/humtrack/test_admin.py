"""Partner organisations and API tokens in the admin: a key is shown once and stored only as its hash."""

import re

import pytest
from django.urls import reverse

from humtrack.models import ApiToken, Organisation, hash_token_key
from tests.factories import OrganisationFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_new_token_shows_its_key_once_and_stores_only_the_hash(superuser_client):
    partner = OrganisationFactory(name="WFP Afghanistan")
    response = superuser_client.post(
        reverse("admin:humtrack_apitoken_add"),
        {"organisation": partner.pk, "name": "dashboard", "scopes": ["read", "alerts"]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'id="api-token-key"[^>]*>([^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token_key(key) and token.prefix == key[:8]
    assert token.scopes == ["read", "alerts"] and token.organisation == partner

    for page in (
        reverse("admin:humtrack_apitoken_change", args=[token.pk]),
        reverse("admin:humtrack_apitoken_changelist"),
        reverse("admin:humtrack_organisation_change", args=[partner.pk]),
    ):
        body = superuser_client.get(page).content.decode()
        assert key not in body and token.key_hash not in body
        assert f"{key[:8]}" in body


def test_revoking_selected_tokens(superuser_client):
    partner = OrganisationFactory()
    token = ApiToken.objects.create(organisation=partner, key_hash="a" * 64, prefix="aaaaaaaa", scopes=["read"])
    superuser_client.post(
        reverse("admin:humtrack_apitoken_changelist"), {"action": "revoke_now", "_selected_action": [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_coordinators_do_not_manage_tokens(client, tree):
    client.force_login(make_coordinator(tree["AF08"]))
    assert client.get(reverse("admin:humtrack_apitoken_changelist")).status_code == 403
    assert client.get(reverse("admin:humtrack_apitoken_add")).status_code == 403


def test_tokens_issued_changed_and_revoked_in_the_admin_are_in_their_history(superuser_client):
    partner = OrganisationFactory(name="WFP Afghanistan")
    superuser_client.post(
        reverse("admin:humtrack_apitoken_add"), {"organisation": partner.pk, "name": "dashboard", "scopes": ["read"]}
    )
    token = ApiToken.objects.get()
    superuser_client.post(
        reverse("admin:humtrack_apitoken_change", args=[token.pk]), {"name": "dashboard", "scopes": ["read", "write"]}
    )
    superuser_client.post(
        reverse("admin:humtrack_apitoken_changelist"), {"action": "revoke_now", "_selected_action": [token.pk]}
    )
    versions = list(token.history.order_by("history_id"))
    assert [v.history_type for v in versions] == ["+", "~", "~"]
    assert {v.history_user.username for v in versions} == {"root"}
    assert versions[1].scopes == ["read", "write"]
    assert versions[1].history_change_reason == "Changed in the admin: scopes"
    assert versions[2].revoked_at is not None and versions[2].history_change_reason == "Revoked in the admin"


def test_organisations_created_renamed_and_deleted_in_the_admin_are_in_their_history(superuser_client):
    superuser_client.post(reverse("admin:humtrack_organisation_add"), _organisation_form("OCHA"))
    organisation = Organisation.objects.get()
    superuser_client.post(
        reverse("admin:humtrack_organisation_change", args=[organisation.pk]), _organisation_form("OCHA Kabul")
    )
    superuser_client.post(reverse("admin:humtrack_organisation_delete", args=[organisation.pk]), {"post": "yes"})
    assert not Organisation.objects.exists()
    versions = list(Organisation.history.filter(id=organisation.pk).order_by("history_id"))
    assert [(v.history_type, v.name) for v in versions] == [("+", "OCHA"), ("~", "OCHA Kabul"), ("-", "OCHA Kabul")]
    assert {v.history_user.username for v in versions} == {"root"}


def _organisation_form(name: str) -> dict:
    # The token inline's management form: the admin refuses a change form without it.
    prefix = "tokens"
    return {
        "name": name,
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
