from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "minesafe.hazards"
    label = "hazards"
    verbose_name = "Hazards"
