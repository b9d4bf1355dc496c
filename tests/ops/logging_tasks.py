"""Tasks for tests/ops, imported by the workers those tests start (CELERY_INCLUDE)."""

import logging

from celery import shared_task

logger = logging.getLogger("humtrack.tests.logging")


@shared_task(name="tests.ops.log_marker")
def log_marker(marker: str) -> None:
    logger.info("logging task ran with %s", marker)


@shared_task(name="tests.ops.count_alert_sent")
def count_alert_sent() -> None:
    """What the alert pipeline does after the mail server accepted a message."""
    from humtrack.ops import metrics

    metrics.alerts_sent.inc()
