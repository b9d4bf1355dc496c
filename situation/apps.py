from django.apps import AppConfig


class SituationConfig(AppConfig):
    """The pages people read: the situation map, a region's details, a snapshot as of a date. No models:
    it reads access and needs (their selectors) and puts them together."""

    name = "situation"
    verbose_name = "Situation"
