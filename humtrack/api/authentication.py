"""Partner authentication: `Authorization: Token <key>` or `Bearer <key>`, looked up by the key's SHA-256 hash.

`Token` is what the docs have always shown; `Bearer` is what generated OpenAPI clients send by default.

A successful authentication sets `request.user` to a `Partner` (the organisation behind the token)
and `request.auth` to the `ApiToken`, whose scopes the classes in `humtrack.api.permissions` check.

Each web process keeps the tokens it found for HUMTRACK_TOKEN_CACHE_SECONDS (`FoundTokens`): a partner
polling several times a second otherwise paid a query for a row that changes a few times a year, a
tenth of its request (issue 17 §2). The price is stated in docs/api.md: a token revoked or re-scoped
(or its organisation changed) is refused or narrowed by every process within that many seconds, and at
once by the process that saved the change. 0 turns the cache off.
"""

import copy
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from humtrack.models import ApiToken, hash_token_key
from humtrack.prepared_query import PreparedQuery

# Recording every use would turn every read into a write; once a minute is enough to see a token is alive.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def record_use(token: ApiToken, now: datetime) -> None:
    """Stamp the token's last use, unless another request of the token holds its row: then that one
    is stamping it, and this one must not wait. A write's transaction keeps the row locked until it
    commits, and a write held seconds on PostgreSQL would otherwise hold every request of the partner
    (issue 15 §6). SKIP LOCKED is PostgreSQL's; SQLite locks the whole database and ignores it."""
    with transaction.atomic():
        unlocked = ApiToken.objects.filter(pk=token.pk).select_for_update(skip_locked=True).values("pk")
        ApiToken.objects.filter(pk__in=unlocked).update(last_used_at=now)
    token.last_used_at = now


# Every partner request runs it: compiled once (humtrack.prepared_query), a millisecond less per request.
TOKEN_BY_HASH = PreparedQuery(
    ApiToken,
    lambda key_hash: (
        ApiToken.objects.select_related("organisation")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .order_by("pk")
    ),
    "key_hash",
)


class FoundTokens:
    """The tokens this process found, by key hash, each for HUMTRACK_TOKEN_CACHE_SECONDS from its lookup.

    Only tokens that exist and are not revoked are kept (an unknown key is looked up every time, and
    counted against its address: humtrack.api.throttling). Each request gets a copy of the kept token,
    so that nothing a request does to its `request.auth` reaches another request.
    """

    def __init__(self, most: int = 1024, clock: Callable[[], float] = time.monotonic):
        self.most = most
        self.clock = clock  # the tests' clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, ApiToken]] = {}

    def get(self, key_hash: str) -> ApiToken | None:
        seconds = settings.HUMTRACK_TOKEN_CACHE_SECONDS
        found = self._tokens.get(key_hash) if seconds > 0 else None
        now = self.clock()
        if found is not None and now - found[0] < seconds:
            return copy.copy(found[1])
        # Kept from before the query: a row read just before a change committed is not kept longer.
        token = TOKEN_BY_HASH.first(key_hash=key_hash)
        if token is not None and seconds > 0:
            with self._lock:
                if len(self._tokens) >= self.most:
                    self._tokens = {}  # more live tokens than partners have: start again
                self._tokens[key_hash] = (now, copy.copy(token))
        return token

    def stamp(self, key_hash: str, last_used_at: datetime) -> None:
        """The kept token's last use, so that the next requests do not stamp it again (record_use)."""
        found = self._tokens.get(key_hash)
        if found is not None:
            found[1].last_used_at = last_used_at

    def forget_all(self, **_signal) -> None:
        """A token or an organisation changed: look every token up again (here; other processes within
        HUMTRACK_TOKEN_CACHE_SECONDS). Also once the change commits, lest a request of another thread
        kept the row as it was before the commit."""
        self._tokens = {}
        transaction.on_commit(self._forget_all_now, robust=True)

    def _forget_all_now(self) -> None:
        self._tokens = {}


FOUND_TOKENS = FoundTokens()


class Partner:
    """The principal of a token-authenticated request: a partner organisation, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.organisation = token.organisation

    def __str__(self):
        return str(self.organisation)

    def get_username(self) -> str:
        return str(self.organisation)

    def has_perm(self, perm, obj=None) -> bool:
        return False


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` (or `Bearer <key>`) for a partner organisation's ApiToken (not revoked)."""

    keyword = "Token"
    keywords = ("Token", "Bearer")
    # The 401 challenge names both schemes (RFC 9110 §11.6.1: one challenge per scheme).
    challenge = ", ".join(f'{keyword} realm="api"' for keyword in keywords)

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() not in {keyword.lower().encode() for keyword in self.keywords}:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as 'Authorization: Token <key>' (or 'Bearer <key>').")
            )
        try:
            key = words[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from error
        key_hash = hash_token_key(key)
        token = FOUND_TOKENS.get(key_hash)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or has been revoked."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            record_use(token, now)
            FOUND_TOKENS.stamp(key_hash, now)
        return Partner(token), token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 when credentials are missing.
        return self.challenge
