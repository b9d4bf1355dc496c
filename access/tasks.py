"""Celery finds an app's tasks in its tasks.py: the alert pipeline's live in access/alerts/tasks.py."""

from access.alerts.tasks import (  # noqa: F401
    fan_out_event,
    notify_coordinators_of_pause,
    send_batch_email,
    send_delivery_batch,
    send_due_digests,
    send_staleness_notices,
    sweep_unfinished,
)
