from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    """Regions and their access: status, corridors, restrictions, outages, sources, alerts."""

    name = "access"
    verbose_name = "Access"

    def ready(self):
        from humtrack.ops.metrics import register_scrape_time_collector

        from .alerts.metrics import AlertDeliveryCollector
        from .roles import ensure_coordinators_group
        from .services.sync import connect_receivers

        # After every migrate, when permissions exist: the group follows the code.
        post_migrate.connect(ensure_coordinators_group, sender=self, dispatch_uid="access.coordinators_group")
        # Deletions and the changes they cause reach a partner syncing with `resume` (docs/api.md).
        connect_receivers()
        # humtrack_alert_deliveries{status=...} on /metrics: the kernel reads it, access defines it.
        register_scrape_time_collector(AlertDeliveryCollector())
