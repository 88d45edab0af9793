"""Alarm handling services (minesafe.monitoring.alarms): permission, scope, validation, audit, and
the 瓦斯超限作业 / 明停暗开 confirmation into the hazard ledger; the read side (active alarms, map
levels) and the propagation of alarms to county, city and province (scoping).
"""

from __future__ import annotations

import datetime as dt

import pytest

from minesafe.core.errors import FieldErrors, NotFound, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.hazards.models import Hazard
from minesafe.monitoring import alarms as services
from minesafe.monitoring.models import Alarm, AlarmComment, FalsificationFlag, Sensor
from minesafe.registry.models import Mine
from minesafe.testing import factories
from minesafe.testing.factories import World

UTC = dt.UTC
STARTED = dt.datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
TODAY = dt.date(2026, 11, 23)


def make_sensor(mine: Mine, code: str = "A01", kind: str = "ch4", **extra: object) -> Sensor:
    return Sensor.objects.create(mine=mine, code=code, kind=kind, location="coal_face", place="1201 回采工作面",
                                 **extra)


def make_alarm(mine: Mine, kind: str = "high", *, sensor: Sensor | None = None, ended: bool = False,
               **extra: object) -> Alarm:
    if sensor is None and kind not in ("over_headcount", "hidden_operation", "comm_loss"):
        sensor = Sensor.objects.filter(mine=mine, code="A01").first() or make_sensor(mine)
    return Alarm.objects.create(mine=mine, sensor=sensor, kind=kind, severity=extra.pop("severity", 2),
                                started_at=STARTED, ended_at=STARTED + dt.timedelta(minutes=5) if ended else None,
                                peak_value=1.8, last_value=1.6, threshold=1.5, **extra)


def audit_actions(alarm: Alarm | FalsificationFlag) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(alarm.pk), object_type=alarm._meta.label_lower)
                .order_by("id").values_list("action", flat=True))


def coal_mine(world: World) -> Mine:
    return factories.mine(world.province_leader, world.ent_a, name="甲煤矿", sector="coal", gas_grade="high",
                         hydrogeology="medium", spontaneous_combustion="prone")


# --- scoping ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_alarms_propagate_to_county_city_and_province(world: World) -> None:
    a, b = make_alarm(world.mine_a), make_alarm(world.mine_b)
    sees = {name: set(Alarm.objects.visible_to(user).values_list("pk", flat=True))
            for name, user in world.roles().items()}
    assert sees["county_inspector"] == sees["county_leader"] == {a.pk}
    assert sees["city_inspector"] == sees["city_leader"] == {a.pk}
    assert sees["province_inspector"] == sees["province_leader"] == {a.pk, b.pk}
    assert sees["other_county_inspector"] == {b.pk}
    assert sees["ent_principal"] == sees["ent_safety"] == {a.pk}
    assert sees["other_ent_principal"] == {b.pk}
    assert sees["sys_admin"] == sees["sec_admin"] == sees["audit_admin"] == set()
    assert {x.pk for x in services.active_alarms(world.city_leader)} == {a.pk}
    assert list(services.active_alarms(world.audit_admin)) == []


@pytest.mark.django_db
def test_active_alarms_and_map_levels(world: World) -> None:
    high = make_alarm(world.mine_a, "high", severity=2)
    make_alarm(world.mine_a, "power_cut", severity=3, ended=True)  # ended: not active
    make_alarm(world.mine_b, "stale", severity=1)
    loss = make_alarm(world.mine_b, "comm_loss", severity=2)
    cleared = make_alarm(world.mine_b, "hidden_operation", severity=3)
    Alarm.objects.filter(pk=cleared.pk).update(cleared_at=STARTED, cleared_by=world.province_leader)
    active = list(services.active_alarms(world.province_leader))
    assert [x.kind for x in active] == ["comm_loss", "high", "stale"]  # most severe first
    assert services.mine_alarm_levels(world.province_leader) == {world.mine_a.pk: 2, world.mine_b.pk: 2}
    assert services.mine_alarm_levels(world.county_inspector) == {world.mine_a.pk: 2}
    # A stale alarm suppressed by an open comm_loss does not count on its own.
    Alarm.objects.filter(kind="stale").update(inhibited_by=loss, severity=3)
    assert services.mine_alarm_levels(world.province_leader)[world.mine_b.pk] == 2
    Alarm.objects.filter(pk=loss.pk).update(ended_at=STARTED + dt.timedelta(hours=1))
    assert services.mine_alarm_levels(world.province_leader)[world.mine_b.pk] == 3
    assert high in active


