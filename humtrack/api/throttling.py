"""Rate limits per partner token, counted in Django's cache (Redis via CACHE_URL in production).

With locmem (a laptop) each process counts on its own; with Redis every web process shares the count.
A request without a valid token (none, unknown, revoked) counts against its client's address, resolved
behind HUMTRACK_TRUSTED_PROXIES as the login throttle does (humtrack.security.client_ip_address):
DRF refuses it (401) before its throttles run, so the error handler counts it (`unauthenticated_refusal`).
When the cache is unreachable the request is allowed uncounted (humtrack.rate_limits): the API stays up.
"""

from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from humtrack.rate_limits import CACHE_UNREACHABLE, allowed_uncounted

from .permissions import request_token


class PartnerTokenThrottle(SimpleRateThrottle):
    """`partner` rate per token; staff sessions by user id; requests without either by client address."""

    scope = "partner"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_UNREACHABLE as error:
            return allowed_uncounted("partner_api", error)

    def get_rate(self):
        # Read at request time, so a changed setting (tests, override_settings) applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        # Not DRF's NUM_PROXIES guess: the address our own trusted proxies saw, or REMOTE_ADDR. (Imported
        # here: humtrack.security imports humtrack.api.exceptions, whose import of DRF's views imports this.)
        from humtrack.security import client_ip_address

        return client_ip_address(request) or "unknown"

    def get_cache_key(self, request, view):
        token = request_token(request)
        if token is not None:
            ident = f"token:{token.pk}"
        elif getattr(request.user, "is_authenticated", False):
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"humtrack:throttle:{self.scope}:{ident}"


def unauthenticated_refusal(request, view) -> exceptions.Throttled | None:
    """Count a request refused for want of a valid token against its address; past the rate, a 429.

    The same count as the address's anonymous requests that succeed (the schema): one budget per address.
    """
    throttle = PartnerTokenThrottle()
    if throttle.allow_request(request, view):
        return None
    return exceptions.Throttled(wait=throttle.wait())
