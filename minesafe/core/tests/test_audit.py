"""The audit log: written by services, append-only, hash-chained, tampering detected."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from minesafe.core import audit
from minesafe.core.models import AppendOnlyError, AuditChainHead, AuditEntry
from minesafe.registry import services
from minesafe.testing.factories import World


def _table() -> str:
    return connection.ops.quote_name(AuditEntry._meta.db_table)


@pytest.mark.django_db
def test_services_write_chained_entries(world: World) -> None:
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) >= 4  # two enterprises, two mines from the persona world
    assert entries[0].prev_hash == audit.GENESIS_HASH
    for prev, entry in itertools.pairwise(entries):
        assert entry.prev_hash == prev.hash
    mine_create = AuditEntry.objects.get(action="registry.mine.create", object_id=str(world.mine_a.pk))
    assert mine_create.actor == world.province_leader
    assert mine_create.after["name"] == "甲矿"
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_update_records_before_and_after_with_request_id(world: World) -> None:
    services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"headcount_cap": 45},
                         request_id="req-12345678")
    entry = AuditEntry.objects.filter(action="registry.mine.update").latest("id")
    assert entry.before["headcount_cap"] == 60
    assert entry.after["headcount_cap"] == 45
    assert entry.request_id == "req-12345678"
    assert entry.changes["headcount_cap"] == (60, 45)


@pytest.mark.django_db
def test_entries_are_append_only(world: World) -> None:
    entry = AuditEntry.objects.first()
    entry.message = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(world: World) -> None:
    with pytest.raises(RuntimeError):
        audit.record(actor=None, action="x", object_type="t")


@pytest.mark.django_db(transaction=True)
def test_failed_service_leaves_no_audit_entry(world: World) -> None:
    count = AuditEntry.objects.count()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"headcount_cap": 10})
        raise RuntimeError("fail after the write")
    assert AuditEntry.objects.count() == count
    world.mine_a.refresh_from_db()
    assert world.mine_a.headcount_cap == 60


@pytest.mark.django_db
def test_raw_sql_edit_is_detected_at_the_first_broken_link(world: World) -> None:
    entries = list(AuditEntry.objects.order_by("id"))
    target = entries[1]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET message = %s WHERE id = %s", ["tampered", target.id])
    result = audit.verify_chain()
    assert not result.ok
    assert result.first_break.entry_id == target.id
    assert result.checked == 1
    with pytest.raises(CommandError, match=f"entry #{target.id}"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_rehashed_edit_breaks_the_next_link(world: World) -> None:
    """An attacker who recomputes the edited row's hash still breaks the following entry's link."""
    entries = list(AuditEntry.objects.order_by("id"))
    target = entries[1]
    target.after = {"forged": True}
    new_hash = audit.compute_hash(target)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET after = %s, hash = %s WHERE id = %s",
                       ['{"forged": true}', new_hash, target.id])
    result = audit.verify_chain()
    assert result.first_break.entry_id == entries[2].id


@pytest.mark.django_db
def test_deleted_rows_are_detected(world: World) -> None:
    last = AuditEntry.objects.order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE id = %s", [last.id])
    result = audit.verify_chain()
    assert not result.ok
    assert result.first_break.entry_id is None  # tail deletion: only the head knows
    middle = AuditEntry.objects.order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE id = %s", [middle.id])
    assert audit.verify_chain().first_break.entry_id is not None


@pytest.mark.django_db
def test_audit_verify_command_reports_intact_chain(world: World) -> None:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert f"{AuditChainHead.objects.get().count} entries verified" in out.getvalue()


@pytest.mark.django_db
def test_audit_pages_for_the_audit_admin_only(world: World, client) -> None:
    client.force_login(world.audit_admin)
    assert "甲矿" in client.get("/accounts/audit/").content.decode()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET actor_repr = 'x' WHERE id = (SELECT MIN(id) FROM {_table()})")
    page = client.get("/accounts/audit/verify/").content.decode()
    assert f'id="broken-entry">#{AuditEntry.objects.order_by("id").first().id}<' in page


@pytest.mark.django_db
def test_entries_appended_during_verification_are_not_a_false_alarm(world: World, monkeypatch) -> None:
    """verify_chain checks the entries the head counted when it started; later appends are not breaks."""
    original = audit._entries

    def entries_with_a_concurrent_writer(limit: int, batch: int = 2000):
        for i, entry in enumerate(original(limit, batch)):
            if i == 1:
                with transaction.atomic():
                    audit.record(actor=None, action="concurrent", object_type="t")
            yield entry

    monkeypatch.setattr(audit, "_entries", entries_with_a_concurrent_writer)
    result = audit.verify_chain()
    assert result.ok, result.first_break
    monkeypatch.setattr(audit, "_entries", original)
    assert audit.verify_chain().ok


def test_sqlite_writers_take_the_lock_up_front() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
