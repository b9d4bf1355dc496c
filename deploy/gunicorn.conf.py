"""gunicorn configuration for humtrack's web processes (container, VM and the scale-out test alike).

Everything can be tuned from the environment (deploy/.env.example documents each): HOST, PORT,
WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS, LOG_LEVEL,
PROMETHEUS_MULTIPROC_DIR. Read with os.environ: gunicorn loads this file before Django's settings.
"""

import os
import shutil
import tempfile

# Prometheus multiprocess mode: every worker writes its counters to files in this folder and a scrape
# of /metrics, answered by any one worker, sums them. prometheus_client picks its storage when it is
# first imported, so the variable is set here, in the master, before any worker imports Django.
PROMETHEUS_MULTIPROC_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "humtrack-prometheus")
)

bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104  (inside a container or behind nginx)
# Threaded workers (gthread): a request waiting on PostgreSQL (a status change held by a lock or a
# slow disk) holds one thread, not the whole process, so reads keep being answered beside it. With
# sync workers, as many slow writes as a server has workers queued every read behind them
# (tests/integration/test_scale_out.py shows both). Requests are database-bound, so threads share
# the GIL well; everything a request touches is per thread (Django's connections, translation and
# time zone) or per context (the request id) or locked (prometheus_client).
# Each thread keeps its own PostgreSQL connection (CONN_MAX_AGE): a server holds up to
# WEB_CONCURRENCY x GUNICORN_THREADS of them (docs/deploy.md, "Database connections").
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Under gthread the worker's main loop, not the request threads, tells the master it is alive: this
# restarts a worker that stopped (deadlocked, stuck in C code), never a merely slow request. A slow
# request is bounded by the proxy's timeout (nginx: proxy_read_timeout) for the client.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): bounds slow leaks.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory, not on the container's overlay filesystem (gunicorn's own advice).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# nginx or the ingress sets X-Forwarded-*; Django trusts only X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
wsgi_app = "humtrack.wsgi:application"
# gunicorn's runtime control socket lives in $HOME, which is read-only in the container and shared by
# two servers on one VM; scaling is the orchestrator's job.
control_socket_disable = True

# One JSON object per line on stdout, like the application's own logs. No access log here:
# django-prometheus counts requests and the proxy keeps the access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    # Replaces gunicorn's default root logger, whose "console" handler this dict drops; Django's own
    # LOGGING takes the root logger over when the application loads.
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server):
    # Counts left by a previous run would be added to this one's.
    shutil.rmtree(PROMETHEUS_MULTIPROC_DIR, ignore_errors=True)
    os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's gauges ("livesum"/"liveall") must stop counting; its counters are kept.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
