"""The people and partners the security tests act as: tokens by scope, coordinators, field staff."""

from humtrack.models import ApiToken, Organisation, hash_token_key


def make_token(organisation: Organisation, *scopes: str, name: str = "") -> tuple[ApiToken, str]:
    """A partner token as issuing one stores it (only the key's hash), and the key a partner sends."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name or f"{organisation} {'+'.join(scopes)}",
        key_hash=hash_token_key(key),
        prefix=key[:8],
        scopes=list(scopes),
    )
    return token, key


def token_header(key: str) -> dict:
    """Test Client keyword arguments that send `Authorization: Token <key>`."""
    return {"HTTP_AUTHORIZATION": f"Token {key}"}
