"""Rate limits counted in the shared cache (Redis in production) fail open when that cache is unreachable.

A rate limit protects the service from one client; it must not take the service down for everyone when
Redis is down or frozen. The partner API's throttle (humtrack.api.throttling) and the "get alerts" page's
limits (access.alerts.views) let such a request through uncounted, with a WARNING and a count in
`humtrack_throttle_cache_errors_total{limit=...}`; /readyz still reports the cache down. The settings give
the Redis cache short socket timeouts, so a frozen Redis costs a request a quarter of a second, not the
freeze.
"""

import logging

from redis.exceptions import RedisError

from humtrack.ops import metrics

logger = logging.getLogger(__name__)

# What Django's Redis cache raises when Redis is down (refused, reset) or does not answer in time: redis-py's
# ConnectionError and TimeoutError are RedisErrors; a socket error can surface as itself.
CACHE_UNREACHABLE = (RedisError, OSError)


def allowed_uncounted(limit: str, error: BaseException) -> bool:
    """Record that `limit` was not counted for this request because the cache failed; True: allow it."""
    # The error's class only: its text may name the cache's address, and a key would name a token or address.
    logger.warning("Rate limit %s not counted, request allowed: cache unreachable (%s)", limit, type(error).__name__)
    metrics.record_throttle_cache_error(limit)
    return True
