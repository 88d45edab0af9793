"""Load the national province → city → county table (国家统计局 2023 codes) shipped with the app."""

from django.db import migrations


def load(apps, schema_editor):
    from minesafe.accounts.divisions import load_divisions

    load_divisions(apps.get_model("accounts", "Division"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
