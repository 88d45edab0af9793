from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "minesafe.registry"
    label = "registry"
    verbose_name = "Registry"
