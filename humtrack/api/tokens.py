"""Issuing partner API tokens: a random key shown once, only its hash kept."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from humtrack.models import ApiToken, Organisation, TokenScope, hash_token_key

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


def revoke_tokens(tokens) -> int:
    """Revoke now the given tokens not yet revoked; a revoked token authenticates nothing (401)."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def issue_api_token(*, organisation_name: str, scopes: list[str], name: str = "") -> tuple[ApiToken, str, bool]:
    """A new token for the organisation (created if it does not exist). Returns (token, key, created_org)."""
    organisation_name = organisation_name.strip()
    if not organisation_name:
        raise ValidationError("Name the organisation.")
    with transaction.atomic():
        organisation, created = Organisation.objects.get_or_create(name=organisation_name)
        token = ApiToken(organisation=organisation, name=name, scopes=scopes)
        key = set_new_key(token)
        token.save()
    return token, key, created
