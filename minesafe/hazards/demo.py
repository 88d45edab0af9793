"""Demo hazard ledger (重大事故隐患台账) on top of the registry demo (``registry.demo``).

``manage.py demo_hazards`` calls :func:`build_hazard_demo`. Over the last three years it finds
major hazards at the demo mines — the category drawn from the determination standard in force for
the mine's sector on the finding date — and plays every hazard's life forward day by day through
``hazards.services`` with ``today=`` set to the simulated day: registration, the 五落实 plan,
extension requests (approved or rejected), 挂牌督办 by the city or province leader, close-out
applications with evidence, rejected and accepted verifications. Whatever would happen after
"today" does not, so recent hazards are still registered, under rectification (some overdue) or
awaiting verification, while most old ones are closed. Monthly self-inspections are recorded for
most producing mines, with some months missing. Finally ``escalation_scan`` records its
suggestions for the overdue hazards.

Actors: the county leader of 岫岩 (210323) for that county's mines, the city leader of 鞍山 (2103)
for the rest of the city, the province leader elsewhere; the enterprise principal (ent_principal)
takes the enterprise's steps for the demo enterprise's 岫岩 mines. The audit chain therefore
records the whole build (at build time). The services stamp timeline rows with the wall clock, so
after each step the build moves the rows it just wrote (HazardEvent.time, Extension, Listing,
RuleDecision, Evidence and SelfInspection timestamps, Hazard.created_at/updated_at) to the
simulated day, and the timeline reads as three years of history.

Realism: a producing mine with two major hazards within three months draws a closure proposal,
and a category that comes back after close-out a repeat-offence decision (屡改屡犯). Most mines'
findings are therefore spaced at least three months apart with distinct categories; a few mines
get a cluster (closure proposal) or a repeated category on purpose. When the requested count does
not fit those limits (the default 3,000 over the ~300 demo mines does not), the surplus goes to as
few mines as possible: halted and closed mines first (more findings, repeated categories — the
closure rule concerns producing mines only), then the riskiest producing ones. The summary reports
how many mines drew each decision.

Deterministic for a given seed, "today" and registry demo; one transaction (evidence files are
written to MEDIA_ROOT as they are stored).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation

from minesafe.accounts.models import User
from minesafe.hazards import services
from minesafe.hazards.choices import EventKind
from minesafe.hazards.models import (
    Evidence,
    Extension,
    Hazard,
    HazardEvent,
    Listing,
    RuleDecision,
    SelfInspection,
)
from minesafe.registry.demo import CITY_CODE, COUNTY_CODE, DEMO_ENTERPRISE
from minesafe.registry.models import Enterprise, Mine, MineStatusChange
from minesafe.rules import hazards as rules
from minesafe.rules.hazard_standards import (
    ALL_STANDARDS,
    OTHER_UNVERIFIED_TEXT,
    HazardCategory,
    HazardItem,
    categories_for,
    category_family,
    standard_for,
)

__all__ = ["DEFAULT_HAZARDS", "build_hazard_demo", "hazard_demo_blocker"]

DEFAULT_HAZARDS = 3000
YEARS = 3
_ACTORS = ("province_leader", "city_leader", "county_leader")
_INSPECTORS = ("province_inspector", "city_inspector", "county_inspector")  # enter data on behalf
_ENTERPRISE_ACTOR = "ent_principal"

SOURCE_WEIGHTS = (("self_check", 55), ("inspection", 35), ("tip_off", 5), ("monitoring", 5))
_SECTOR_WEIGHT = {"coal": 2.2, "metal_underground": 1.5, "metal_open_pit": 1.0, "tailings": 0.7}
_SCALE_WEIGHT = {"large": 1.6, "medium": 1.2, "small": 0.9}
_STATUS_WEIGHT = {"production": 1.0, "rectification": 1.8, "suspended": 0.5, "closed": 0.6, "construction": 0.25}

# Where hazards are found, per sector.
_LOCATIONS = {
    "coal": ("3105综采工作面", "北翼回风大巷", "-450m水平中央变电所", "2号煤层掘进工作面", "主斜井", "副立井井底车场",
             "东一采区回风上山", "1202运输顺槽", "中央水泵房", "西翼采区", "地面瓦斯抽采泵站", "井下安全监控分站"),
    "metal_underground": ("-120m中段", "-180m中段采场", "主井", "2#风井", "斜坡道", "井下炸药库", "+50m水平运输巷",
                          "3#采空区", "中央变电所", "排水泵房", "罐笼提升系统", "-60m中段安全出口"),
    "metal_open_pit": ("+180m台阶", "东帮边坡", "北帮边坡", "采场西侧", "+120m运输平台", "破碎站", "排土场",
                       "采场底部", "+210m工作帮", "南帮挂帮矿体"),
    "tailings": ("初期坝", "堆积坝坡", "排洪隧洞", "库尾", "排水斜槽", "坝体浸润线监测点", "库区东岸", "子坝坝顶"),
}
_FREE_TEXT = {  # for categories held only as "其他重大事故隐患（以标准原文为准）"
    "coal": ("井下作业地点违规使用非防爆电气设备", "安全监控系统传感器数量不足、位置不当"),
    "metal_underground": ("井下爆破器材临时存放点未按规定设置", "中段之间未形成独立的通风系统"),
    "metal_open_pit": ("排土场未按设计分台阶排弃，存在滑坡风险", "采场爆破安全距离不足"),
    "tailings": ("尾矿库在线监测系统数据中断超过72小时", "排洪设施未按设计施工，泄流能力不足"),
}
_FIXES = (  # (keyword in the category title, rectification measure)
    ("瓦斯", "配齐瓦斯检查工，完善瓦斯巡回检查和抽采系统，超限区域停止作业"),
    ("突出", "落实区域和局部综合防突措施，补做效果检验"),
    ("通风", "调整通风系统，补设风门、风桥，重新测风并核定各用风地点风量"),
    ("水", "开展物探和钻探探放水，完善排水系统，制定防治水专项措施"),
    ("冲击地压", "实施卸压爆破和钻孔卸压，完善冲击地压监测预警"),
    ("自然发火", "注浆注氮防灭火，加强束管监测"),
    ("安全出口", "清理并恢复安全出口，设置明显标识，保证两个独立安全出口畅通"),
    ("出口", "清理并恢复安全出口，设置明显标识"),
    ("边坡", "削坡减载，恢复安全平台，完善边坡位移监测"),
    ("坝", "按设计整治坝体和坡比，加强浸润线和位移监测"),
    ("库", "按设计控制库容和坝高，疏通排洪设施"),
    ("图纸", "重新测绘并更新井上下对照图和中段平面图"),
    ("提升", "检修提升系统，完善过卷、超速等安全保护装置"),
    ("监测", "修复安全监测监控系统并恢复联网，落实值班制度"),
    ("监控", "修复安全监测监控系统并恢复联网，落实值班制度"),
    ("供电", "完善双回路供电系统并试验切换"),
    ("设备", "拆除国家明令淘汰的设备、工艺，更换为合规设备"),
    ("超能力", "按核定生产能力调整生产计划，核减入井人数"),
    ("越界", "停止越界区域作业，封闭越界巷道"),
    ("采空区", "探明并处理采空区，设置警戒"),
    ("开采", "停止违规开采活动，按设计恢复开采顺序"),
)
_EXTENSION_REASONS = ("整改工程量大，需采购专用设备，设备到货周期较长", "受雨季影响，施工条件不具备",
                      "整改方案涉及设计变更，需重新审查", "需委托有资质单位施工，招标尚未完成")
_REJECT_REASONS = ("现场核查发现整改未到位，仍存在隐患", "整改资料不完整，缺少验收报告和影像资料",
                   "整改措施与五落实方案不一致，需重新整改")
_VERIFY_NOTES = {"on_site": "经现场核查，隐患已整改到位，同意销号",
                 "document": "经审查整改资料，隐患已整改到位，同意销号"}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林于董宋曲姜韩关佟吕苏包白金崔冯"
_GIVEN = ("建军", "志刚", "海涛", "立新", "国庆", "宏伟", "春雨", "长青", "晓东", "振华", "德明", "永利", "秀英",
          "丽娟", "明远", "玉峰", "建平", "成林", "福生", "红梅")
_STOPS_SELF_CHECK = (("none", 65), ("partial", 30), ("full", 5))
_STOPS_OTHER = (("none", 55), ("partial", 35), ("full", 10))
_CITY_DOC = "鞍"  # document prefix of the city leader (鞍山市应急管理局)
_PROVINCE_DOC = "辽"


def hazard_demo_blocker() -> str:
    """Why the hazard demo cannot be built into this database ("" = it can)."""
    count = Hazard.objects.count()
    if count:
        return f"{count} hazards already exist"
    if not Mine.objects.exists():
        return "the registry demo is missing (run `manage.py demo` first)"
    names = set(User.objects.filter(username__in=_ACTORS, is_active=True).values_list("username", flat=True))
    missing = [u for u in _ACTORS if u not in names]
    if missing:
        return f"the registry demo users are missing ({', '.join(missing)}); run `manage.py demo` first"
    return ""


def _months_between(start: dt.date, end: dt.date) -> float:
    return (end - start).days / 30.44


@dataclass
class _MineInfo:
    mine: Mine
    start: dt.date  # first possible finding date
    end: dt.date  # last possible finding date
    producing: bool  # current status is production (the closure-proposal rule looks at it)
    weight: float
    cap: int
    principal: str
    count: int = 0
    problem: bool = False  # took surplus hazards: spacing and distinct categories relaxed
    cluster: bool = False  # two findings within three months on purpose (closure proposal)
    repeat: bool = False  # one category repeated after close-out on purpose (屡改屡犯)


@dataclass
class _Plan:
    index: int
    info: _MineInfo
    found_on: dt.date
    source: str
    category: HazardCategory
    item: HazardItem
    steps: list[tuple[dt.date, int, str, dict[str, Any]]] = field(default_factory=list)
    hazard: Hazard | None = None
    verify_on: dt.date | None = None  # planned close-out day (may be after today)
    extension: Extension | None = None  # the pending request, until decided


class _Builder:
    def __init__(self, *, seed: int, hazards: int, today: dt.date, stdout: Any) -> None:
        self.rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not security
        self.n = hazards
        self.today = today
        self.start = dt.date(today.year - YEARS, today.month, min(today.day, 28)) + dt.timedelta(days=1)
        self.stdout = stdout
        names = (*_ACTORS, *_INSPECTORS, _ENTERPRISE_ACTOR)
        self.users = {u.username: u for u in User.objects.filter(username__in=names)
                      .select_related("organisation", "organisation__division")}
        self.demo_enterprise = Enterprise.objects.filter(organisation__name=DEMO_ENTERPRISE).first()
        self.started = timezone.now()
        self.day_clock: Counter[dt.date] = Counter()
        self.spacing = 60  # seconds between the steps of a day (set from the step count in run())
        self.counts: Counter[str] = Counter()
        # simulated times, written in bulk at the end (see backdate())
        self.created_at: dict[int, dt.datetime] = {}
        self.updated_at: dict[int, dt.datetime] = {}
        self.evidence_times: dict[int, list[dt.datetime]] = defaultdict(list)
        self.recorded_at: dict[int, dt.datetime] = {}
        self.doc_numbers: Counter[tuple[str, int]] = Counter()

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    def weighted(self, pairs: tuple[tuple[Any, float], ...] | list[tuple[Any, float]]) -> Any:
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def person(self) -> str:
        return self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)

    # -- actors ------------------------------------------------------------------------------

    def regulator_for(self, mine: Mine) -> User:
        if mine.county_id == COUNTY_CODE and "county_leader" in self.users:
            return self.users["county_leader"]
        if mine.county_id.startswith(CITY_CODE) and "city_leader" in self.users:
            return self.users["city_leader"]
        return self.users["province_leader"]

    def inspector_for(self, mine: Mine) -> User:
        """Enters data on an enterprise's behalf; never the leader who then decides or verifies it."""
        for username, prefix in (("county_inspector", COUNTY_CODE), ("city_inspector", CITY_CODE)):
            if mine.county_id.startswith(prefix) and username in self.users:
                return self.users[username]
        return self.users.get("province_inspector") or self.regulator_for(mine)

    def enterprise_actor_for(self, mine: Mine) -> User:
        if (self.demo_enterprise is not None and mine.enterprise_id == self.demo_enterprise.pk
                and mine.county_id == COUNTY_CODE and _ENTERPRISE_ACTOR in self.users):
            return self.users[_ENTERPRISE_ACTOR]
        return self.inspector_for(mine)

    def lister_for(self, mine: Mine) -> User:
        if mine.county_id.startswith(CITY_CODE) and "city_leader" in self.users and self.rng.random() < 0.7:
            return self.users["city_leader"]
        return self.users["province_leader"]

    # -- mines -------------------------------------------------------------------------------

    def mine_infos(self) -> list[_MineInfo]:
        mines = list(Mine.objects.select_related("enterprise", "county").order_by("county_id", "name", "pk"))
        last_change: dict[int, dt.date] = {}
        for mine_id, day in MineStatusChange.objects.order_by("effective_date", "id").values_list(
                "mine_id", "effective_date"):
            last_change[mine_id] = day
        infos = []
        for mine in mines:
            try:
                first_standard = min(s.effective_from for s in _standards_of(mine.sector))
            except ValueError:
                continue
            start = max(self.start, first_standard)
            end = self.today
            since = last_change.get(mine.pk, start)
            if mine.status in ("suspended", "closed"):
                end = min(end, since - dt.timedelta(days=1))
            elif mine.status == "construction":
                start = max(start, since)
            if (end - start).days < 45:
                continue
            months = _months_between(start, end)
            pool = _family_pool(mine.sector, start, end)
            producing = mine.status == "production"
            spacing_cap = int(months // 3) + 1 if producing else int(months // 1.5) + 1
            cap = max(1, min(pool, spacing_cap, 4 if mine.status == "construction" else 99))
            weight = (_SECTOR_WEIGHT.get(mine.sector, 1.0) * _SCALE_WEIGHT.get(mine.scale, 1.0)
                      * _STATUS_WEIGHT.get(mine.status, 1.0) * math.exp(self.rng.gauss(0, 0.45)) * months / 36)
            infos.append(_MineInfo(mine, start, end, producing, weight, cap, self.person()))
        return infos

    def allocate(self, infos: list[_MineInfo]) -> None:
        """Spread ``n`` hazards over the mines by weight within their caps (water-filling), then put
        any surplus on the highest-weight mines (which become "problem mines")."""
        remaining = self.n
        open_ = [i for i in infos if i.cap > 0]
        exact: dict[int, float] = {}
        while open_ and remaining > 0:
            total_w = sum(i.weight for i in open_)
            capped = [i for i in open_ if remaining * i.weight / total_w >= i.cap]
            if not capped:
                for i in open_:
                    exact[id(i)] = remaining * i.weight / total_w
                break
            for i in capped:
                i.count = i.cap
                remaining -= i.cap
            open_ = [i for i in open_ if i not in capped]
        floors = {key: math.floor(v) for key, v in exact.items()}
        for i in open_:
            i.count = floors.get(id(i), 0)
        left = self.n - sum(i.count for i in infos)
        order = sorted(open_, key=lambda i: (-(exact.get(id(i), 0) - floors.get(id(i), 0)), i.mine.pk))
        for i in order:
            if left <= 0:
                break
            i.count += 1
            left -= 1
        if left > 0:
            # The caps are too tight for the requested count. Put the surplus on as few mines as
            # possible, highest risk first: halted and closed mines first (categories may repeat
            # there; the closure-proposal rule only concerns producing mines), then producing ones
            # (findings may then fall within three months of each other).
            def limit(i: _MineInfo) -> int:
                months = _months_between(i.start, i.end)
                if i.producing:
                    return max(i.cap, min(2 * i.cap, int(months // 1.5) + 1))
                return max(i.cap, min(2 * i.cap + 4, int(months) + 1))  # about one finding a month at most

            halted = sorted((i for i in infos if not i.producing and i.mine.status != "construction"),
                            key=lambda i: (-i.weight, i.mine.pk))
            producing_ = sorted((i for i in infos if i.producing), key=lambda i: (-i.weight, i.mine.pk))
            for i in (*halted, *producing_):
                if left <= 0:
                    break
                take = min(left, limit(i) - i.count)
                if take > 0:
                    i.count += take
                    i.problem = True
                    left -= take
        self.counts["surplus_not_placed"] = max(0, left)
        producing = [i for i in infos if i.producing and not i.problem and i.count >= 2]
        for i in self.rng.sample(producing, k=min(len(producing), max(1, len(producing) // 25))):
            i.cluster = True
        repeaters = [i for i in infos if not i.problem and i.count >= 2]
        for i in self.rng.sample(repeaters, k=min(len(repeaters), max(1, len(repeaters) // 15))):
            i.repeat = True

    # -- dates and categories -----------------------------------------------------------------

    def finding_dates(self, info: _MineInfo) -> list[dt.date]:
        n = info.count
        span = (info.end - info.start).days
        if n <= 0:
            return []
        if info.producing and not info.problem:
            # at least three calendar months between findings (the closure-proposal window); a
            # cluster mine's last finding gets a second one within three months
            if info.cluster:
                n -= 1
            while n > 1 and span - 92 * (n - 1) < 0:
                n -= 1
            slack = span - 92 * (n - 1)
            cuts = sorted(self.rng.randint(0, slack) for _ in range(n))
            gaps = [cuts[0]] + [b - a for a, b in itertools.pairwise(cuts)]
            dates = [info.start + dt.timedelta(days=gaps[0])]
            for gap in gaps[1:]:
                dates.append(rules.add_months(dates[-1], 3) + dt.timedelta(days=gap))
            dates = [d for d in dates if d <= info.end]
            if info.cluster:  # a second finding within three months: closure proposal
                last = dates[-1]
                extra = last + dt.timedelta(days=self.rng.randint(12, 70))
                if extra <= info.end:
                    dates.append(extra)
                else:
                    extra = last - dt.timedelta(days=self.rng.randint(12, 70))
                    dates.append(max(info.start, extra))
            return sorted(dates)
        return sorted(info.start + dt.timedelta(days=self.rng.randint(0, span)) for _ in range(n))

    def categories(self, info: _MineInfo, dates: list[dt.date], verify_days: list[dt.date | None]
                   ) -> list[tuple[HazardCategory, HazardItem]]:
        sector = info.mine.sector
        used: dict[str, dt.date | None] = {}  # family → planned close-out of its last hazard
        chosen: list[tuple[HazardCategory, HazardItem]] = []
        repeat_at = self.rng.randrange(1, len(dates)) if info.repeat and len(dates) >= 2 else -1
        for k, found in enumerate(dates):
            pool = categories_for(sector, found)
            category = None
            if k == repeat_at:
                closed_before = [f for f, closed in used.items() if closed is not None and closed < found]
                same = [c for c in pool if category_family(c.code) in closed_before]
                if same:
                    category = self.rng.choice(same)
            if category is None:
                fresh = [c for c in pool if category_family(c.code) not in used] or list(pool)
                category = self.weighted([(c, _category_weight(c)) for c in fresh])
            verified = [i for i in category.items if i.verified] or list(category.items)
            item = self.rng.choice(verified)
            used[category_family(category.code)] = None
            chosen.append((category, item))
            if k < len(verify_days):
                used[category_family(category.code)] = verify_days[k]
        return chosen

    # -- one hazard's life ----------------------------------------------------------------------

    def description(self, sector: str, category: HazardCategory, item: HazardItem, location: str) -> str:
        text = item.text
        if text == OTHER_UNVERIFIED_TEXT or "待核实" in category.title:
            text = self.rng.choice(_FREE_TEXT.get(sector, ("存在重大事故隐患",)))
        return f"{location}：{text.rstrip('。')}。"

    def found_by(self, source: str, mine: Mine, info: _MineInfo) -> str:
        if source == "self_check":
            return f"{info.principal}（矿长）等企业自查"
        org = self.regulator_for(mine).organisation
        if source == "inspection":
            return f"{org.name if org else '应急管理局'}执法人员 {self.person()}、{self.person()}"[:100]
        if source == "tip_off":
            return f"群众举报，{org.name if org else '应急管理局'}核查人员 {self.person()}"[:100]
        return f"监测预警系统报警，现场核查人员 {self.person()}"

    def measures(self, category: HazardCategory, location: str) -> str:
        fix = next((m for key, m in _FIXES if key in category.title),
                   "按照判定标准和设计要求制定专项整改方案并组织实施")
        return f"立即停止{location}相关作业并撤出人员；{fix}；整改完成后组织自查验收，提请监管部门复核销号。"

    def funds(self, mine: Mine) -> Decimal:
        if self.rng.random() < 0.08:
            return Decimal(0)  # management-only measures
        scale = {"large": 3.0, "medium": 1.5}.get(mine.scale, 1.0) * (2.0 if mine.sector == "coal" else 1.0)
        value = math.exp(self.rng.uniform(math.log(3000), math.log(600000))) * scale
        return Decimal(int(value / 100) * 100)

    def doc_no(self, actor: User, day: dt.date) -> str:
        level = actor.organisation.division.level if actor.organisation and actor.organisation.division else ""
        prefix = _CITY_DOC if level == "city" else _PROVINCE_DOC if level == "province" else "岫"
        self.doc_numbers[(prefix, day.year)] += 1
        return f"{prefix}安委办督〔{day.year}〕{self.doc_numbers[(prefix, day.year)]}号"

    def plan_life(self, plan: _Plan, fate: str = "") -> None:
        """Every step of the hazard's life with its day; steps after today are dropped later.

        ``fate``: "" (drawn: mostly closed in time, some late, some recent ones stuck), or forced so
        that even a small build shows every state: "registered" (no plan yet), "awaiting"
        (applied for close-out, not yet verified), "stuck_listed" (overdue and listed).
        """
        rng = self.rng
        info, mine = plan.info, plan.info.mine
        found = plan.found_on
        location = self.rng.choice(_LOCATIONS.get(mine.sector, ("作业现场",)))
        registered = min(found + dt.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2))), self.today)
        steps = plan.steps
        steps.append((registered, 0, "register", {
            "source": plan.source, "category_code": "", "item_code": "", "description": "", "location": location,
            "found_on": found, "found_by": self.found_by(plan.source, mine, info),
            "production_stop": self.weighted(_STOPS_SELF_CHECK if plan.source == "self_check" else _STOPS_OTHER),
        }))
        if fate == "registered":
            return
        delay = rng.choice((0, 1, 2, 3, 5, 7)) if rng.random() < 0.92 and not fate else rng.randint(10, 25)
        plan_day = registered + dt.timedelta(days=rng.randint(0, 3) if fate else delay)
        days = self.weighted(((rng.randint(15, 30), 30), (rng.randint(31, 60), 45), (rng.randint(61, 120), 25)))
        if fate == "stuck_listed":
            days = rng.randint(15, 45)
        deadline = plan_day + dt.timedelta(days=days)
        steps.append((plan_day, 1, "plan", {
            "responsible_person": f"{info.principal}（矿长）", "measures": "", "funds_yuan": self.funds(mine),
            "deadline": deadline,
            "contingency_plan": f"整改期间{location}停止作业，设置警戒标志，安排专人巡查，发现异常立即撤人；"
                                f"编制专项应急处置方案并组织演练。",
        }))
        if fate == "awaiting":
            apply_day = min(self.today, max(plan_day + dt.timedelta(days=1),
                                            self.today - dt.timedelta(days=rng.randint(0, 4))))
            steps.append((apply_day, 5, "apply", {"note": "已按五落实方案完成整改，申请验收销号"}))
            steps.append((self.today + dt.timedelta(days=rng.randint(3, 10)), 8, "verify",
                          {"method": "on_site", "note": _VERIFY_NOTES["on_site"]}))
            steps.sort(key=lambda s: (s[0], s[1]))
            return
        if fate == "stuck_listed":
            fate = "stuck"
            list_day = min(self.today, deadline + dt.timedelta(days=rng.randint(3, 25)))
            steps.append((list_day, 4, "list", {"actor": self.lister_for(mine), "note": "逾期未完成整改，挂牌督办",
                                                "deadline": list_day + dt.timedelta(days=rng.randint(30, 60))}))
            return
        recent = (self.today - found).days <= 300
        fate = self.weighted((("normal", 80), ("late", 12), ("stuck", 8 if recent else 0)))
        # extension request before the deadline
        if rng.random() < (0.3 if fate != "normal" else 0.1) and deadline > plan_day + dt.timedelta(days=5):
            request_day = deadline - dt.timedelta(days=rng.randint(0, 5))
            requested = deadline + dt.timedelta(days=rng.randint(15, 60))
            approve = rng.random() < 0.75
            decide_day = request_day + dt.timedelta(days=rng.randint(1, 4))
            steps.append((request_day, 2, "extend", {"requested": requested, "reason": rng.choice(_EXTENSION_REASONS)}))
            steps.append((decide_day, 3, "decide", {"approve": approve,
                                                    "note": "同意延期" if approve else "延期理由不充分，不予同意"}))
            if approve:
                deadline = requested
            elif fate == "normal":
                fate = "late"
            floor = decide_day + dt.timedelta(days=1)
        else:
            floor = plan_day + dt.timedelta(days=1)
        if fate == "normal":
            apply_day = plan_day + dt.timedelta(days=max(1, int((deadline - plan_day).days * rng.uniform(0.35, 1.0))))
        elif fate == "late":
            apply_day = deadline + dt.timedelta(days=rng.randint(5, 60))
        else:
            apply_day = None
        if apply_day is not None:
            apply_day = max(apply_day, floor)
        # 挂牌督办: overdue hazards, and some serious inspection findings at once
        list_day = None
        note = "逾期未完成整改，挂牌督办"
        if fate != "normal" and rng.random() < 0.55:
            list_day = deadline + dt.timedelta(days=rng.randint(3, 25))
        elif plan.source == "inspection" and rng.random() < 0.04:
            list_day = plan_day + dt.timedelta(days=rng.randint(0, 5))
            note = "重大事故隐患整改难度大，挂牌督办"
        if list_day is not None and (apply_day is None or list_day < apply_day):
            steps.append((list_day, 4, "list", {"actor": self.lister_for(mine), "note": note,
                                                "deadline": list_day + dt.timedelta(days=rng.randint(30, 60))}))
        if apply_day is not None:
            steps.append((apply_day, 5, "apply", {"note": "已按五落实方案完成整改，申请验收销号"}))
            verify_day = apply_day + dt.timedelta(days=rng.randint(2, 15))
            if rng.random() < 0.08:
                reject_day = apply_day + dt.timedelta(days=rng.randint(2, 10))
                reapply = reject_day + dt.timedelta(days=rng.randint(5, 25))
                verify_day = reapply + dt.timedelta(days=rng.randint(2, 10))
                steps.append((reject_day, 6, "reject", {"reason": rng.choice(_REJECT_REASONS)}))
                steps.append((reapply, 7, "apply", {"note": "已按验收意见补充整改，再次申请验收销号"}))
            method = self.weighted((("on_site", 65), ("document", 35)))
            steps.append((verify_day, 8, "verify", {"method": method, "note": _VERIFY_NOTES[method]}))
            plan.verify_on = verify_day
        steps.sort(key=lambda s: (s[0], s[1]))

    def forced_fates(self, plans: list[_Plan]) -> dict[int, str]:
        """A few recent hazards whose state is forced, so that every state shows even in a small build."""
        k = max(2, len(plans) // 250)
        by_recency = sorted(plans, key=lambda p: (-p.found_on.toordinal(), p.index))
        fates: dict[int, str] = {}
        for fate, newest, oldest in (("registered", 0, 20), ("awaiting", 10, 60), ("stuck_listed", 100, 240)):
            picked = [p for p in by_recency if newest <= (self.today - p.found_on).days <= oldest
                      and p.index not in fates][:k]
            for p in picked:
                fates[p.index] = fate
        return fates

    # -- running the steps ------------------------------------------------------------------------

    def stamp(self, day: dt.date) -> dt.datetime:
        """A time on ``day`` (09:00 onwards, increasing with every step of the day), never in the future."""
        self.day_clock[day] += 1
        seconds = 8 * 3600 + 1800 + self.day_clock[day] * self.spacing + self.rng.randrange(self.spacing // 2)
        when = timezone.make_aware(dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=min(seconds, 86399)))
        return min(when, self.started - dt.timedelta(microseconds=1))

    def _evidence(self, plan: _Plan, day: dt.date, attempt: int) -> SimpleUploadedFile:
        assert plan.hazard is not None
        body = (f"%PDF-1.4\n% MineSafe demo: hazard {plan.hazard.pk} rectification report {day.isoformat()} "
                f"#{attempt}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%EOF\n")
        return SimpleUploadedFile(f"整改验收资料-{plan.hazard.pk}-{attempt}.pdf", body.encode(), "application/pdf")

    def run_step(self, plan: _Plan, day: dt.date, kind: str, data: dict[str, Any]) -> None:
        mine = plan.info.mine
        when = self.stamp(day)
        if kind == "register":
            actor = self.enterprise_actor_for(mine) if plan.source == "self_check" else self.regulator_for(mine)
            hazard = services.register_hazard(actor=actor, mine=mine, data=data, today=day)
            plan.hazard = hazard
            self.created_at[hazard.pk] = when
        else:
            hazard = plan.hazard
            assert hazard is not None
            if kind == "plan":
                services.start_rectification(actor=self.enterprise_actor_for(mine), hazard=hazard, plan=data, today=day)
            elif kind == "extend":
                ext = services.request_extension(actor=self.enterprise_actor_for(mine), hazard=hazard,
                                                 requested=data["requested"], reason=data["reason"], today=day)
                Extension.objects.filter(pk=ext.pk).update(requested_at=when)
                plan.extension = ext
            elif kind == "decide":
                ext, plan.extension = plan.extension, None
                assert ext is not None
                services.decide_extension(actor=self.regulator_for(mine), extension=ext, approve=data["approve"],
                                          note=data["note"])
                Extension.objects.filter(pk=ext.pk).update(decided_at=when)
                self.counts["extensions_approved" if data["approve"] else "extensions_rejected"] += 1
            elif kind == "list":
                listing = services.list_for_supervision(actor=data["actor"], hazard=hazard,
                                                        document_no=self.doc_no(data["actor"], day),
                                                        deadline=data["deadline"], today=day, note=data["note"])
                Listing.objects.filter(pk=listing.pk).update(listed_at=when)
                self.counts["listings"] += 1
            elif kind == "apply":
                self.counts["applications"] += 1
                services.apply_for_closure(actor=self.enterprise_actor_for(mine), hazard=hazard, note=data["note"],
                                           evidence=[self._evidence(plan, day, self.counts["applications"])],
                                           today=day)
                self.evidence_times[hazard.pk].append(when)
            elif kind == "reject":
                services.reject_closure(actor=self.regulator_for(mine), hazard=hazard, reason=data["reason"],
                                        today=day)
                self.counts["closure_rejections"] += 1
            elif kind == "verify":
                services.verify_closure(actor=self.regulator_for(mine), hazard=hazard, method=data["method"],
                                        note=data["note"], today=day)
        self.updated_at[hazard.pk] = when
        HazardEvent.objects.filter(hazard=hazard, time__gte=self.started).update(time=when)

    def backdate(self) -> None:
        """Move the rows' own timestamps to the simulated days (the timeline events moved per step)."""
        batch = 500
        Hazard.objects.bulk_update(
            [Hazard(pk=pk, created_at=when, updated_at=self.updated_at.get(pk, when))
             for pk, when in self.created_at.items()], ["created_at", "updated_at"], batch_size=batch)
        # every stored decision about a hazard comes with a "decision" event written with it, in the
        # same order: the k-th decision of a hazard takes the (already moved) time of its k-th event
        event_times: dict[int, list[dt.datetime]] = defaultdict(list)
        for hazard_id, when in HazardEvent.objects.filter(kind=EventKind.DECISION).order_by("pk").values_list(
                "hazard_id", "time"):
            event_times[hazard_id].append(when)
        seen: Counter[int] = Counter()
        decisions = []
        for pk, hazard_id in RuleDecision.objects.filter(hazard__isnull=False).order_by("pk").values_list(
                "pk", "hazard_id"):
            times = event_times.get(hazard_id, [])
            if seen[hazard_id] < len(times):
                decisions.append(RuleDecision(pk=pk, decided_at=times[seen[hazard_id]]))
            seen[hazard_id] += 1
        RuleDecision.objects.bulk_update(decisions, ["decided_at"], batch_size=batch)
        seen = Counter()
        evidence = []
        for pk, hazard_id in Evidence.objects.filter(uploaded_at__gte=self.started).order_by("pk").values_list(
                "pk", "hazard_id"):
            times = self.evidence_times.get(hazard_id, [])
            if seen[hazard_id] < len(times):
                evidence.append(Evidence(pk=pk, uploaded_at=times[seen[hazard_id]]))
            seen[hazard_id] += 1
        Evidence.objects.bulk_update(evidence, ["uploaded_at"], batch_size=batch)
        SelfInspection.objects.bulk_update([SelfInspection(pk=pk, recorded_at=when) for pk, when in
                                            self.recorded_at.items()], ["recorded_at"], batch_size=batch)

    def self_inspections(self, infos: list[_MineInfo], plans: list[_Plan]) -> list[tuple[dt.date, int, _MineInfo,
                                                                                         dict[str, Any]]]:
        """Monthly self-inspections of producing mines: most record every month, some skip a few."""
        found: dict[tuple[int, str], list[dt.date]] = defaultdict(list)
        for p in plans:
            if p.source == "self_check":
                found[(p.info.mine.pk, rules.period_key(p.info.mine.sector, p.found_on))].append(p.found_on)
        out = []
        for info in infos:
            mine = info.mine
            if mine.status != "production" or self.rng.random() < 0.08:
                continue  # a few producing mines never record theirs
            skip_rate = 0.0 if self.rng.random() < 0.7 else self.rng.uniform(0.05, 0.2)
            month = dt.date(info.start.year, info.start.month, 1)
            while month <= self.today:
                key = rules.period_key(mine.sector, month)
                days = sorted(found.get((mine.pk, key), []))
                next_month = rules.add_months(month, 1)
                if days or self.rng.random() >= skip_rate:
                    organised = days[0] if days else month + dt.timedelta(days=self.rng.randint(2, 26))
                    organised = min(organised, next_month - dt.timedelta(days=1))
                    recorded = organised + dt.timedelta(days=self.rng.choice((0, 0, 1, 2, 3)))
                    recorded = min(recorded, next_month - dt.timedelta(days=1), self.today)
                    if organised <= self.today:
                        out.append((recorded, 9, info, {"period": key, "organised_on": organised,
                                                        "hazards_found": len(days)}))
                month = next_month
        return out

    def run(self) -> dict[str, Any]:
        infos = self.mine_infos()
        self.allocate(infos)
        self.say(f"{sum(i.count for i in infos)} hazards over {sum(1 for i in infos if i.count)} mines …")
        by_mine: list[tuple[_MineInfo, list[_Plan]]] = []
        plans: list[_Plan] = []
        for info in infos:
            mine_plans = []
            for found in self.finding_dates(info):
                category = categories_for(info.mine.sector, found)[0]  # chosen below
                mine_plans.append(_Plan(len(plans), info, found, self.weighted(SOURCE_WEIGHTS), category,
                                        category.items[0]))
                plans.append(mine_plans[-1])
            if mine_plans:
                by_mine.append((info, mine_plans))
        fates = self.forced_fates(plans)
        for info, mine_plans in by_mine:
            # lives are planned before categories, so that a repeat can follow a planned close-out
            for p in mine_plans:
                self.plan_life(p, fates.get(p.index, ""))
            chosen = self.categories(info, [p.found_on for p in mine_plans], [p.verify_on for p in mine_plans])
            for p, (category, item) in zip(mine_plans, chosen, strict=True):
                p.category, p.item = category, item
                register = p.steps[0][3]
                location = register["location"]
                register.update(category_code=category.code, item_code=item.code,
                                description=self.description(info.mine.sector, category, item, location))
                for _day, _order, kind, data in p.steps:
                    if kind == "plan":
                        data["measures"] = self.measures(category, location)
        steps: list[tuple[dt.date, int, int, str, _Plan | _MineInfo, dict[str, Any]]] = []
        for p in plans:
            for day, order, kind, data in p.steps:
                if day > self.today:
                    break  # later steps depend on this one
                steps.append((day, p.index, order, kind, p, data))
        for recorded, order, info, data in self.self_inspections(infos, plans):
            steps.append((recorded, 10**9 + info.mine.pk, order, "self_inspection", info, data))
        steps.sort(key=lambda s: (s[0], s[1], s[2]))
        self.say(f"{len(steps)} ledger steps from {self.start} to {self.today} …")
        days = max(1, (self.today - self.start).days)
        self.spacing = max(30, min(1800, 8 * 3600 * days // max(1, 2 * len(steps))))  # ~ a working day
        for day, _i, _order, kind, target, data in steps:
            if kind == "self_inspection":
                assert isinstance(target, _MineInfo)
                mine = target.mine
                record = services.record_self_inspection(
                    actor=self.enterprise_actor_for(mine), mine=mine, period=data["period"],
                    organised_on=data["organised_on"], organiser=f"{target.principal}（矿长）",
                    hazards_found=data["hazards_found"], notes="全系统各环节重大事故隐患排查", today=day)
                self.recorded_at[record.pk] = self.stamp(day)
                self.counts["self_inspections"] += 1
            else:
                assert isinstance(target, _Plan)
                self.run_step(target, day, kind, data)
        self.backdate()
        escalations = services.escalation_scan(today=self.today)
        RuleDecision.objects.filter(rule="escalation_suggestion", decided_at__gte=self.started).update(
            decided_at=min(timezone.make_aware(dt.datetime.combine(self.today, dt.time(6))), self.started))
        HazardEvent.objects.filter(kind="decision", time__gte=self.started).update(
            time=min(timezone.make_aware(dt.datetime.combine(self.today, dt.time(6))), self.started))
        return self.summary(infos, escalations)

    def summary(self, infos: list[_MineInfo], escalations: int) -> dict[str, Any]:
        hazards = Hazard.objects.all()
        decisions = RuleDecision.objects.all()
        missing = 0
        done: dict[int, set[str]] = defaultdict(set)
        for mine_id, period in SelfInspection.objects.values_list("mine_id", "period"):
            done[mine_id].add(period)
        for info in infos:
            if info.mine.status == "production":
                missing += len(rules.missing_self_inspections(info.mine.sector, done[info.mine.pk], info.start,
                                                              self.today))
        return {
            "hazards": hazards.count(),
            "mines_with_hazards": hazards.values("mine").distinct().count(),
            "by_status": dict(Counter(hazards.values_list("status", flat=True))),
            "by_source": dict(Counter(hazards.values_list("source", flat=True))),
            "overdue": hazards.overdue(self.today).count(),
            "listed": hazards.filter(listed=True).count(),
            "listings": self.counts["listings"],
            "extensions_approved": self.counts["extensions_approved"],
            "extensions_rejected": self.counts["extensions_rejected"],
            "closure_rejections": self.counts["closure_rejections"],
            "closure_proposal_mines": decisions.filter(code="propose_closure").values("mine").distinct().count(),
            "repeat_offence_mines": decisions.filter(code="repeat_offence").values("mine").distinct().count(),
            "problem_mines": sum(1 for i in infos if i.problem),
            "surplus_not_placed": self.counts["surplus_not_placed"],
            "escalation_suggestions": escalations,
            "self_inspections": self.counts["self_inspections"],
            "missing_self_inspections": missing,
            "evidence_files": Evidence.objects.count(),
        }


def _standards_of(sector: str) -> list[Any]:
    return [s for s in ALL_STANDARDS if sector in s.sectors]


def _family_pool(sector: str, start: dt.date, end: dt.date) -> int:
    """How many distinct category families a mine of ``sector`` can be found with between the dates."""
    families: set[str] = set()
    for day in (start, end):
        try:
            standard = standard_for(sector, day)
        except LookupError:
            continue
        families.update(category_family(c.code) for c in standard.categories if _category_weight(c) >= 1)
    return len(families)


def _category_weight(category: HazardCategory) -> float:
    """Placeholders for text we could not verify are drawn rarely; common failures more often."""
    if category.title == OTHER_UNVERIFIED_TEXT or "待核实" in category.title:
        return 0.3
    for key, weight in (("通风", 3.0), ("水", 2.5), ("瓦斯", 2.0), ("出口", 2.5), ("边坡", 3.0), ("坝", 2.5),
                        ("监测", 2.0), ("监控", 2.0), ("超能力", 1.5), ("图纸", 1.5), ("设备", 1.5)):
        if key in category.title:
            return weight
    return 1.0


def build_hazard_demo(*, seed: int = 2024, hazards: int = DEFAULT_HAZARDS, stdout: Any = None,
                      today: dt.date | None = None) -> dict[str, Any]:
    """Build the demo hazard ledger in one transaction and return counts of what was created.

    Raises RuntimeError when hazards already exist or the registry demo is missing.
    """
    if hazards < 1:
        raise ValueError("hazards must be at least 1")
    blocker = hazard_demo_blocker()
    if blocker:
        raise RuntimeError(f"cannot build the hazard demo: {blocker}")
    builder = _Builder(seed=seed, hazards=hazards, today=today or timezone.localdate(), stdout=stdout)
    # the steps' typed notes are Chinese; run the services in the site's language like a request would
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        return builder.run()