# --- acknowledge -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_acknowledge(world: World) -> None:
    alarm = make_alarm(world.mine_a)
    with pytest.raises(PermissionDenied):
        services.acknowledge(actor=world.sys_admin, alarm=alarm)
    with pytest.raises(NotFound):
        services.acknowledge(actor=world.other_county_inspector, alarm=alarm)
    with pytest.raises(NotFound):
        services.acknowledge(actor=world.other_ent_principal, alarm=alarm)
    with pytest.raises(FieldErrors) as too_long:
        services.acknowledge(actor=world.ent_safety, alarm=alarm, note="x" * 2001)
    assert "note" in too_long.value.errors
    done = services.acknowledge(actor=world.ent_safety, alarm=alarm, note="已通知跟班队长撤人")
    assert (done.acknowledged_by, done.acknowledged_at is not None) == (world.ent_safety, True)
    assert list(AlarmComment.objects.filter(alarm=alarm).values_list("author__username", "text")) == [
        ("ent_safety", "已通知跟班队长撤人")]
    assert audit_actions(alarm) == ["monitoring.alarm.acknowledge"]
    entry = AuditEntry.objects.get(action="monitoring.alarm.acknowledge")
    assert (entry.before["acknowledged_by"], entry.after["acknowledged_by"]) == (None, world.ent_safety.pk)
    with pytest.raises(FieldErrors):  # acknowledged once
        services.acknowledge(actor=world.county_inspector, alarm=alarm)


# --- assign ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assign(world: World) -> None:
    alarm = make_alarm(world.mine_a)
    for wrong in (world.other_county_inspector, world.other_ent_principal, world.sys_admin):
        with pytest.raises(FieldErrors) as exc:
            services.assign(actor=world.county_leader, alarm=alarm, assignee=wrong)
        assert "assignee" in exc.value.errors
    world.ent_safety.is_active = False
    world.ent_safety.save()
    with pytest.raises(FieldErrors):
        services.assign(actor=world.county_leader, alarm=alarm, assignee=world.ent_safety)
    with pytest.raises(NotFound):
        services.assign(actor=world.other_county_inspector, alarm=alarm, assignee=world.county_inspector)
    done = services.assign(actor=world.county_leader, alarm=alarm, assignee=world.ent_principal)
    assert done.assigned_to == world.ent_principal
    # The province above the county may take it over.
    done = services.assign(actor=world.ent_principal, alarm=alarm, assignee=world.province_inspector)
    assert Alarm.objects.get(pk=alarm.pk).assigned_to == world.province_inspector
    with pytest.raises(FieldErrors):  # already assigned to that person
        services.assign(actor=world.county_leader, alarm=alarm, assignee=world.province_inspector)
    assert audit_actions(alarm) == ["monitoring.alarm.assign", "monitoring.alarm.assign"]
    last = AuditEntry.objects.filter(action="monitoring.alarm.assign").order_by("-id").first()
    assert (last.before["assigned_to"], last.after["assigned_to"]) == (world.ent_principal.pk,
                                                                       world.province_inspector.pk)


