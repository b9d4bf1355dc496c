"""Rate limits per partner token, counted in Django's cache (Redis via CACHE_URL in production).

With locmem (a laptop) each process counts on its own; with Redis every web process shares the count.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import request_token


class PartnerTokenThrottle(SimpleRateThrottle):
    """`partner` rate per token; staff sessions by user id; unauthenticated requests by address."""

    scope = "partner"

    def get_rate(self):
        # Read at request time, so a changed setting (tests, override_settings) applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        token = request_token(request)
        if token is not None:
            ident = f"token:{token.pk}"
        elif getattr(request.user, "is_authenticated", False):
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"humtrack:throttle:{self.scope}:{ident}"
