"""Registry services: validation through rules, scope, status transitions, atomicity, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from minesafe.accounts.models import Division
from minesafe.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.registry import services
from minesafe.registry.models import Enterprise, Mine, MineStatusChange
from minesafe.testing.factories import World, enterprise, mine, uscc_for

TODAY = dt.date(2026, 11, 23)


@pytest.mark.django_db
class TestEnterprise:
    def test_invalid_uscc_is_a_field_error(self, world: World) -> None:
        good = uscc_for("210323")
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        with pytest.raises(FieldErrors) as err:
            enterprise(world.county_leader, uscc=bad)
        assert "uscc" in err.value.errors
        assert not Enterprise.objects.filter(uscc=bad).exists()

    def test_uscc_is_normalised_and_unique(self, world: World) -> None:
        code = uscc_for("210323")
        ent = services.create_enterprise(actor=world.county_leader, data={
            "name": "甲", "uscc": f" {code.lower()} ", "division": Division.objects.get(code="210323")})
        assert ent.uscc == code
        with pytest.raises(FieldErrors) as err:
            services.create_enterprise(actor=world.county_leader, data={
                "name": "乙", "uscc": code, "division": Division.objects.get(code="210323")})
        assert "uscc" in err.value.errors

    def test_county_outside_jurisdiction(self, world: World) -> None:
        with pytest.raises(FieldErrors) as err:
            enterprise(world.county_leader, county="210902")
        assert "division" in err.value.errors

    def test_parent_cycle_is_refused(self, world: World) -> None:
        child = enterprise(world.county_leader, name="子公司", parent=world.ent_a)
        with pytest.raises(FieldErrors) as err:
            services.update_enterprise(actor=world.county_leader, enterprise=world.ent_a, data={"parent": child})
        assert "parent" in err.value.errors

    def test_enterprise_roles_cannot_edit(self, world: World) -> None:
        with pytest.raises(PermissionDenied):
            services.update_enterprise(actor=world.ent_principal, enterprise=world.ent_a, data={"phone": "1"})

    def test_out_of_scope_edit_is_not_found(self, world: World) -> None:
        with pytest.raises(NotFound):
            services.update_enterprise(actor=world.county_leader, enterprise=world.ent_b, data={"phone": "1"})

    def test_regulator_sees_enterprise_through_a_mine_in_its_county(self, world: World) -> None:
        mine(world.province_leader, world.ent_b, county="210323", name="乙在岫岩的矿")
        assert Enterprise.objects.visible_to(world.county_inspector).filter(pk=world.ent_b.pk).exists()
        assert not Enterprise.objects.visible_to(world.other_ent_principal).filter(pk=world.ent_a.pk).exists()


@pytest.mark.django_db
class TestMine:
    def test_sector_rules_are_field_errors(self, world: World) -> None:
        with pytest.raises(FieldErrors) as err:
            mine(world.county_leader, world.ent_a, name="缺瓦斯等级的煤矿", sector="coal")
        assert "gas_grade" in err.value.errors
        with pytest.raises(FieldErrors) as err:
            mine(world.county_leader, world.ent_a, name="露天矿", sector="metal_open_pit")
        assert "headcount_cap" in err.value.errors  # underground-only attribute on an open pit

    def test_tailings_pond_requires_its_attributes(self, world: World) -> None:
        with pytest.raises(FieldErrors) as err:
            mine(world.county_leader, world.ent_a, name="尾矿库", sector="tailings", headcount_cap=None,
                 production_levels=None)
        assert {"dam_height_m", "tailings_capacity", "tailings_grade"} <= set(err.value.errors)
        pond = mine(world.county_leader, world.ent_a, name="尾矿库", sector="tailings", headcount_cap=None,
                    production_levels=None, dam_height_m=Decimal("45.0"), tailings_capacity=Decimal("320.0"),
                    tailings_grade=4, downstream_population=True)
        assert pond.tailings_grade == 4

    def test_create_writes_history_and_audit(self, world: World) -> None:
        m = mine(world.county_leader, world.ent_a, name="新矿", status="construction")
        change = MineStatusChange.objects.get(mine=m)
        assert change.from_status == "" and change.to_status == "construction"
        assert AuditEntry.objects.filter(action="registry.mine.create", object_id=str(m.pk)).exists()

    def test_county_outside_scope(self, world: World) -> None:
        with pytest.raises(FieldErrors) as err:
            mine(world.county_leader, world.ent_a, county="210902", name="越界")
        assert "county" in err.value.errors

    def test_update_is_atomic(self, world: World) -> None:
        """A failure after the row write leaves neither the change nor an audit entry."""
        count = AuditEntry.objects.count()
        with mock.patch("minesafe.registry.services.audit.record", side_effect=RuntimeError("disk full")), \
                pytest.raises(RuntimeError):
            services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"headcount_cap": 10})
        world.mine_a.refresh_from_db()
        assert world.mine_a.headcount_cap == 60
        assert AuditEntry.objects.count() == count

    def test_unknown_field_is_rejected(self, world: World) -> None:
        with pytest.raises(FieldErrors) as err:
            services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"status": "closed"})
        assert "status" in err.value.errors


@pytest.mark.django_db
class TestStatus:
    def change(self, world: World, target: str, **kw):
        args = {"reason": "执法检查发现重大事故隐患", "document_no": "岫应急〔2026〕12号", "today": TODAY,
                "effective_date": TODAY, **kw}
        return services.change_mine_status(actor=world.county_leader, mine=world.mine_a, target=target, **args)

    def test_legal_path_with_history(self, world: World) -> None:
        self.change(world, "rectification")
        self.change(world, "production", reason="复产验收合格", document_no="岫应急复〔2026〕3号")
        self.change(world, "closed", reason="政策性关闭", document_no="岫政〔2026〕7号")
        states = list(MineStatusChange.objects.filter(mine=world.mine_a).order_by("id")
                      .values_list("from_status", "to_status"))
        assert states == [("", "production"), ("production", "rectification"), ("rectification", "production"),
                          ("production", "closed")]
        assert AuditEntry.objects.filter(action="registry.mine.status", object_id=str(world.mine_a.pk)).count() == 3

    def test_closed_is_terminal(self, world: World) -> None:
        self.change(world, "closed")
        with pytest.raises(FieldErrors) as err:
            self.change(world, "production")
        assert "target" in err.value.errors

    def test_document_and_reason_required(self, world: World) -> None:
        with pytest.raises(FieldErrors) as err:
            self.change(world, "rectification", reason="", document_no="")
        assert {"reason", "document_no"} <= set(err.value.errors)

    def test_production_needs_valid_licences(self, world: World) -> None:
        self.change(world, "rectification")
        Mine.objects.filter(pk=world.mine_a.pk).update(safety_licence_valid_until=TODAY - dt.timedelta(days=1))
        world.mine_a.refresh_from_db()
        with pytest.raises(FieldErrors):
            self.change(world, "production", reason="复产", document_no="复〔2026〕1号")
        assert Mine.objects.get(pk=world.mine_a.pk).status == "rectification"

    def test_concurrent_change_is_a_conflict(self, world: World) -> None:
        stale = Mine.objects.get(pk=world.mine_a.pk)
        self.change(world, "rectification")
        with pytest.raises(Conflict):
            services.change_mine_status(actor=world.county_leader, mine=stale, target="suspended", reason="x",
                                        document_no="", today=TODAY, effective_date=TODAY)
        assert Mine.objects.get(pk=world.mine_a.pk).status == "rectification"

    def test_enterprise_cannot_change_status(self, world: World) -> None:
        with pytest.raises(PermissionDenied):
            services.change_mine_status(actor=world.ent_principal, mine=world.mine_a, target="suspended",
                                        reason="x", today=TODAY)


@pytest.mark.django_db
def test_seen_through_a_mine_is_not_editable(world: World, client) -> None:
    """ent_b (阜新) owns a mine in 岫岩: the 岫岩 regulator sees it but may not rewrite it."""
    mine(world.province_leader, world.ent_b, county="210323", name="乙在岫岩的矿")
    assert Enterprise.objects.visible_to(world.county_leader).filter(pk=world.ent_b.pk).exists()
    with pytest.raises(PermissionDenied):
        services.update_enterprise(actor=world.county_leader, enterprise=world.ent_b,
                                   data={"name": "改名", "division": Division.objects.get(code="210323")})
    client.force_login(world.county_leader)
    assert client.get(f"/registry/enterprises/{world.ent_b.pk}/edit/").status_code == 403
    world.ent_b.refresh_from_db()
    assert world.ent_b.name == "阜新乙矿业有限公司" and world.ent_b.division_id == "210902"


@pytest.mark.django_db
def test_unchanged_out_of_scope_parent_does_not_block_edits(world: World) -> None:
    group = enterprise(world.province_leader, county="210902", name="阜新集团")
    child = enterprise(world.province_leader, county="210323", name="岫岩子公司", parent=group)
    updated = services.update_enterprise(actor=world.county_leader, enterprise=child, data={"phone": "0412-1234567"})
    assert updated.parent == group and updated.phone == "0412-1234567"


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [
    ("approved_capacity", Decimal("1E+12")), ("headcount_cap", 10**30), ("depth_m", Decimal("NaN")),
    ("name", "矿" * 201), ("mining_licence_no", "x" * 65),
])
def test_values_the_column_cannot_hold_are_field_errors(world: World, field: str, value: object) -> None:
    with pytest.raises(FieldErrors) as err:
        services.update_mine(actor=world.county_leader, mine=world.mine_a, data={field: value})
    assert field in err.value.errors
    world.mine_a.refresh_from_db()
    assert world.mine_a.name == "甲矿"


@pytest.mark.django_db
def test_identical_update_writes_no_audit_entry(world: World) -> None:
    services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"latitude": Decimal("40.5"),
                                                                              "longitude": Decimal("123.2")})
    count = AuditEntry.objects.count()
    services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"latitude": Decimal("40.500000"),
                                                                              "longitude": Decimal("123.2")})
    assert AuditEntry.objects.count() == count


@pytest.mark.django_db
def test_whole_numbers_for_decimal_fields_are_checked_not_crashed(world: World) -> None:
    mine = services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"depth_m": 300})
    assert mine.depth_m == Decimal("300.0")
    with pytest.raises(FieldErrors):
        services.update_mine(actor=world.county_leader, mine=world.mine_a, data={"depth_m": 10**9})
