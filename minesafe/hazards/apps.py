from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "minesafe.hazards"
    label = "hazards"
    verbose_name = "Hazards"

    def ready(self) -> None:
        from minesafe.accounts.permissions import require
        from minesafe.core.jobs import register_importer
        from minesafe.hazards import io

        register_importer(io.SELF_CHECK_IMPORT_KIND, label=_("Hazard self-check lists"), permission="hazards.import",
                          require=require, run=io.import_self_check, detail_url_name="hazards:import_job")

        from minesafe.registry.signals import mine_county_changed

        # The per-county hazard counters follow a mine that moves county (hazards.tally).
        mine_county_changed.connect(_move_tally, dispatch_uid="hazards.tally.move_mine")


def _move_tally(sender: object, *, mine_id: int, old_county: str, new_county: str, **kwargs: object) -> None:
    from minesafe.hazards import tally

    tally.move_mine(mine_id, old_county, new_county)
