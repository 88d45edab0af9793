"""The demo rosters (``manage.py demo_people``), ``people_check`` and the PERSON_ID_KEY setting."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division, User
from minesafe.core.audit import verify_chain
from minesafe.people.demo import build_people_demo, people_demo_blocker
from minesafe.people.models import Finding, MineCheck, Person
from minesafe.registry.demo import build_demo

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def registry_demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_divisions(Division)
    return build_demo(mines=40, today=TODAY)


def test_demo_has_every_deliberate_violation(registry_demo) -> None:
    counts = build_people_demo(today=TODAY)
    assert set(counts["violations"]) == {"manager_8_years", "dispatched_underground", "expired_certificate",
                                         "missing_section", "untrained_intern", "late_drill"}
    rules = set(Finding.objects.values_list("rule_id", flat=True))
    assert {"people.five_posts.experience", "people.employment.dispatched_underground", "people.certificate.expired",
            "people.staffing.missing", "people.training.untrained", "people.drill.overdue"} <= rules
    assert counts["mines_to_halt"] >= 1
    assert MineCheck.objects.filter(is_current=False).exists()  # history for the trend
    ent_principal = User.objects.get(username="ent_principal")
    seen = set(Finding.objects.visible_to(ent_principal).values_list("rule_id", flat=True))
    assert "people.five_posts.experience" in seen
    assert verify_chain().ok
    assert people_demo_blocker().endswith("persons already exist")


def test_demo_command_if_empty_and_people_check(registry_demo, settings) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_people", "--if-empty", stdout=out)
    assert "violation" in out.getvalue() and Person.objects.exists()
    out = StringIO()
    call_command("demo_people", "--if-empty", stdout=out)
    assert "not built" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo_people", stdout=StringIO())
    out = StringIO()
    call_command("people_check", "--date", "2026-03-02", stdout=out)
    assert "Checked" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("people_check", "--date", "tomorrow")


def test_demo_refuses_without_debug(db, settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_people", stdout=StringIO())


@pytest.mark.parametrize("extra,expected", [({}, "PERSON_ID_KEY"), ({"PERSON_ID_KEY": "short"}, "32 characters")])
def test_production_settings_need_a_person_id_key(extra, expected) -> None:
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "SECRET_KEY": "x" * 50, **extra}
    result = subprocess.run([sys.executable, "-c", "import minesafe.settings"], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert expected in result.stderr