# --- clear -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_clear_only_ended_or_signal_loss_alarms(world: World) -> None:
    active = make_alarm(world.mine_a, "high")
    with pytest.raises(FieldErrors) as exc:
        services.clear(actor=world.county_inspector, alarm=active, note="已处理")
    assert "__all__" in exc.value.errors
    ended = make_alarm(world.mine_a, "power_cut", ended=True)
    with pytest.raises(FieldErrors) as exc:
        services.clear(actor=world.county_inspector, alarm=ended, note="  ")
    assert "note" in exc.value.errors
    with pytest.raises(PermissionDenied):
        services.clear(actor=world.audit_admin, alarm=ended, note="已处理")
    done = services.clear(actor=world.ent_principal, alarm=ended, note="局部通风机恢复，瓦斯浓度降至0.3%")
    assert (done.cleared_by, done.cleared_at is not None) == (world.ent_principal, True)
    assert AlarmComment.objects.get(alarm=ended).text == "局部通风机恢复，瓦斯浓度降至0.3%"
    with pytest.raises(FieldErrors):  # cleared once
        services.clear(actor=world.county_inspector, alarm=ended, note="again")
    with pytest.raises(FieldErrors):  # a cleared alarm is no longer acknowledged or assigned
        services.acknowledge(actor=world.county_inspector, alarm=ended)
    # A sensor taken out of service: its no-data alarm may be cleared while still open; it stays
    # open (the episode ends with data) but leaves the active list.
    stale = make_alarm(world.mine_a, "stale", severity=1)
    services.clear(actor=world.county_inspector, alarm=stale, note="传感器已拆除送检")
    stale.refresh_from_db()
    assert stale.ended_at is None and stale.cleared_by == world.county_inspector
    assert stale not in services.active_alarms(world.county_inspector)
    assert audit_actions(ended) == ["monitoring.alarm.clear"]
    entry = AuditEntry.objects.filter(action="monitoring.alarm.clear").first()
    assert entry.message == "局部通风机恢复，瓦斯浓度降至0.3%"


# --- comment ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_comment(world: World) -> None:
    alarm = make_alarm(world.mine_b)
    with pytest.raises(FieldErrors) as exc:
        services.comment(actor=world.province_inspector, alarm=alarm, text="")
    assert "text" in exc.value.errors
    with pytest.raises(NotFound):
        services.comment(actor=world.ent_principal, alarm=alarm, text="看不到")
    with pytest.raises(PermissionDenied):
        services.comment(actor=world.sec_admin, alarm=alarm, text="无权")
    note = services.comment(actor=world.other_ent_principal, alarm=alarm, text="  已派瓦检员复查  ")
    assert (note.text, note.author, note.alarm_id) == ("已派瓦检员复查", world.other_ent_principal, alarm.pk)
    assert audit_actions(alarm) == ["monitoring.alarm.comment"]


# --- confirm into the hazard ledger ----------------------------------------------------------------


@pytest.mark.django_db
def test_confirm_gas_work_into_the_ledger(world: World) -> None:
    mine = coal_mine(world)
    alarm = make_alarm(mine, "gas_work", severity=3)
    defaults = services.hazard_defaults(alarm)
    # 2026: 煤矿安全生产条例 Art. 36(2) 瓦斯超限作业, item (2) (DOMAIN §2.2); source "monitoring".
    assert (defaults["category_code"], defaults["item_code"], defaults["source"]) == (
        "coal-2024.2", "coal-2024.2.2", "monitoring")
    assert defaults["found_on"] == dt.date(2026, 11, 20) and defaults["location"] == "1201 回采工作面"
    with pytest.raises(PermissionDenied):  # regulators only
        services.confirm_hazard(actor=world.ent_principal, alarm=alarm, data={}, today=TODAY)
    with pytest.raises(NotFound):
        services.confirm_hazard(actor=world.other_county_inspector, alarm=alarm, data={}, today=TODAY)
    hazard = services.confirm_hazard(actor=world.county_leader, alarm=alarm, data={"found_by": "县局监控中心"},
                                     today=TODAY)
    assert (hazard.source, hazard.category_code, hazard.item_code, hazard.mine_id, hazard.found_by) == (
        "monitoring", "coal-2024.2", "coal-2024.2.2", mine.pk, "县局监控中心")
    assert str(alarm.pk) in hazard.description and "1.8" in hazard.description
    assert Alarm.objects.get(pk=alarm.pk).hazard_id == hazard.pk
    assert "monitoring.alarm.confirm_hazard" in audit_actions(alarm)
    assert AuditEntry.objects.filter(action="hazards.hazard.register", object_id=str(hazard.pk)).exists()
    with pytest.raises(FieldErrors):  # once
        services.confirm_hazard(actor=world.province_leader, alarm=alarm, data={}, today=TODAY)
    assert Hazard.objects.count() == 1


