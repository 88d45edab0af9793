from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TipoffsConfig(AppConfig):
    name = "minesafe.tipoffs"
    label = "tipoffs"
    verbose_name = _("Public tip-offs")

    def ready(self) -> None:
        from minesafe.tipoffs import links

        links.register()
