"""Factories and named personas for tests (healthchecks-style): each persona proves a boundary.

Divisions come from the data migration, so tests use real codes:
岫岩满族自治县 210323 ⊂ 鞍山市 2103 ⊂ 辽宁省 21; the neighbour is 阜新市 海州区 210902.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from minesafe.accounts.choices import OrgKind, Role
from minesafe.accounts.models import Division, Organisation, User
from minesafe.registry import services as registry_services
from minesafe.registry.models import Enterprise, Mine
from minesafe.rules.uscc import make_uscc

PASSWORD = "Persona#2024x"  # noqa: S105 — test-only
COUNTY = "210323"
CITY = "2103"
PROVINCE = "21"
OTHER_COUNTY = "210902"

_org_seq = iter(range(10_000_000, 99_999_999))


def uscc_for(division6: str) -> str:
    """A valid, unique 统一社会信用代码 registered in ``division6``."""
    from minesafe.rules.uscc import org_code_check_char

    first8 = f"{next(_org_seq):08d}"
    return make_uscc("9", "1", division6, first8 + org_code_check_char(first8))


def regulator(code: str, name: str = "") -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        kind=OrgKind.REGULATOR, division_id=code, defaults={"name": name or f"应急管理局 {code}"}
    )
    return org


def user(username: str, role: str, org: Organisation | None) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, organisation=org)


def enterprise(actor: User, *, county: str = COUNTY, name: str = "测试矿业有限公司", **extra: Any) -> Enterprise:
    data = {"name": name, "uscc": uscc_for(county), "division": Division.objects.get(code=county), **extra}
    return registry_services.create_enterprise(actor=actor, data=data)


def mine(actor: User, ent: Enterprise, *, county: str = COUNTY, name: str = "测试金属矿", status: str = "production",
         **extra: Any) -> Mine:
    far = dt.date.today() + dt.timedelta(days=800)
    data = {
        "name": name, "enterprise": ent, "county": Division.objects.get(code=county), "sector": "metal_underground",
        "scale": "small", "approved_capacity": Decimal("9.00"), "headcount_cap": 60, "production_levels": 2,
        "mining_licence_no": "C2103002010127120012345", "mining_licence_valid_until": far,
        "safety_licence_no": "(辽)FM安许证字[2023]0001", "safety_licence_valid_until": far,
        **extra,
    }
    return registry_services.create_mine(actor=actor, data=data, status=status)


def link_enterprise_org(ent: Enterprise) -> Organisation:
    org = Organisation.objects.create(kind=OrgKind.ENTERPRISE, name=ent.name)
    Enterprise.objects.filter(pk=ent.pk).update(organisation=org)
    ent.refresh_from_db()
    return org


@dataclass
class World:
    """Personas and objects on both sides of every scoping boundary."""

    province_inspector: User
    province_leader: User
    city_inspector: User
    city_leader: User
    county_inspector: User
    county_leader: User
    other_county_inspector: User
    ent_principal: User
    ent_safety: User
    other_ent_principal: User
    sys_admin: User
    sec_admin: User
    audit_admin: User
    ent_a: Enterprise
    ent_b: Enterprise
    mine_a: Mine
    mine_b: Mine

    def roles(self) -> dict[str, User]:
        return {k: v for k, v in vars(self).items() if isinstance(v, User)}


def build_world() -> World:
    prov, city, county, other = regulator(PROVINCE), regulator(CITY), regulator(COUNTY), regulator(OTHER_COUNTY)
    platform = Organisation.objects.create(kind=OrgKind.PLATFORM, name="平台运维")
    province_leader = user("province_leader", Role.REG_LEADER, prov)
    ent_a = enterprise(province_leader, county=COUNTY, name="岫岩甲矿业有限公司")
    ent_b = enterprise(province_leader, county=OTHER_COUNTY, name="阜新乙矿业有限公司")
    mine_a = mine(province_leader, ent_a, county=COUNTY, name="甲矿")
    mine_b = mine(province_leader, ent_b, county=OTHER_COUNTY, name="乙矿")
    org_a, org_b = link_enterprise_org(ent_a), link_enterprise_org(ent_b)
    return World(
        province_inspector=user("province_inspector", Role.REG_INSPECTOR, prov),
        province_leader=province_leader,
        city_inspector=user("city_inspector", Role.REG_INSPECTOR, city),
        city_leader=user("city_leader", Role.REG_LEADER, city),
        county_inspector=user("county_inspector", Role.REG_INSPECTOR, county),
        county_leader=user("county_leader", Role.REG_LEADER, county),
        other_county_inspector=user("other_county_inspector", Role.REG_INSPECTOR, other),
        ent_principal=user("ent_principal", Role.ENT_PRINCIPAL, org_a),
        ent_safety=user("ent_safety", Role.ENT_SAFETY, org_a),
        other_ent_principal=user("other_ent_principal", Role.ENT_PRINCIPAL, org_b),
        sys_admin=user("sys_admin", Role.SYS_ADMIN, platform),
        sec_admin=user("sec_admin", Role.SEC_ADMIN, platform),
        audit_admin=user("audit_admin", Role.AUDIT_ADMIN, platform),
        ent_a=ent_a, ent_b=ent_b, mine_a=mine_a, mine_b=mine_b,
    )
