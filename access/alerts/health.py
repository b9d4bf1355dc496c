"""Is the mail relay taking alerts? What /readyz and the admin tell when alerts wait on it (issue 15).

A relay that is down does not fail readiness: the web processes serve, the alerts wait in the database
and are retried for ALERTS_RETRY_FOR_SECONDS (sending.py). It makes the service *degraded*: /readyz
answers 200 with the warning in its body, and the admin's alert pages warn coordinators.
"""

import dataclasses
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from health_check import HealthCheck
from health_check.exceptions import ServiceWarning

from access.models import AlertDelivery

from .choices import DeliveryStatus


@dataclasses.dataclass(frozen=True)
class RelayBacklog:
    waiting: int  # alerts waiting for a retry after a failure of the relay or a 4xx answer
    oldest_since: datetime | None  # when the oldest of them was written

    @property
    def degraded(self) -> bool:
        return self.waiting > 0


def relay_backlog(now: datetime | None = None) -> RelayBacklog:
    """Alerts older than ALERTS_RELAY_DEGRADED_AFTER_SECONDS that wait for a retry (a failed or never
    offered message). Follow-ups and digests that are merely not due yet have no error and do not count."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.ALERTS_RELAY_DEGRADED_AFTER_SECONDS)
    waiting = AlertDelivery.objects.filter(
        Q(status=DeliveryStatus.FAILED_TEMPORARY) | Q(status=DeliveryStatus.BATCHED) & ~Q(last_error=""),
        created_at__lt=before,
    ).aggregate(waiting=Count("pk"), oldest=Min("created_at"))
    return RelayBacklog(waiting["waiting"], waiting["oldest"])


@dataclasses.dataclass
class AlertRelay(HealthCheck):
    """/readyz: "degraded" (a warning, not a failure) while alerts wait on the mail relay."""

    async def run(self):
        # On the request's own thread and connection (thread_sensitive), like any view's query: a check
        # run in the library's executor would open a connection per executor thread that nothing
        # closes, and would not see the request's transaction (SQLite's shared-cache test database
        # answers "table is locked" there).
        backlog = await sync_to_async(relay_backlog, thread_sensitive=True)()
        if backlog.degraded:
            since = f"{backlog.oldest_since:%Y-%m-%dT%H:%MZ}"
            raise ServiceWarning(f"degraded: {backlog.waiting} alert(s) waiting on the mail relay since {since}")
