"""Celery finds an app's tasks in its tasks.py; the alert pipeline's live in access/alerts/tasks.py, which
Celery imports itself (CELERY_IMPORTS in the settings), so that nothing else imports a tasks module."""

from celery import shared_task

from access.services.sync import touch_facts_whose_time_came as touch_due_facts


# Beat, every SYNC_TOUCH_EVERY_SECONDS. Idempotent and cheap: a lost or doubled run changes nothing
# the next one does not, so no acks_late; the limits keep a stuck run from piling up behind beat.
@shared_task(name="access.touch_facts_whose_time_came", ignore_result=True, soft_time_limit=50, time_limit=60)
def touch_facts_whose_time_came() -> dict[str, int]:
    """Touch the restrictions and outages whose start or end came, and their regions, so a sync sees it."""
    return touch_due_facts()
