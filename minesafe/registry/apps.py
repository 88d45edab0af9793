from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "minesafe.registry"
    label = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        from minesafe.accounts.permissions import require
        from minesafe.core.jobs import register_importer
        from minesafe.registry.io import import_mines
        from minesafe.registry.models import MINE_IMPORT_KIND

        register_importer(MINE_IMPORT_KIND, label=_("Mines"), permission="registry.import", require=require,
                          run=import_mines, detail_url_name="registry:mine_import_job")
