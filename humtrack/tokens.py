"""Partner organisations and their API tokens: every change to them goes through a function here.

They grant rights (a token acts for its organisation), so each change is validated and recorded in
the audit history with who made it and why (humtrack.services.save_validated), as every fact is.
A token's key is random, shown once; only its hash is kept (and not copied into the history).
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from humtrack.actor import Actor
from humtrack.history import stamp
from humtrack.models import ApiToken, Organisation, TokenScope, hash_token_key
from humtrack.services import save_validated

KEY_PREFIX_LENGTH = 8


def parse_scopes(text: str) -> list[str]:
    scopes = list(dict.fromkeys(s.strip().lower() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in TokenScope.values]
    if unknown or not scopes:
        raise ValidationError(f"Scopes are a comma-separated choice of: {', '.join(TokenScope.values)}.")
    return scopes


def set_new_key(token: ApiToken) -> str:
    """Give an unsaved token a new random key; returns the key, which is shown once and never stored."""
    key = ApiToken.generate_key()
    token.key_hash = hash_token_key(key)
    token.prefix = key[:KEY_PREFIX_LENGTH]
    return key


def create_organisation(*, name: str, actor: Actor, reason: str = "Organisation created") -> Organisation:
    return save_validated(Organisation(name=name.strip()), actor=actor, reason=reason)


def update_organisation(*, organisation: Organisation, actor: Actor, reason: str) -> Organisation:
    """Save the changes made to `organisation` (its name)."""
    return save_validated(organisation, actor=actor, reason=reason)


def delete_organisation(*, organisation: Organisation, actor: Actor, reason: str = "Deleted") -> None:
    """Delete an organisation and, with it, its tokens; both deletions are in the history."""
    with transaction.atomic():
        for token in organisation.tokens.all():
            stamp(token, actor, reason)
            token.delete()
        stamp(organisation, actor, reason)
        organisation.delete()


def issue_token(
    *, organisation: Organisation, scopes: list[str], actor: Actor, name: str = "", reason: str = "Token issued"
) -> tuple[ApiToken, str]:
    """A new token for the organisation. Returns (token, key); the key is shown once and never stored."""
    token = ApiToken(organisation=organisation, name=name, scopes=scopes)
    key = set_new_key(token)
    save_validated(token, actor=actor, reason=reason)
    return token, key


def update_token(*, token: ApiToken, actor: Actor, reason: str) -> ApiToken:
    """Save the changes made to `token` (its name, scopes, revocation); it stays with its organisation."""
    return save_validated(token, actor=actor, reason=reason)


def revoke_tokens(tokens: Iterable[ApiToken], *, actor: Actor, reason: str = "Revoked") -> int:
    """Revoke now the given tokens not yet revoked; a revoked token authenticates nothing (401)."""
    now = timezone.now()
    revoked = 0
    with transaction.atomic():
        for token in tokens:
            if token.revoked_at is not None:
                continue
            token.revoked_at = now
            save_validated(token, actor=actor, reason=reason, update_fields=["revoked_at"])
            revoked += 1
    return revoked


def issue_api_token(
    *, organisation_name: str, scopes: list[str], actor: Actor, name: str = ""
) -> tuple[ApiToken, str, bool]:
    """A new token for the organisation (created if it does not exist). Returns (token, key, created_org)."""
    organisation_name = organisation_name.strip()
    if not organisation_name:
        raise ValidationError("Name the organisation.")
    with transaction.atomic():
        organisation = Organisation.objects.filter(name=organisation_name).first()
        created = organisation is None
        if organisation is None:
            organisation = create_organisation(name=organisation_name, actor=actor)
        token, key = issue_token(organisation=organisation, scopes=scopes, name=name, actor=actor)
    return token, key, created


def delete_token(*, token: ApiToken, actor: Actor, reason: str = "Deleted") -> None:
    stamp(token, actor, reason)
    token.delete()
