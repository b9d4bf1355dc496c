"""The alert pipeline's own gauge on /metrics, read at scrape time; registered with the kernel's scrape-time
registry (humtrack.ops.metrics.register_scrape_time_collector) from AccessConfig.ready."""

import logging

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from access.alerts.choices import DeliveryStatus
from access.alerts.models import AlertDelivery

logger = logging.getLogger(__name__)


class AlertDeliveryCollector:
    """Alert deliveries per status, counted in the database at scrape time.

    The counters in humtrack.ops.metrics count sends as the worker processes see them (served on each worker's metrics
    port); this gauge is the pipeline's own record, the same from every web process, and survives
    restarts. `humtrack_alert_deliveries{status="failed_permanent"}` rising is worth an alert.
    """

    def describe(self):
        return []

    def collect(self):
        gauge = GaugeMetricFamily("humtrack_alert_deliveries", "Alert deliveries by status.", labels=["status"])
        try:
            counted = dict(AlertDelivery.objects.values_list("status").annotate(n=Count("id")).order_by())
            for status in DeliveryStatus.values:
                gauge.add_metric([status], counted.get(status, 0))
        except Exception:  # A scrape must answer even when the database does not; /readyz says why.
            logger.warning("Could not count alert deliveries", exc_info=True)
        yield gauge
