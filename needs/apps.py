from django.apps import AppConfig


class NeedsConfig(AppConfig):
    """People in need, targeted and reached, per region, sector and period."""

    name = "needs"
    verbose_name = "Needs"

    def ready(self):
        from humtrack.deletions import track_deletions

        from .models import NeedFigure

        # A figure deleted (in the admin) reaches a partner syncing needs (GET /api/v1/deletions/).
        track_deletions(NeedFigure, resource="needs")
