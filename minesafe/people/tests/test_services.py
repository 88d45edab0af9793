"""People services: permission, validation, encryption, audit, atomicity and stored findings."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection

from minesafe.core.errors import FieldErrors, NotFound, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.people import crypto, services
from minesafe.people.models import Finding, MineCheck, Person, Post
from minesafe.people.tests.helpers import make_id, person, post

pytestmark = pytest.mark.django_db


def test_create_person_encrypts_the_id_and_masks_it(world) -> None:
    number = make_id(seq=7)
    p = person(world.ent_principal, id_number=number.lower() if number.endswith("X") else number)
    assert p.id_masked == number[:6] + "********" + number[-4:]
    assert p.id_cipher and number not in p.id_cipher
    assert crypto.decrypt_id(p.id_cipher) == number
    assert p.id_index == crypto.blind_index(number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [p.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert number not in raw and number[6:14] + number[14:] not in raw
    entry = AuditEntry.objects.get(action="people.person.create", object_id=str(p.pk))
    assert number not in str(entry.after) and "id_cipher" not in entry.after and "id_index" not in entry.after


def test_ciphertexts_differ_but_the_blind_index_matches(world) -> None:
    number = make_id()
    assert crypto.encrypt_id(number) != crypto.encrypt_id(number)
    assert crypto.blind_index(number) == crypto.blind_index(number) != crypto.blind_index(make_id())


def test_wrong_key_cannot_decrypt(world, settings) -> None:
    p = person(world.ent_principal)
    settings.PERSON_ID_KEY = "another-key-of-at-least-thirty-two-characters"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_id(p.id_cipher)


_GOOD = make_id(seq=5)
_BAD_CHECK = _GOOD[:17] + ("0" if _GOOD[17] != "0" else "1")


@pytest.mark.parametrize("bad", ["", "12345", "21032319800101123A", _BAD_CHECK, "990323198001011235"])
def test_bad_id_numbers_are_field_errors(world, bad) -> None:
    with pytest.raises(FieldErrors) as exc:
        person(world.ent_principal, id_number=bad)
    assert "id_number" in exc.value.errors
    assert not Person.objects.exists()


def test_duplicate_id_on_the_same_roster_is_refused(world) -> None:
    number = make_id()
    person(world.ent_principal, id_number=number)
    with pytest.raises(FieldErrors) as exc:
        person(world.ent_safety, id_number=number, name="李四")
    assert "id_number" in exc.value.errors
    # another enterprise may employ the same person: found through the blind index
    other = person(world.other_ent_principal, id_number=number)
    from minesafe.people.queries import duplicate_count

    assert duplicate_count(other) == 1


def test_regulators_and_admins_cannot_manage_rosters(world) -> None:
    for actor in (world.county_inspector, world.province_leader, world.sys_admin):
        with pytest.raises(PermissionDenied):
            person(actor)


def test_enterprise_cannot_post_to_another_enterprises_mine(world) -> None:
    p = person(world.ent_principal)
    with pytest.raises(FieldErrors) as exc:
        post(world.ent_principal, p, world.mine_b)
    assert "mine" in exc.value.errors
    other = person(world.other_ent_principal)
    with pytest.raises(NotFound):
        post(world.ent_principal, other, world.mine_a)


def test_post_validation(world) -> None:
    p = person(world.ent_principal)
    with pytest.raises(FieldErrors) as exc:
        post(world.ent_principal, p, world.mine_a, kind="emperor", end_date=dt.date(2019, 1, 1),
             also_holds=["nope"], certificate_issued=dt.date(2024, 1, 1), certificate_expires=dt.date(2023, 1, 1))
    assert {"kind", "end_date", "also_holds", "certificate_expires"} <= set(exc.value.errors)
    assert not Post.objects.exists()


def test_roster_change_recomputes_findings(world) -> None:
    manager = person(world.ent_principal, name="王矿长", years_experience=8)
    post(world.ent_principal, manager, world.mine_a, kind="mine_manager")
    check = MineCheck.objects.get(mine=world.mine_a, is_current=True)
    rules = set(Finding.objects.filter(mine=world.mine_a).values_list("rule_id", flat=True))
    assert "people.five_posts.experience" in rules
    assert "people.staffing.missing" in rules
    assert "people.training.untrained" in rules
    assert "people.drill.none" in rules
    assert check.halt_count > 0 and check.employees == 1 and check.trained == 0
    experience = Finding.objects.get(mine=world.mine_a, rule_id="people.five_posts.experience")
    assert experience.person_id == manager.pk and experience.post.kind == "mine_manager"
    assert experience.citation.startswith("seed-004")
    # more experience: the finding goes, a new snapshot replaces the old one
    services.update_person(actor=world.ent_principal, person=manager, data={"years_experience": 10})
    assert not Finding.objects.filter(mine=world.mine_a, rule_id="people.five_posts.experience").exists()
    assert MineCheck.objects.filter(mine=world.mine_a).count() == 2  # one per roster change
    assert MineCheck.objects.filter(mine=world.mine_a, is_current=True).count() == 1


def test_training_and_drill_clear_their_findings(world) -> None:
    worker = person(world.ent_principal)
    post(world.ent_principal, worker, world.mine_a)
    today = dt.date.today()
    services.record_training(actor=world.ent_safety, mine=world.mine_a, attendees=[worker],
                             data={"date": today, "kind": "all_staff", "title": "全员安全培训"})
    services.record_training(actor=world.ent_safety, mine=world.mine_a, attendees=[worker],
                             data={"date": today, "kind": "drill", "title": "紧急撤离演练"})
    rules = set(Finding.objects.filter(mine=world.mine_a).values_list("rule_id", flat=True))
    assert "people.training.untrained" not in rules and "people.drill.none" not in rules
    check = MineCheck.objects.get(mine=world.mine_a, is_current=True)
    assert check.training_rate == 100 and check.last_drill == today


def test_training_validation_and_foreign_attendees(world) -> None:
    foreign = person(world.other_ent_principal)
    with pytest.raises(FieldErrors) as exc:
        services.record_training(actor=world.ent_safety, mine=world.mine_a, attendees=[foreign],
                                 data={"date": dt.date.today(), "kind": "all_staff", "title": "培训"})
    assert "attendees" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        services.record_training(actor=world.ent_safety, mine=world.mine_a,
                                 data={"date": dt.date.today() + dt.timedelta(days=3), "kind": "x", "title": ""})
    assert {"date", "kind", "title"} <= set(exc.value.errors)


def test_reveal_needs_the_permission_and_is_audited(world) -> None:
    number = make_id()
    p = person(world.ent_safety, id_number=number)
    post(world.ent_safety, p, world.mine_a)
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(actor=world.ent_safety, person=p)
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(actor=world.county_leader, person=p)
    with pytest.raises(NotFound):
        services.reveal_id_number(actor=world.other_county_inspector, person=p)
    assert services.reveal_id_number(actor=world.ent_principal, person=p, reason="办理保险") == number
    assert services.reveal_id_number(actor=world.county_inspector, person=p) == number
    entries = AuditEntry.objects.filter(action="people.person.reveal_id", object_id=str(p.pk))
    assert entries.count() == 2
    assert all(number not in str(e.after) for e in entries)


def test_a_failure_after_the_first_write_leaves_nothing(world) -> None:
    p = person(world.ent_principal)
    audits = AuditEntry.objects.count()
    with mock.patch("minesafe.people.services.recompute_mine", side_effect=RuntimeError("boom")), \
            pytest.raises(RuntimeError):
        post(world.ent_principal, p, world.mine_a)
    assert not Post.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_update_person_keeps_the_id_when_blank_and_audits_a_change(world) -> None:
    number = make_id()
    p = person(world.ent_principal, id_number=number)
    services.update_person(actor=world.ent_principal, person=p, data={"id_number": "", "major": "安全工程"})
    p.refresh_from_db()
    assert crypto.decrypt_id(p.id_cipher) == number and p.major == "安全工程"
    new = make_id()
    services.update_person(actor=world.ent_principal, person=p, data={"id_number": new})
    p.refresh_from_db()
    assert crypto.decrypt_id(p.id_cipher) == new
    entry = AuditEntry.objects.filter(action="people.person.update").last()
    assert entry.after.get("id_number_changed") is True and new not in str(entry.after)


def test_closed_or_unreported_mines_have_no_findings(world) -> None:
    check = services.recompute_mine(world.mine_b)
    assert check.findings_count == 0 and not Finding.objects.filter(mine=world.mine_b).exists()


def test_recompute_all_and_recheck(world) -> None:
    p = person(world.ent_principal)
    post(world.ent_principal, p, world.mine_a)
    result = services.recompute_all()
    assert result["mines"] == 2 and result["findings"] > 0
    assert AuditEntry.objects.filter(action="people.check.all").exists()
    with pytest.raises(NotFound):
        services.recheck_mine(actor=world.other_county_inspector, mine=world.mine_a)
    services.recheck_mine(actor=world.county_inspector, mine=world.mine_a)
    assert AuditEntry.objects.filter(action="people.check.mine").exists()
