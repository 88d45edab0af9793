"""Demo tip-offs on top of the registry demo (``manage.py demo_tipoffs``).

About 80 reports over the last twelve months at mines of the demo province, most of them in the demo
county (岫岩) so ``county_leader`` and ``county_inspector`` have a register to work: every stage of
the loop is represented — just received (two past the acceptance deadline), accepted, under
verification (one past the handling deadline), verified and awaiting an answer, declined, found
untrue, handled into the hazard ledger, rewarded and paid, merged duplicates. Every report goes
through ``minesafe.tipoffs.services`` (so deadlines, rewards, audit entries and ledger entries are
real); the dates are then moved back to when the steps would have happened. Deterministic for a
seed and "today".
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from minesafe.accounts.models import User
from minesafe.hazards.models import HazardEvent
from minesafe.registry.demo import COUNTY_CODE
from minesafe.registry.models import Mine
from minesafe.rules.hazard_standards import standard_for
from minesafe.tipoffs import services
from minesafe.tipoffs.models import Tipoff, TipoffEvent

__all__ = ["build_tipoffs_demo", "tipoffs_demo_blocker"]

_TEXTS = {
    "major_hazard": ("井下{place}安全出口被杂物堵塞，班组仍在组织生产。", "{place}通风设施损坏多日未修，工人反映头晕。",
                     "{place}提升机钢丝绳断丝严重，仍在提人。"),
    "illegal_production": ("矿山被责令停产后夜间偷偷开工，{place}有车辆出入。", "越界开采，已挖到{place}以外。"),
    "concealed_accident": ("上月{place}冒顶砸伤两人，矿上私了没有上报。", "{place}发生透水，有一名工人至今未归。"),
    "hidden_face": ("{place}有一个没上图纸的工作面，外人不让靠近。",),
    "monitoring_falsified": ("瓦斯探头被用塑料袋包住，{place}数据一直正常。", "人员定位卡由班长一人带着下井。"),
    "illegal_subcontracting": ("{place}掘进工程转包给没有资质的个人队伍。",),
    "other": ("矿区运输道路{place}塌陷，无人处理。",),
}
_PLACES = ("-120m中段", "-80m水平", "3号采场", "西翼回风巷", "主井井口", "2号盲斜井", "东区")
_DESCRIBED = ("北山沟里的无名小矿，晚上有炮声", "高速出口往东两公里的采石场", "村后山坡上的小铁矿")
# stage → how many demo-county reports end there (the rest of the province gets a thinner spread)
_STAGES = (("received", 6), ("received_late", 2), ("accepted", 5), ("verifying", 6), ("verifying_late", 1),
           ("verified", 4), ("declined", 2), ("declined_closed", 3), ("false", 8), ("handled_hazard", 6),
           ("rewarded", 5), ("paid", 6),
           ("closed_false", 6), ("merged", 3))


def tipoffs_demo_blocker() -> str:
    """Why the demo cannot be built here ("" when it can)."""
    if Tipoff.objects.exists():
        return "tip-offs already exist"
    if not User.objects.filter(username="county_leader").exists() or not Mine.objects.filter(
            county_id=COUNTY_CODE).exists():
        return "the registry demo is missing (run `manage.py demo` first)"
    return ""


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=(
        "county_leader", "county_inspector", "province_leader", "province_inspector"))}


def _hazard_data(mine: Mine, found_on: dt.date, text: str) -> dict[str, Any] | None:
    try:
        standard = standard_for(mine.sector, found_on)
    except LookupError:
        return None
    category = standard.categories[0]
    return {"category_code": category.code, "description": text[:200], "location": "举报所指位置",
            "found_on": found_on, "found_by": "县局举报核查组"}


def _walk(t: Tipoff, stage: str, received: dt.date, users: dict[str, User], rng: random.Random,
          today: dt.date) -> Tipoff:
    level = "county" if t.division_id == COUNTY_CODE else "province"
    leader, inspector = users[f"{level}_leader"], users[f"{level}_inspector"]
    if stage in ("received", "received_late"):
        return t
    if stage.startswith("declined"):
        t = services.decline(actor=leader, tipoff=t, reason="所反映问题不属于矿山安全监管职责，已转交自然资源部门。",
                             today=received + dt.timedelta(days=3))
        if stage == "declined":
            return t
        t = services.answer(actor=leader, tipoff=t, text="您反映的问题不属于矿山安全监管范围，已转交自然资源部门处理。",
                            today=received + dt.timedelta(days=5))
        return services.close(actor=leader, tipoff=t, today=received + dt.timedelta(days=5))
    accepted = received + dt.timedelta(days=rng.randint(1, 6))
    t = services.accept(actor=leader, tipoff=t, today=accepted)
    if stage == "accepted":
        return t
    t = services.assign(actor=leader, tipoff=t, assignee=inspector)
    if stage in ("verifying", "verifying_late"):
        return t
    verified = min(today, accepted + dt.timedelta(days=rng.randint(5, 40)))
    if stage == "verified":  # awaiting the answer, within its 10 days
        verified = max(accepted, today - dt.timedelta(days=rng.randint(0, 8)))
    true = stage not in ("false", "closed_false")
    findings = ("现场核查属实，已固定证据。" if true else "现场核查未发现所反映问题，相关记录正常。")
    t = services.verify(actor=inspector, tipoff=t, verified_true=true, findings=findings, today=verified)
    if stage == "verified":
        return t
    if true:
        handled = min(today, verified + dt.timedelta(days=rng.randint(1, 8)))
        data = _hazard_data(t.mine, verified, t.description) if (stage == "handled_hazard" and t.mine) else None
        fine = rng.choice(("20000", "50000", "100000", "300000", None))
        kwargs: dict[str, Any] = {}
        if t.category == "concealed_accident":
            kwargs = {"accident_grade": "general", "concealed_deaths": 1}
        t = services.handle(actor=inspector, tipoff=t, note="责令立即整改，依法立案处罚。", fine_amount=fine,
                            hazard_data=data, today=handled, **kwargs)
        answered = min(today, handled + dt.timedelta(days=rng.randint(1, 9)))
        t = services.answer(actor=inspector, tipoff=t, today=answered,
                            text="经核查，您反映的问题属实，已责令企业整改并依法处罚。感谢您的监督。")
        if stage == "handled_hazard":
            return t
        t = services.decide_reward(actor=leader, tipoff=t, today=answered)
        if stage == "rewarded" or not t.reward_amount:
            return t
        paid = min(today, answered + dt.timedelta(days=rng.randint(3, 20)))
        t = services.record_payment(actor=leader, tipoff=t, paid_on=paid, today=paid)
        return services.close(actor=leader, tipoff=t, today=paid)
    answered = min(today, verified + dt.timedelta(days=rng.randint(1, 9)))
    t = services.answer(actor=inspector, tipoff=t, text="经现场核查，未发现您反映的问题。如有新的线索，欢迎继续举报。",
                        today=answered)
    if stage == "closed_false":
        t = services.close(actor=leader, tipoff=t, today=answered)
    return t


def _backdate(t: Tipoff, received: dt.date) -> None:
    """Move the report and its timeline to the days the steps were taken (demo only)."""
    tz = timezone.get_current_timezone()
    at = dt.datetime.combine(received, dt.time(9, 30), tzinfo=tz)
    accept_due = received + dt.timedelta(days=services.deadline_policy().accept_days)
    Tipoff.objects.filter(pk=t.pk).update(received_at=at, accept_due=accept_due)
    t = Tipoff.objects.get(pk=t.pk)
    day_of = {"received": t.received_at.date(), "accepted": t.accepted_on, "declined": t.received_at.date(),
              "assigned": t.accepted_on, "verified": t.verified_on, "handled": t.handled_on,
              "answered": t.answered_on, "reward": t.reward_decided_on, "paid": t.reward_paid_on,
              "closed": t.closed_on}
    for event in TipoffEvent.objects.filter(tipoff=t):
        day = day_of.get(event.kind) or t.received_at.date()
        TipoffEvent.objects.filter(pk=event.pk).update(at=dt.datetime.combine(day, dt.time(10, 0), tzinfo=tz))
    if t.hazard_id:
        HazardEvent.objects.filter(hazard_id=t.hazard_id).update(
            time=dt.datetime.combine(t.handled_on or received, dt.time(11, 0), tzinfo=tz))


def build_tipoffs_demo(*, seed: int = 2024, today: dt.date | None = None) -> dict[str, int]:
    """Build the demo register; returns counts by stage."""
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 — demo data
    users = _users()
    county_mines = list(Mine.objects.filter(county_id=COUNTY_CODE).exclude(status="closed").order_by("id"))
    others = list(Mine.objects.filter(county__code__startswith=COUNTY_CODE[:2]).exclude(county_id=COUNTY_CODE)
                  .exclude(status="closed").order_by("id")[:400])
    plan: list[tuple[str, Mine | None, bool]] = []
    for stage, n in _STAGES:
        plan += [(stage, rng.choice(county_mines), True) for _i in range(n)]
    plan += [("received", None, True), ("declined_closed", None, True)]  # described mines, no register entry
    for _i in range(20):
        plan.append((rng.choice(("received", "accepted", "false", "closed_false")), rng.choice(others) if others
                     else rng.choice(county_mines), False))
    counts: dict[str, int] = {}
    primaries: list[Tipoff] = []
    with transaction.atomic():
        for index, (stage, mine, _home) in enumerate(plan):
            late = stage.endswith("_late")
            if stage in ("received", "declined"):
                received = today - dt.timedelta(days=rng.randint(0, 10))
            elif late:
                received = today - dt.timedelta(days=rng.randint(20, 30) if stage == "received_late"
                                                else rng.randint(75, 85))
            elif stage in ("accepted", "verifying", "verified"):
                received = today - dt.timedelta(days=rng.randint(15, 45))  # still within the 60 days
            else:
                received = today - dt.timedelta(days=rng.randint(20, 350))
            category = rng.choice(tuple(_TEXTS))
            text = rng.choice(_TEXTS[category]).format(place=rng.choice(_PLACES))
            data: dict[str, Any] = {"category": category, "description": text, "place": rng.choice(_PLACES),
                                    "anonymous": rng.random() < 0.7}
            if mine is None:
                data.update(county=COUNTY_CODE, mine_description=rng.choice(_DESCRIBED))
            else:
                data["mine"] = mine.pk
            if not data["anonymous"]:
                data.update(name="群众" + "甲乙丙丁戊己庚辛"[index % 8], phone=f"1390417{index:04d}")
            elif rng.random() < 0.5:
                data["phone"] = f"1380417{index:04d}"
            if stage == "merged" and primaries:
                primary = next((p for p in primaries if p.mine_id == (mine.pk if mine else None)), primaries[0])
                data["mine"] = primary.mine_id
                data["category"], data["description"] = primary.category, primary.description + "（再次举报）"
                received = max(received, primary.received_at.date() + dt.timedelta(days=1))
            receipt = services.submit_tipoff(data=data, client=f"demo-{seed}-{index}", channel="web")
            t = receipt.tipoff
            Tipoff.objects.filter(pk=t.pk).update(
                received_at=dt.datetime.combine(received, dt.time(9, 30), tzinfo=timezone.get_current_timezone()))
            t.refresh_from_db()
            if stage == "merged" and primaries:
                t = services.merge(actor=users["county_leader"], duplicate=t, primary=primary,
                                   note="同一矿山同一事项，并案办理。")
            else:
                t = _walk(t, stage, received, users, rng, today)
                if stage in ("verifying", "accepted", "received"):
                    primaries.append(t)
            _backdate(t, received)
            counts[stage] = counts.get(stage, 0) + 1
    counts["total"] = Tipoff.objects.count()
    counts["hazards"] = Tipoff.objects.filter(hazard__isnull=False).count()
    return counts
