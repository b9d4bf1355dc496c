"""Prometheus metrics of a Celery worker: alerts are sent there, not in the web processes.

Imported by the worker with `--include humtrack.ops.worker_metrics` (deploy/entrypoint.sh and the
systemd unit do). With settings.WORKER_METRICS_PORT set, the worker's main process serves the counters
of all its pool processes (Prometheus multiprocess mode, PROMETHEUS_MULTIPROC_DIR) on that port, at
settings.WORKER_METRICS_ADDR.
"""

import logging
import os

from celery.signals import worker_process_shutdown, worker_ready
from django.conf import settings

# Declares the alert counters before the pool forks, so that a scrape shows them (at 0) from the start.
from humtrack.ops import metrics

logger = logging.getLogger(__name__)


@worker_ready.connect
def _serve_metrics(**kwargs):
    port = settings.WORKER_METRICS_PORT
    if not port:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    if metrics.in_multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:  # a solo or threaded pool: one process holds every count
        from prometheus_client import REGISTRY as registry
    start_http_server(port, addr=settings.WORKER_METRICS_ADDR, registry=registry)
    logger.info("Worker metrics served on port %s", port)


@worker_process_shutdown.connect
def _forget_dead_process(pid=None, **kwargs):
    if metrics.in_multiprocess_mode():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
