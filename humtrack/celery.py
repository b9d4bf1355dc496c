"""The Celery app. Configured from Django settings (CELERY_*); tasks live in each app's tasks.py."""

import os

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.base")

# For a broker connection something waits on (a request publishing on commit, /readyz, a /metrics
# scrape): a frozen Redis accepts connections and never answers, so short connect and socket timeouts
# and no retry of the connect. Not in CELERY_BROKER_TRANSPORT_OPTIONS: those also configure the workers'
# consuming connections (BRPOP, pub/sub), which wait on the broker on purpose. kombu reads max_retries
# when it connects (Connection.default_channel); its Redis transport hands the timeouts to redis-py.
BRIEF_WAIT_SECONDS = 0.5
BRIEF_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BRIEF_WAIT_SECONDS,
    "socket_timeout": BRIEF_WAIT_SECONDS,
    "max_retries": 0,
}

app = Celery("humtrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs):
    """Workers and beat log like the web processes (settings.LOGGING: JSON lines with the request
    id in production) instead of Celery's own format; connecting here stops Celery's setup."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    from humtrack.request_id import request_id_var

    if headers is not None:
        headers.setdefault("request_id", request_id_var.get())


_task_tokens = {}


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(task=None, **kwargs):
    """Each task begins and ends as Django begins and ends a request: a connection is kept for CONN_MAX_AGE
    seconds (production: 60, as docs/deploy.md says), and one that broke or was left in a transaction
    is closed. Celery's fixup closed them all after every task (settings.CELERY_DB_REUSE_MAX turns that
    off): each batch of a fan-out opened a new PostgreSQL connection, a backend started and its caches
    filled again. A fan-out to 5,000 cost PostgreSQL 2.0-2.5 s of CPU that way, 1.5-1.7 s with its
    connections kept (bench/alerts.py)."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in the caller's process, inside its transaction (tests): its connection is not ours
    from django.db import close_old_connections

    close_old_connections()


@task_prerun.connect
def _restore_request_id(task_id=None, task=None, **kwargs):
    from humtrack.request_id import request_id_var

    request_id = getattr(task.request, "request_id", None) or "-"
    _task_tokens[task_id] = request_id_var.set(request_id)


@task_postrun.connect
def _clear_request_id(task_id=None, **kwargs):
    from humtrack.request_id import request_id_var

    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
