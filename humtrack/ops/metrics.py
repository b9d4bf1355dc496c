"""humtrack's own Prometheus metrics, beside django-prometheus's requests, latencies and database ones.

Alert counters are incremented where alerts are sent (Celery worker processes): call
`alerts_sent.inc()` after the mail server accepted a message and `alerts_failed.inc()` when a send
attempt fails (or `record_alert_sent(channel=...)` / `record_alert_failed(...)` for another channel).
With several processes per host PROMETHEUS_MULTIPROC_DIR is set (deploy/ does), so that the counts
of every process are summed when /metrics (web) or the worker's metrics port is scraped.
"""

import logging
import os

from kombu.exceptions import ChannelError
from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

logger = logging.getLogger(__name__)

ALERTS_SENT = Counter("humtrack_alerts_sent", "Alert messages accepted by the mail server.", ["channel"])
ALERTS_FAILED = Counter("humtrack_alerts_failed", "Alert send attempts that failed.", ["channel"])
# Exposed as humtrack_alerts_sent_total{channel="email"} and humtrack_alerts_failed_total{channel="email"}.
alerts_sent = ALERTS_SENT.labels(channel="email")
alerts_failed = ALERTS_FAILED.labels(channel="email")
# SMTP connections lost while a message was offered (a relay closing connections, a timeout): each
# charges that one message an attempt and the worker reconnects.
alerts_connections_lost = Counter(
    "humtrack_alerts_smtp_connections_lost", "SMTP connections lost while an alert was being offered."
)

# Requests let through uncounted because the rate limits' cache was unreachable (humtrack/rate_limits.py).
# Exposed as humtrack_throttle_cache_errors_total{limit="partner_api"} and {limit="alerts_signup"}.
THROTTLE_CACHE_ERRORS = Counter(
    "humtrack_throttle_cache_errors",
    "Requests allowed without counting their rate limit because its cache was unreachable.",
    ["limit"],
)

# Queues named in settings.CELERY_TASK_QUEUES; read from the broker at scrape time.
QUEUE_NAMES = ("default", "alerts")


def record_alert_sent(channel: str = "email") -> None:
    ALERTS_SENT.labels(channel=channel).inc()


def record_alert_failed(channel: str = "email") -> None:
    ALERTS_FAILED.labels(channel=channel).inc()


def record_throttle_cache_error(limit: str) -> None:
    THROTTLE_CACHE_ERRORS.labels(limit=limit).inc()


def queue_depth(name: str) -> int:
    """Messages waiting in a Celery queue (not the ones a worker has already taken)."""
    from humtrack.celery import BRIEF_TRANSPORT_OPTIONS, app

    # Brief timeouts: a frozen broker must not hold the scrape's web thread for as long as it is frozen.
    with app.connection_for_read(transport_options=BRIEF_TRANSPORT_OPTIONS) as connection:
        connection.ensure_connection(max_retries=1, timeout=3)
        channel = connection.default_channel
        try:
            # kombu-stubs type default_channel as the abstract StdChannel; the transport's Channel it is
            # (py-amqp's, or kombu's virtual one for Redis) has queue_declare.
            return channel.queue_declare(queue=name, passive=True).message_count  # type: ignore[attr-defined]
        except ChannelError:
            # Redis drops the key of an empty queue, and a queue never used does not exist yet.
            return 0


class QueueDepthCollector:
    """A gauge read from the broker on each scrape, so every web process reports the same number."""

    def describe(self):
        return []

    def collect(self):
        gauge = GaugeMetricFamily("humtrack_queue_depth", "Tasks waiting in a Celery queue.", labels=["queue"])
        for name in QUEUE_NAMES:
            try:
                gauge.add_metric([name], queue_depth(name))
            except Exception:  # A scrape must answer even when the broker does not; /readyz says why.
                logger.warning("Could not read the depth of queue %s", name, exc_info=True)
        yield gauge


def in_multiprocess_mode() -> bool:
    """Whether counts live in files shared by a server's processes. PROMETHEUS_MULTIPROC_DIR is
    prometheus_client's own variable, which it reads when first imported: read here from the process
    environment too, not from Django's settings, which may not be loaded yet (or at all)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _process_registry():
    if in_multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


# Read at scrape time, once per scrape whatever the number of processes: outside the multiprocess files.
_scrape_time_registry = CollectorRegistry()
_scrape_time_registry.register(QueueDepthCollector())
_scrape_time_collectors: set[str] = set()


def register_scrape_time_collector(collector) -> None:
    """Add a collector read on every scrape (a count in the database, say), outside the multiprocess files.

    The kernel knows no domain app: an app registers its own gauges from its AppConfig.ready
    (access registers the alert deliveries'). Registering the same collector class twice is a no-op, so a
    second ready() (a test re-populating the app registry) does not make the registry refuse a duplicate.
    """
    key = f"{type(collector).__module__}.{type(collector).__qualname__}"
    if key in _scrape_time_collectors:
        return
    _scrape_time_registry.register(collector)
    _scrape_time_collectors.add(key)


def exposition() -> bytes:
    """The Prometheus text format: this process's (or every process's) metrics, then the ones read at
    scrape time (queue depths, and what the apps registered: alert deliveries)."""
    return generate_latest(_process_registry()) + generate_latest(_scrape_time_registry)
