from django.apps import AppConfig


class HumtrackConfig(AppConfig):
    """Shared pieces: partner organisations and their API tokens, history attribution."""

    name = "humtrack"
    verbose_name = "Partners and API tokens"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import history  # noqa: F401  (connects the history signal)
        from .api.authentication import FOUND_TOKENS
        from .models import ApiToken, Organisation

        # A token or its organisation changed: the web process's kept tokens are looked up again.
        for model in (ApiToken, Organisation):
            post_save.connect(FOUND_TOKENS.forget_all, sender=model, dispatch_uid=f"forget-tokens-{model.__name__}")
            post_delete.connect(FOUND_TOKENS.forget_all, sender=model, dispatch_uid=f"forget-tokens-d-{model.__name__}")
