"""Copy the registry's MineImport rows into core.ImportJob (kind "registry.mines"), keeping their ids
so links to old runs still open; 0004 then drops the registry table."""

from django.core.management.color import no_style
from django.db import migrations

KIND = "registry.mines"
FIELDS = ("id", "actor_id", "request_id", "filename", "content", "status", "total_rows", "processed_rows",
          "created_count", "updated_count", "errors", "failure", "created_at", "started_at", "finished_at")


def _reset_sequence(schema_editor, model) -> None:
    # Rows were inserted with explicit ids: move PostgreSQL's sequence past them (no-op on SQLite).
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def _copy(model, rows) -> None:
    # created_at is auto_now_add, which every insert (bulk_create too) overwrites with "now": put the
    # upload times back afterwards.
    uploaded = {row.id: row.created_at for row in rows}
    model.objects.bulk_create(rows, batch_size=500)
    for pk, created_at in uploaded.items():
        model.objects.filter(pk=pk).update(created_at=created_at)


def forwards(apps, schema_editor) -> None:
    old = apps.get_model("registry", "MineImport")
    new = apps.get_model("core", "ImportJob")
    rows = [new(kind=KIND, **{f: getattr(o, f) for f in FIELDS}) for o in old.objects.order_by("id").iterator()]
    _copy(new, rows)
    if rows:
        _reset_sequence(schema_editor, new)


def backwards(apps, schema_editor) -> None:
    old = apps.get_model("registry", "MineImport")
    new = apps.get_model("core", "ImportJob")
    rows = [old(**{f: getattr(o, f) for f in FIELDS}) for o in new.objects.filter(kind=KIND).order_by("id").iterator()]
    _copy(old, rows)
    new.objects.filter(kind=KIND).delete()
    if rows:
        _reset_sequence(schema_editor, old)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_mine_import"),
        ("core", "0003_import_job"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
