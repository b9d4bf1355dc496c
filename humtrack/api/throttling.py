"""Rate limits per partner token, counted in Django's cache (Redis via CACHE_URL in production).

With locmem (a laptop) each process counts on its own; with Redis every web process shares the count.
A request without a valid token (none, unknown, revoked) counts against its client's address, resolved
behind HUMTRACK_TRUSTED_PROXIES as the login throttle does (humtrack.security.client_ip_address):
DRF refuses it (401) before its throttles run, so the error handler counts it (`unauthenticated_refusal`).
When the cache is unreachable the request is allowed uncounted (humtrack.rate_limits): the API stays up.

The count is the log of the token's requests in the last period, as DRF's SimpleRateThrottle keeps it
(at most N in any period: a partner at its limit waits until its oldest request is a period old), but
on Redis as a sorted set that one script trims, counts and adds to, atomically, in one round trip. DRF
read and wrote the whole list at each request in two round trips: at a partner's 1,200 a minute, 1,200
timestamps pickled twice per request.
"""

import secrets
import time
import weakref
from typing import Any, cast

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from humtrack.rate_limits import CACHE_UNREACHABLE, allowed_uncounted

from .permissions import request_token

# KEYS[1]: the log; ARGV: the most requests in a period, the period in seconds, a member unique to this
# request, the time now (the web server's: NTP keeps them within milliseconds, nothing to a period).
# Returns nil when the request is allowed (and logged), else the seconds to wait, as text (a Lua number
# reaches Python as an integer).
_SLIDING_LOG = """
local limit, period, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return tostring(tonumber(oldest[2]) + period - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 1000))
return nil
"""


# The script and the client to run it with, per cache connection (each thread's cache has its own):
# Django's cache builds a client object for every call (a fifth of a millisecond), and EVAL sends the
# script's text every time where EVALSHA sends its hash (redis-py's Script: loaded again if Redis lost it).
_SCRIPTS: "weakref.WeakKeyDictionary[Any, Script]" = weakref.WeakKeyDictionary()


def _sliding_log(store: RedisCache) -> Script:
    connection = cast(Any, store)._cache  # Django's RedisCacheClient, made once per cache object
    script = _SCRIPTS.get(connection)
    if script is None:
        script = _SCRIPTS[connection] = connection.get_client(write=True).register_script(_SLIDING_LOG)
    return script


def spend(key: str, limit: int, period: float, now: float | None = None) -> float | None:
    """Log one request under `key`, at most `limit` per `period` seconds: None if allowed, else seconds to wait.

    `now` is time.time() unless given (the tests' sequences of moments).
    """
    now = time.time() if now is None else now
    store = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(store, RedisCache):
        # The cache's own connection pool and key (prefix, version); Django's cache API has no atomic step.
        full_key = store.make_and_validate_key(key)
        wait = _sliding_log(store)(keys=[full_key], args=[limit, period, secrets.token_hex(8), repr(now)])
        return None if wait is None else float(wait)
    # Another cache (locmem on a laptop) counts one process's requests: the same log, read and written.
    log = [moment for moment in store.get(key, []) if moment > now - period]
    if len(log) >= limit:
        return log[0] + period - now
    store.set(key, [*log, now], timeout=period)
    return None


class PartnerTokenThrottle(BaseThrottle):
    """`partner` rate per token; staff sessions by user id; requests without either by client address."""

    scope = "partner"

    def __init__(self) -> None:
        self.seconds_to_wait: float | None = None

    def allow_request(self, request, view) -> bool:
        # Read at request time, so a changed setting (tests, override_settings) applies at once.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None:
            return True
        count, period = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]  # DRF's "N/unit"
        if count is None or period is None:
            return True
        try:
            self.seconds_to_wait = spend(self.get_cache_key(request, view), count, period)
        except CACHE_UNREACHABLE as error:
            return allowed_uncounted("partner_api", error)
        return self.seconds_to_wait is None

    def wait(self) -> float | None:
        return self.seconds_to_wait

    def get_ident(self, request) -> str:
        # Not DRF's NUM_PROXIES guess: the address our own trusted proxies saw, or REMOTE_ADDR. (Imported
        # here: humtrack.security imports humtrack.api.exceptions, whose import of DRF's views imports this.)
        from humtrack.security import client_ip_address

        return client_ip_address(request) or "unknown"

    def get_cache_key(self, request: Any, view: Any) -> str:
        token = request_token(request)
        if token is not None:
            ident = f"token:{token.pk}"
        elif getattr(request.user, "is_authenticated", False):
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        # ":log": not the key of DRF's pickled list, which a process of the release before reads.
        return f"humtrack:throttle:{self.scope}:{ident}:log"


def unauthenticated_refusal(request, view) -> exceptions.Throttled | None:
    """Count a request refused for want of a valid token against its address; past the rate, a 429.

    The same count as the address's anonymous requests that succeed (the schema): one budget per address.
    """
    throttle = PartnerTokenThrottle()
    if throttle.allow_request(request, view):
        return None
    return exceptions.Throttled(wait=throttle.wait())
