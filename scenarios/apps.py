from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    """The Panjshir 2021 demo scenario and its loader (`manage.py load_demo`). No models: it writes
    through the access and needs services, as a coordinator would."""

    name = "scenarios"
    verbose_name = "Demo scenarios"