@pytest.mark.django_db
def test_confirm_uses_the_standard_in_force_and_refuses_other_kinds(world: World) -> None:
    mine = coal_mine(world)
    old = make_alarm(mine, "gas_work", severity=3)
    Alarm.objects.filter(pk=old.pk).update(started_at=dt.datetime(2023, 6, 1, 2, 0, tzinfo=UTC))
    old.refresh_from_db()
    # Before 2024-05-01: 应急管理部令第4号 Art. 5 item (2) (DOMAIN §2.1).
    assert services.hazard_defaults(old)["category_code"] == "coal-2020.5"
    hazard = services.confirm_hazard(actor=world.city_inspector, alarm=old, data={}, today=TODAY)
    assert (hazard.category_code, hazard.item_code, hazard.standard_code) == ("coal-2020.5", "coal-2020.5.2",
                                                                              "coal-2020")
    for kind in ("high", "power_cut", "over_headcount", "stale", "comm_loss"):
        alarm = make_alarm(mine, kind, sensor=Sensor.objects.get(mine=mine) if kind in ("high", "power_cut") else None)
        with pytest.raises(FieldErrors):
            services.confirm_hazard(actor=world.county_leader, alarm=alarm, data={}, today=TODAY)
    assert Hazard.objects.count() == 1


@pytest.mark.django_db
def test_confirm_hidden_operation_of_a_metal_mine(world: World) -> None:
    alarm = make_alarm(world.mine_a, "hidden_operation", severity=3)
    defaults = services.hazard_defaults(alarm)
    assert (defaults["category_code"], defaults["item_code"], defaults["location"]) == (
        "metal-ug-2022.other", "", world.mine_a.name)
    hazard = services.confirm_hazard(
        actor=world.county_inspector, alarm=alarm, today=TODAY,
        data={"category_code": "metal-ug-2022.monitoring", "item_code": "metal-ug-2022.monitoring.2",
              "source": "self_check", "production_stop": "full"})
    # The source is always "monitoring"; the regulator's category choice wins over the proposal.
    assert (hazard.source, hazard.category_code, hazard.production_stop) == (
        "monitoring", "metal-ug-2022.monitoring", "full")
    # An invalid override is refused by the ledger and leaves the alarm unlinked.
    other = make_alarm(world.mine_a, "gas_work", severity=3)
    with pytest.raises(FieldErrors) as exc:
        services.confirm_hazard(actor=world.county_inspector, alarm=other, data={"category_code": "coal-2024.2"},
                                today=TODAY)
    assert "category_code" in exc.value.errors
    assert Alarm.objects.get(pk=other.pk).hazard_id is None


# --- falsification flags ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_decide_flag(world: World) -> None:
    sensor = make_sensor(world.mine_a)
    flag = FalsificationFlag.objects.create(
        mine=world.mine_a, sensor=sensor, pattern="flat_line", window_start=STARTED,
        window_end=STARTED + dt.timedelta(hours=6), score=0.97, explanation="6 小时内甲烷读数恒为 0.02%",
        evidence={"std": 0.0})
    with pytest.raises(PermissionDenied):
        services.decide_flag(actor=world.ent_principal, flag=flag, confirm=False, note="传感器正常")
    with pytest.raises(NotFound):
        services.decide_flag(actor=world.other_county_inspector, flag=flag, confirm=True, note="造假")
    with pytest.raises(FieldErrors) as exc:
        services.decide_flag(actor=world.county_inspector, flag=flag, confirm=True, note="")
    assert "note" in exc.value.errors
    done = services.decide_flag(actor=world.county_inspector, flag=flag, confirm=True,
                                note="现场核查：传感器进气口被堵")
    assert (done.status, done.decided_by, done.decided_at is not None) == ("confirmed", world.county_inspector, True)
    with pytest.raises(FieldErrors):
        services.decide_flag(actor=world.city_leader, flag=flag, confirm=False, note="改判")
    entry = AuditEntry.objects.get(action="monitoring.flag.decide")
    assert (entry.after["status"], entry.message) == ("confirmed", "现场核查：传感器进气口被堵")
    second = FalsificationFlag.objects.create(
        mine=world.mine_a, sensor=sensor, pattern="clipped", window_start=STARTED, window_end=STARTED,
        score=0.5, explanation="x")
    assert services.decide_flag(actor=world.province_leader, flag=second, confirm=False,
                                note="标校期间").status == "dismissed"
