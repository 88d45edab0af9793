"""The demo jurisdiction (``registry.demo.build_demo``, ``manage.py demo`` / ``demo_logins``)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from minesafe.accounts.choices import Role
from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division, User
from minesafe.core.audit import verify_chain
from minesafe.core.models import AuditEntry
from minesafe.registry.demo import (
    CITY_CODE,
    COUNTY_CODE,
    DEMO_ENTERPRISE,
    DEMO_PASSWORD,
    DEMO_URL,
    DEMO_USERS,
    OTHER_COUNTY_CODE,
    build_demo,
)
from minesafe.registry.models import Enterprise, Mine, MineStatusChange
from minesafe.rules import check_mine_attributes, check_password_policy, tailings_grade, validate_uscc
from minesafe.rules.mine_attributes import MineFacts

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _setup(settings):
    # Fast hashing (12 users per build); and transactional tests elsewhere flush the migrated
    # divisions, so reload them (idempotent).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_divisions(Division)


@pytest.fixture
def demo():
    return build_demo(mines=40, today=TODAY)


def user(username: str) -> User:
    return User.objects.select_related("organisation").get(username=username)


def visible_counties(username: str) -> set[str]:
    return set(Mine.objects.visible_to(user(username)).values_list("county_id", flat=True))


def test_every_role_has_a_demo_user(demo):
    for role in Role:
        assert User.objects.filter(role=role).exists(), role
    for username, role, org_name in DEMO_USERS:
        u = user(username)
        assert (u.role, u.organisation.name) == (role, org_name)
        assert u.display_name
        assert u.check_password(DEMO_PASSWORD)
        assert check_password_policy(DEMO_PASSWORD, username=username).ok
    assert demo["users"] == len(DEMO_USERS)


def test_counts_match_the_database(demo):
    assert demo["mines"] == Mine.objects.count() == 40
    assert demo["enterprises"] == Enterprise.objects.count()
    assert demo["groups"] == Enterprise.objects.filter(subsidiaries__isnull=False).distinct().count() > 0
    assert demo["county_mines"] == Mine.objects.filter(county_id=COUNTY_CODE).count() > 0
    assert demo["status_history_rows"] == MineStatusChange.objects.count() == 40 + demo["status_changes"]


def test_regulators_see_their_own_jurisdiction(demo):
    total = Mine.objects.count()
    county = Mine.objects.visible_to(user("county_inspector"))
    assert county.exists()
    assert visible_counties("county_inspector") == {COUNTY_CODE}
    assert set(county) == set(Mine.objects.visible_to(user("county_leader")))

    city = set(Mine.objects.visible_to(user("city_inspector")))
    assert set(county) <= city
    assert all(c.startswith(CITY_CODE) for c in visible_counties("city_inspector"))
    assert len(city) > county.count()  # 海城市 and 千山区 host mines too

    for username in ("province_inspector", "province_leader"):
        assert Mine.objects.visible_to(user(username)).count() == total

    other = Mine.objects.visible_to(user("other_county_inspector"))
    assert other.exists()
    assert visible_counties("other_county_inspector") == {OTHER_COUNTY_CODE}
    assert not set(other) & set(county)


def test_enterprise_users_see_only_their_enterprise(demo):
    enterprise = Enterprise.objects.get(name=DEMO_ENTERPRISE)
    assert enterprise.division_id == COUNTY_CODE and enterprise.parent is not None
    own = set(enterprise.mines.all())
    assert len(own) >= 2
    assert demo["demo_enterprise_mines"] == len(own)
    for username in ("ent_principal", "ent_safety"):
        u = user(username)
        assert u.organisation == enterprise.organisation
        assert set(Mine.objects.visible_to(u)) == own
        assert list(Enterprise.objects.visible_to(u)) == [enterprise]


def test_admins_see_no_business_data(demo):
    for username in ("sys_admin", "sec_admin", "audit_admin"):
        assert not Mine.objects.visible_to(user(username)).exists()
        assert not Enterprise.objects.visible_to(user(username)).exists()


def test_data_passes_the_rules(demo):
    usccs = list(Enterprise.objects.values_list("uscc", flat=True))
    assert len(set(usccs)) == len(usccs)
    for code in usccs:
        assert validate_uscc(code).ok, code
    for enterprise in Enterprise.objects.all():
        assert enterprise.uscc[2:8] == enterprise.division_id
        assert enterprise.actual_controller and enterprise.legal_representative
    for mine in Mine.objects.all():
        facts = MineFacts(**{name: getattr(mine, name) for name in MineFacts.__dataclass_fields__})
        verdict = check_mine_attributes(facts)
        assert verdict.ok, (mine.name, [r.message for r in verdict.reasons])
        assert mine.county_id.startswith("21")
        assert 38.7 <= float(mine.latitude) <= 43.5 and 118.8 <= float(mine.longitude) <= 125.8
        if mine.sector == "tailings":
            assert mine.tailings_grade == tailings_grade(mine.dam_height_m, mine.tailings_capacity)
            assert not mine.mining_licence_no
        if mine.sector in ("coal", "metal_underground"):
            assert mine.headcount_cap and mine.production_levels
        if mine.status == "construction":
            assert mine.safety_licence_valid_until is None
    assert len(set(Mine.objects.values_list("name", flat=True))) == Mine.objects.count()


def test_every_write_is_audited_and_the_chain_verifies(demo):
    result = verify_chain()
    assert result.ok, result.first_break
    assert AuditEntry.objects.filter(action="registry.mine.create").count() == Mine.objects.count()
    assert AuditEntry.objects.filter(action="registry.enterprise.create").count() == Enterprise.objects.count()
    assert AuditEntry.objects.filter(action="registry.mine.status").count() == demo["status_changes"]
    assert AuditEntry.objects.filter(action="accounts.user.create").count() == len(DEMO_USERS)
    assert AuditEntry.objects.filter(action="registry.enterprise.link_organisation").count() == 1
    leader = user("province_leader")
    assert not AuditEntry.objects.filter(action__startswith="registry.mine").exclude(actor=leader).exists()


def test_same_seed_same_data():
    def snapshot() -> list[tuple]:
        return list(Mine.objects.order_by("name").values_list(
            "name", "enterprise__name", "enterprise__uscc", "county_id", "sector", "status", "scale",
            "approved_capacity", "latitude", "longitude", "safety_licence_valid_until", "tailings_grade",
        ))

    class Rollback(Exception):
        pass

    runs = []
    for _ in range(2):
        with pytest.raises(Rollback), transaction.atomic():
            build_demo(seed=7, mines=25, today=TODAY)
            runs.append(snapshot())
            raise Rollback
    assert runs[0] == runs[1] and len(runs[0]) == 25
    assert not Mine.objects.exists()


def test_full_size_build_is_realistic():
    counts = build_demo(today=TODAY)
    assert counts["mines"] == 300
    assert 60 <= counts["enterprises"] <= 90
    assert counts["county_mines"] >= 40
    assert set(counts["by_sector"]) == {"coal", "metal_underground", "metal_open_pit", "tailings"}
    assert set(counts["by_status"]) == {"production", "construction", "rectification", "suspended", "closed"}
    assert counts["by_status"]["production"] > counts["mines"] / 2
    assert {"expired", "expiring", "valid", "missing"} <= set(counts["safety_licences"])
    assert counts["with_boundary"] > 0
    coal_counties = set(Mine.objects.filter(sector="coal").values_list("county_id", flat=True))
    assert any(c.startswith("2109") for c in coal_counties)  # 阜新
    assert verify_chain().ok


def test_demo_command_and_if_empty(settings):
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo", "--mines", "20", stdout=StringIO())  # tests run with DEBUG off
    assert Mine.objects.count() == 0
    settings.DEBUG = True
    out = StringIO()
    call_command("demo", "--mines", "20", "--seed", "3", stdout=out)
    assert "Demo built" in out.getvalue()
    assert Mine.objects.count() == 20

    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "already exist" in out.getvalue()
    assert Mine.objects.count() == 20
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())

    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert DEMO_URL in text and DEMO_PASSWORD in text
    for username, _role, org_name in DEMO_USERS:
        assert username in text and org_name in text


def test_demo_logins_without_demo_users():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "manage.py demo" in out.getvalue()
