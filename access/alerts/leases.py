"""A claim's lease, renewed while its worker sends: a killed worker's deliveries wait about a lease, no more.

A worker claims deliveries for ALERTS_LEASE_SECONDS (sending.py). While it sends them, a thread of its
own renews the claim every third of the lease (a heartbeat) on a database connection of its own, so a
batch that takes longer than the lease — a slow relay, a stalled answer — is never taken by another live
worker. A worker killed stops beating with it: within one lease its unsent deliveries are claimable
again, and the sweep (every ALERTS_SWEEP_EVERY_SECONDS) hands them to another worker.

The heartbeat is a thread rather than a step between two messages because one SMTP answer can take
longer than a lease; a thread keeps beating while the sending thread waits. It stops when the batch ends
or the task's hard time limit kills the process.
"""

import logging
import threading
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone

from access.models import AlertDelivery

from .choices import DeliveryStatus

logger = logging.getLogger(__name__)


def renew_alert_claim(token: uuid.UUID) -> int:
    """Extend the claim on the deliveries `token` still holds and has not finished; how many it holds."""
    return AlertDelivery.objects.filter(claim_token=token, status=DeliveryStatus.SENDING).update(
        claimed_at=timezone.now()
    )


class Heartbeat:
    """Renews a claim every `interval` seconds (a third of the lease) until the `with` block ends.

    `renew` renews the claim of `token` (alert deliveries by default; webhook deliveries pass their own)."""

    def __init__(
        self, token: uuid.UUID, interval: float | None = None, renew: Callable[[uuid.UUID], int] | None = None
    ):
        self.token = token
        self.interval = interval if interval is not None else settings.ALERTS_LEASE_SECONDS / 3
        self._renew = renew or renew_alert_claim
        self.beats = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{token}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        # A renewal under way is a short UPDATE; not waiting for it would leave its connection open.
        self._thread.join(timeout=self.interval)

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    self._renew(self.token)
                    self.beats += 1
                except Exception:  # a missed beat is not fatal: the lease is three beats long
                    logger.warning("Could not renew the claim %s", self.token, exc_info=True)
        finally:
            db_connection.close()  # this thread's own connection
