"""The demo register (``manage.py demo_tipoffs``): every stage present, deadlines as of "today"."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division, User
from minesafe.core.audit import verify_chain
from minesafe.hazards.models import Hazard
from minesafe.registry.demo import COUNTY_CODE, build_demo
from minesafe.tipoffs.demo import build_tipoffs_demo, tipoffs_demo_blocker
from minesafe.tipoffs.models import Tipoff

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def registry_demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_divisions(Division)
    return build_demo(mines=40, today=TODAY)


def test_demo_covers_the_loop(registry_demo) -> None:
    counts = build_tipoffs_demo(today=TODAY)
    assert counts["total"] == Tipoff.objects.count() > 60
    statuses = set(Tipoff.objects.values_list("status", flat=True))
    assert statuses == {"received", "accepted", "declined", "verifying", "verified", "answered", "reward_decided",
                        "closed", "merged"}
    overdue = Tipoff.objects.overdue(TODAY)
    assert overdue.filter(status="received").exists() and overdue.filter(status="verifying").exists()
    assert Tipoff.objects.filter(reward_paid_on__isnull=False, reward_amount__gte=3000).exists()
    assert Hazard.objects.filter(source="tip_off", tipoffs__isnull=False).exists()
    assert Tipoff.objects.filter(mine__isnull=True).exists()
    county_leader = User.objects.get(username="county_leader")
    assert Tipoff.objects.visible_to(county_leader).filter(division_id=COUNTY_CODE).count() >= 60
    assert not Tipoff.objects.visible_to(User.objects.get(username="ent_principal")).exists()
    # the timeline follows the backdated steps: nothing happened after "today" or before receipt
    for t in Tipoff.objects.filter(status="closed")[:10]:
        days = [e.at.date() for e in t.events.all()]
        assert min(days) == t.received_at.date() and max(days) <= TODAY
    assert verify_chain().ok
    assert tipoffs_demo_blocker() == "tip-offs already exist"


def test_demo_command_if_empty(registry_demo, settings) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_tipoffs", "--if-empty", stdout=out)
    assert "Demo tip-offs built" in out.getvalue()
    out = StringIO()
    call_command("demo_tipoffs", "--if-empty", stdout=out)
    assert "not built" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo_tipoffs", stdout=StringIO())
