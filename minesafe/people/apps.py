from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "minesafe.people"
    label = "people"
    verbose_name = _("People and qualifications")

    def ready(self) -> None:
        from minesafe.accounts.permissions import require
        from minesafe.core.jobs import register_importer
        from minesafe.people import io

        register_importer(io.ROSTER_IMPORT_KIND, label=_("Roster (persons and posts)"), permission="people.import",
                          require=require, run=io.import_roster, detail_url_name="people:import_job")
        register_importer(io.TRAINING_IMPORT_KIND, label=_("Training attendance"), permission="people.import",
                          require=require, run=io.import_training, detail_url_name="people:import_job")
