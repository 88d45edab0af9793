"""The demo hazard ledger (``hazards.demo.build_hazard_demo``, ``manage.py demo_hazards``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division, User
from minesafe.core.audit import verify_chain
from minesafe.core.models import AuditEntry
from minesafe.hazards.demo import _Builder, build_hazard_demo, hazard_demo_blocker
from minesafe.hazards.models import Evidence, Extension, Hazard, HazardEvent, Listing, RuleDecision, SelfInspection
from minesafe.registry.demo import COUNTY_CODE, DEMO_ENTERPRISE, build_demo
from minesafe.rules import hazards as rules
from minesafe.rules.hazard_standards import find_category, standard_for

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 1)
SOURCES = {"self_check", "inspection", "tip_off", "monitoring"}


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path  # the close-out evidence files
    load_divisions(Division)


@pytest.fixture
def registry_demo():
    return build_demo(mines=60, today=TODAY)


@pytest.fixture
def demo(registry_demo):
    return build_hazard_demo(hazards=200, today=TODAY)


def test_small_build_has_every_state_and_a_verified_audit_chain(demo) -> None:
    hazards = Hazard.objects.all()
    assert demo["hazards"] == hazards.count() == 200
    statuses = Counter(hazards.values_list("status", flat=True))
    assert set(statuses) == {"registered", "rectifying", "awaiting_verification", "closed"}
    assert statuses["closed"] > hazards.count() / 2  # most old ones are closed
    assert demo["by_status"] == dict(statuses)
    assert set(hazards.values_list("source", flat=True)) <= SOURCES
    assert hazards.filter(source="self_check").count() > hazards.filter(source="inspection").count() > 0
    assert demo["overdue"] == hazards.overdue(TODAY).count() > 0
    assert demo["listed"] == hazards.filter(listed=True).count() > 0
    assert Listing.objects.exists() and Extension.objects.exists()
    assert demo["self_inspections"] == SelfInspection.objects.count() > 0
    assert demo["missing_self_inspections"] > 0
    result = verify_chain()
    assert result.ok, result.first_break
    # every lifecycle step was audited through the services
    actions = Counter(AuditEntry.objects.filter(action__startswith="hazards.").values_list("action", flat=True))
    assert actions["hazards.hazard.register"] == 200
    assert actions["hazards.hazard.verify_closure"] == statuses["closed"]
    assert actions["hazards.self_inspection.record"] == demo["self_inspections"]


def test_hazards_follow_the_standard_in_force_and_the_rules(demo) -> None:
    start = TODAY - dt.timedelta(days=3 * 366)
    for h in Hazard.objects.select_related("mine"):
        assert start <= h.found_on <= TODAY
        standard, category = find_category(h.category_code)
        assert standard.code == h.standard_code == standard_for(h.mine.sector, h.found_on).code
        assert h.item_code.startswith(category.code + ".")
        if h.status != "registered":
            assert all((h.responsible_person, h.measures, h.contingency_plan, h.deadline, h.original_deadline))
            assert h.funds_yuan is not None and h.deadline >= h.original_deadline
        if h.status == "closed":
            assert h.closed_on is not None and h.verification_method in ("on_site", "document")
            assert h.evidence.filter(purpose="rectification").exists()
            assert not h.listings.filter(lifted_on__isnull=True).exists()
        assert h.listed == h.listings.filter(lifted_on__isnull=True).exists()
    # every closed-out hazard left an evidence file in storage
    assert Evidence.objects.count() >= Hazard.objects.filter(status="closed").count()


def test_timeline_is_dated_like_the_ledger_and_actors_fit(demo) -> None:
    """Timeline rows carry the simulated day and no time lies in the future; the demo enterprise's
    principal takes the enterprise's steps at its 岫岩 mines."""
    now = timezone.now()
    for time in HazardEvent.objects.values_list("time", flat=True):
        assert dt.date(2022, 1, 1) <= time.date() and time <= now
    for h in Hazard.objects.all():
        registered = h.events.get(kind="registered")
        assert timezone.localtime(registered.time).date() >= h.found_on
        assert timezone.localtime(h.created_at).date() == timezone.localtime(registered.time).date()
        if h.closed_on:
            closed = h.events.filter(kind="status", to_status="closed").get()
            assert timezone.localtime(closed.time).date() == h.closed_on
    for d in RuleDecision.objects.exclude(rule="escalation_suggestion"):
        assert timezone.localtime(d.decided_at).date() <= TODAY
    # the demo enterprise's principal acts for its 岫岩 mines, regulators for the rest
    principal = User.objects.get(username="ent_principal")
    mine_ids = set(Hazard.objects.filter(mine__enterprise__organisation__name=DEMO_ENTERPRISE,
                                         mine__county_id=COUNTY_CODE).values_list("mine_id", flat=True))
    assert mine_ids, "the seed should put hazards on the demo enterprise's mines"
    own = Hazard.objects.filter(mine_id__in=mine_ids)
    registrars = set(own.filter(source="self_check").values_list("registered_by__username", flat=True))
    assert registrars <= {principal.username}
    assert AuditEntry.objects.filter(actor=principal, action__startswith="hazards.").exists()
    # regulators act elsewhere
    others = Hazard.objects.exclude(mine_id__in=mine_ids)
    assert not others.filter(registered_by=principal).exists()


def test_closure_proposals_and_repeat_offences_are_the_exception(registry_demo) -> None:
    counts = build_hazard_demo(hazards=300, today=TODAY)
    producing = Hazard.objects.filter(mine__status="production").values("mine").distinct().count()
    assert 0 < counts["closure_proposal_mines"] <= max(3, producing // 5)
    assert counts["repeat_offence_mines"] > 0
    assert counts["closure_proposal_mines"] == RuleDecision.objects.filter(
        code="propose_closure").values("mine").distinct().count()
    # monthly self-inspections: each period at most once, organised within its period
    for sector, period, organised in SelfInspection.objects.values_list("mine__sector", "period", "organised_on"):
        assert rules.period_key(sector, organised) == period


def test_plan_is_deterministic(registry_demo) -> None:
    def plan(seed: int) -> list[tuple]:
        builder = _Builder(seed=seed, hazards=150, today=TODAY, stdout=None)
        infos = builder.mine_infos()
        builder.allocate(infos)
        return [(i.mine.pk, i.count, i.cluster, i.repeat, tuple(builder.finding_dates(i))) for i in infos]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_blockers_and_command(registry_demo, settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_hazards", "--hazards", "5", stdout=StringIO())
    out = StringIO()
    call_command("demo_hazards", "--hazards", "30", "--allow-without-debug", stdout=out)
    assert "30 hazards" in out.getvalue()
    assert Hazard.objects.count() == 30
    assert hazard_demo_blocker() == "30 hazards already exist"
    out = StringIO()
    call_command("demo_hazards", "--if-empty", "--allow-without-debug", stdout=out)
    assert "not built" in out.getvalue() and Hazard.objects.count() == 30
    with pytest.raises(CommandError, match="already exist"):
        call_command("demo_hazards", "--allow-without-debug", stdout=StringIO())


def test_needs_the_registry_demo(settings) -> None:
    settings.DEBUG = True
    assert "registry demo" in hazard_demo_blocker()
    out = StringIO()
    call_command("demo_hazards", "--if-empty", stdout=out)  # make run on a database without the demo
    assert "not built" in out.getvalue()
    with pytest.raises(CommandError, match="registry demo"):
        call_command("demo_hazards", stdout=StringIO())
    with pytest.raises(RuntimeError):
        build_hazard_demo(hazards=5, today=TODAY)
