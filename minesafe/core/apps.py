from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "minesafe.core"
    label = "core"
    verbose_name = "Core"
