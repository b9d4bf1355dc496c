from django.apps import AppConfig


class NeedsConfig(AppConfig):
    """People in need, targeted and reached, per region, sector and period."""

    name = "needs"
    verbose_name = "Needs"
