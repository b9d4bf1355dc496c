import pytest
from django.core.management import CommandError, call_command

from humtrack.models import ApiToken, Organisation
from tests.partners import client_for

pytestmark = pytest.mark.django_db


def test_issue_token_creates_the_organisation_and_prints_a_working_key_last(capsys, tree):
    call_command("issue_token", "WFP Logistics", "--scopes", "read,write")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token.organisation == Organisation.objects.get(name="WFP Logistics")
    assert token.scopes == ["read", "write"]
    assert key not in (token.key_hash, token.prefix)  # only the hash is stored
    assert client_for(key).get("/api/v1/regions/").status_code == 200


def test_issue_token_reuses_an_existing_organisation(capsys):
    Organisation.objects.create(name="OCHA")
    call_command("issue_token", "OCHA", "--scopes", "alerts")
    assert Organisation.objects.count() == 1
    assert ApiToken.objects.get().scopes == ["alerts"]


def test_issue_token_refuses_an_unknown_scope():
    with pytest.raises(CommandError, match="read, write, alerts"):
        call_command("issue_token", "OCHA", "--scopes", "read,admin")
    assert not ApiToken.objects.exists()


def test_issue_token_records_the_new_organisation_and_token_in_their_histories(capsys):
    call_command("issue_token", "WFP Logistics", "--scopes", "read", "--name", "dashboard")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    (organisation_version,) = token.organisation.history.all()
    (token_version,) = token.history.all()
    assert organisation_version.history_type == "+" and organisation_version.name == "WFP Logistics"
    assert token_version.history_type == "+" and token_version.scopes == ["read"]
    assert token_version.history_change_reason == "Token issued"
    assert token_version.history_user is None  # the command acts as the system
    # The history keeps who and what, not the credential's hash.
    assert not hasattr(token_version, "key_hash") and key[:8] == token_version.prefix
