from django.apps import AppConfig


class HumtrackConfig(AppConfig):
    """Shared pieces: partner organisations and their API tokens, history attribution."""

    name = "humtrack"
    verbose_name = "Partners and API tokens"

    def ready(self):
        from . import history  # noqa: F401  (connects the history signal)
