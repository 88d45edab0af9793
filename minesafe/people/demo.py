"""Demo rosters, training and drills on top of the registry demo (``manage.py demo_people``).

Every mine that is not closed gets a roster sized to its sector: underground mines the five posts
(矿长 also 主要负责人), the five sections, safety managers, certified special operators and workers;
open pits a 矿长, a safety manager, special operators and workers; tailings ponds a safety manager and
workers. Everyone attended last year's all-staff training and most attended this year's; each mine
held an escape drill every five months. Deliberate violations, at the demo enterprise's mines where
it has suitable ones (so ``ent_principal`` sees them) and otherwise in the demo county:

- a 矿长 with 8 years of front-line experience (五职 need 10);
- a dispatched (劳务派遣) worker in an underground post;
- a special operator whose certificate expired;
- an underground mine without a 通风科 head (→ 责令停产整顿);
- an intern who missed this year's training;
- a mine whose last escape drill was seven months ago.

Rows are bulk-inserted (one audit entry for the build); findings are then computed through
``services.recompute_mine`` as of today, and for the demo county's mines also at the last two month
ends, so its compliance trend has history. Deterministic for a given seed and "today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from minesafe.core import audit
from minesafe.people import crypto, services
from minesafe.people.models import Attendance, MineCheck, Person, Post, TrainingSession
from minesafe.registry.demo import COUNTY_CODE, DEMO_ENTERPRISE
from minesafe.registry.models import Mine
from minesafe.rules import people as rules
from minesafe.rules.hazards import add_months

__all__ = ["build_people_demo", "people_demo_blocker"]

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林于董宋曲姜韩关佟吕苏包白金崔冯"
_GIVEN = ("建军", "志刚", "海涛", "立新", "国庆", "宏伟", "春雨", "长青", "晓东", "振华", "德明", "永利", "秀英",
          "丽娟", "明远", "玉峰", "建平", "成林", "福生", "红梅", "大勇", "宝山", "广辉", "铁柱", "雪松", "文博")
_MAJORS = {"coal": "采矿工程", "metal_underground": "采矿工程", "metal_open_pit": "采矿工程", "tailings": "安全工程"}
_SECTION_MAJORS = {"section_mining": "采矿工程", "section_development": "采矿工程", "section_electromech": "机械工程",
                   "section_ventilation": "安全工程", "section_geology_water": "地质工程"}
_CERTS = ("井下电气作业", "提升机操作作业", "爆破作业", "支柱作业", "安全检查作业", "排水作业")
_UNDERGROUND = ("coal", "metal_underground")
_CERT_YEARS = 6  # special-operation certificates are valid for six years


def people_demo_blocker() -> str:
    """Why the demo cannot be built into this database ("" = it can)."""
    count = Person.objects.count()
    if count:
        return f"{count} persons already exist"
    if not Mine.objects.exclude(status="closed").exists():
        return "the registry demo is missing (run `manage.py demo` first)"
    return ""


class _Builder:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 — demo data
        self.today = today
        self.persons: list[Person] = []
        self.posts: list[tuple[Person, Post]] = []
        self.ids: set[str] = set()
        self.violations: dict[str, str] = {}

    def id_number(self, county: str, age: int) -> str:
        while True:
            birth = self.today - dt.timedelta(days=int(age * 365.25) + self.rng.randint(0, 364))
            body = f"{county}{birth:%Y%m%d}{self.rng.randint(0, 999):03d}"
            number = body + rules.id_check_char(body)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def person(self, mine: Mine, *, education: str, years: float, employment: str = "regular", core: bool = True,
               major: str = "") -> Person:
        name = self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)
        number = self.id_number(mine.county_id, int(22 + years + self.rng.randint(0, 8)))
        person = Person(
            enterprise_id=mine.enterprise_id, name=name, education=education, major=major if core or major else "",
            core_discipline=core, years_experience=Decimal(str(years)), employment_type=employment,
            id_cipher=crypto.encrypt_id(number), id_index=crypto.blind_index(number),
            id_masked=rules.mask_id_number(number),
        )
        self.persons.append(person)
        return person

    def post(self, person: Person, mine: Mine, kind: str, *, underground: bool, **extra: Any) -> Post:
        start = extra.pop("start_date", None) or self.today - dt.timedelta(days=self.rng.randint(200, 2500))
        post = Post(mine=mine, kind=kind, underground=underground, start_date=start, **extra)
        self.posts.append((person, post))
        return post

    def certificate(self, *, expired: bool = False) -> dict[str, Any]:
        if expired:
            expires = self.today - dt.timedelta(days=self.rng.randint(20, 120))
        else:
            expires = self.today + dt.timedelta(days=self.rng.randint(90, 2000))
        issued = add_months(expires, -12 * _CERT_YEARS)
        return {"certificate_type": self.rng.choice(_CERTS), "certificate_no": f"T{self.rng.randint(10**16, 10**17)}",
                "certificate_issued": issued, "certificate_expires": expires, "first_certified": issued}

    def roster(self, mine: Mine, flags: set[str]) -> None:
        sector = mine.sector
        underground = sector in _UNDERGROUND
        major = _MAJORS[sector]
        if sector != "tailings":
            years = 8.0 if "manager_8_years" in flags else float(self.rng.randint(11, 30))
            manager = self.person(mine, education=self.rng.choice(["college", "bachelor"]), years=years, major=major)
            self.post(manager, mine, "mine_manager", underground=False, also_holds=["principal"])
            if "manager_8_years" in flags:
                self.violations["manager_8_years"] = f"{mine.name}：矿长{manager.name}（一线经历8年）"
        if underground:
            for kind in ("chief_engineer", "safety_deputy", "production_deputy", "electromech_deputy"):
                p = self.person(mine, education=self.rng.choice(["college", "bachelor", "master_or_above"]),
                                years=float(self.rng.randint(10, 28)), major=major)
                self.post(p, mine, kind, underground=False)
            for kind in ("section_mining", "section_development", "section_electromech", "section_ventilation",
                         "section_geology_water"):
                if kind == "section_ventilation" and "missing_section" in flags:
                    self.violations["missing_section"] = f"{mine.name}：未配备通风科负责人"
                    continue
                p = self.person(mine, education=self.rng.choice(["secondary_vocational", "college", "bachelor"]),
                                years=float(self.rng.randint(5, 20)), major=_SECTION_MAJORS[kind])
                self.post(p, mine, kind, underground=True)
            if sector == "coal":
                p = self.person(mine, education="college", years=float(self.rng.randint(3, 15)), major="安全工程")
                self.post(p, mine, "safety_department_head", underground=False)
        for _ in range(1 if sector == "tailings" else 2):
            p = self.person(mine, education=self.rng.choice(["secondary_vocational", "college"]),
                            years=float(self.rng.randint(2, 15)), major="安全工程")
            self.post(p, mine, "safety_manager", underground=False)
        operators = {"coal": 3, "metal_underground": 3, "metal_open_pit": 2, "tailings": 0}[sector]
        for i in range(operators):
            p = self.person(mine, education=self.rng.choice(["high_school", "secondary_vocational"]),
                            years=float(self.rng.randint(2, 20)), core=False)
            expired = i == 0 and "expired_certificate" in flags
            self.post(p, mine, "special_operator", underground=underground, **self.certificate(expired=expired))
            if expired:
                self.violations["expired_certificate"] = f"{mine.name}：特种作业人员{p.name}证书已过期"
        for _ in range({"coal": 4, "metal_underground": 4, "metal_open_pit": 3, "tailings": 2}[sector]):
            p = self.person(mine, education=self.rng.choice(["junior_high_or_below", "high_school"]),
                            years=float(self.rng.randint(1, 25)), core=False)
            self.post(p, mine, "worker", underground=underground)
        if "dispatched_underground" in flags:
            p = self.person(mine, education="junior_high_or_below", years=2.0, employment="dispatched", core=False)
            self.post(p, mine, "worker", underground=True)
            self.violations["dispatched_underground"] = f"{mine.name}：劳务派遣人员{p.name}在井下岗位"
        if "untrained_intern" in flags:
            p = self.person(mine, education="college", years=0.0, employment="intern", core=False)
            p.untrained = True  # type: ignore[attr-defined]
            self.post(p, mine, "worker", underground=False, start_date=dt.date(self.today.year, 1, 2))
            self.violations["untrained_intern"] = f"{mine.name}：实习生{p.name}本年度未参加培训"

    def fix_post_starts(self) -> None:
        for _person, post in self.posts:
            if post.start_date > self.today:
                post.start_date = self.today


def _targets(mines: list[Mine]) -> dict[int, set[str]]:
    """Where the deliberate violations go: the demo enterprise's mines first, then the demo county's."""
    def rank(m: Mine) -> tuple[int, int]:
        return (0 if m.enterprise.name == DEMO_ENTERPRISE else 1 if m.county_id == COUNTY_CODE else 2, m.pk)

    ordered = sorted(mines, key=rank)
    underground = [m for m in ordered if m.sector in _UNDERGROUND]
    flags: dict[int, set[str]] = {}
    if underground:
        flags.setdefault(underground[0].pk, set()).update({"manager_8_years", "expired_certificate",
                                                           "dispatched_underground"})
        flags.setdefault(underground[min(1, len(underground) - 1)].pk, set()).add("missing_section")
    flags.setdefault(ordered[0].pk, set()).add("untrained_intern")
    drill_mine = ordered[1] if len(ordered) > 1 else ordered[0]
    flags.setdefault(drill_mine.pk, set()).add("late_drill")
    return flags


def build_people_demo(*, seed: int = 2024, today: dt.date | None = None, history_months: int = 2,
                      stdout: Any = None) -> dict[str, Any]:
    """Build the demo rosters, training, drills and findings; returns counts for the command's summary."""
    today = today or timezone.localdate()
    mines = list(Mine.objects.exclude(status="closed").select_related("enterprise").order_by("pk"))
    if not mines:
        raise RuntimeError("the registry demo is missing (run `manage.py demo` first)")
    builder = _Builder(seed, today)
    flags = _targets(mines)
    for mine in mines:
        builder.roster(mine, flags.get(mine.pk, set()))
    builder.fix_post_starts()
    with transaction.atomic():
        Person.objects.bulk_create(builder.persons, batch_size=500)
        for person, post in builder.posts:
            post.person = person
        Post.objects.bulk_create([post for _p, post in builder.posts], batch_size=500)
        sessions, attendance = _training(builder, mines, flags)
        audit.record(actor=None, action="people.demo.build", object_type="people.person",
                     after={"persons": len(builder.persons), "posts": len(builder.posts), "sessions": sessions,
                            "attendance": attendance, "violations": builder.violations})
    first = today.replace(day=1)
    as_of_dates = [add_months(first, -back) - dt.timedelta(days=1) for back in range(history_months - 1, -1, -1)]
    # History (for the trend chart) for the demo county's mines only: it keeps the build under ten seconds.
    local = [m for m in mines if m.county_id == COUNTY_CODE]
    for as_of in [*as_of_dates, today]:
        for mine in (mines if as_of == today else local):
            with transaction.atomic():
                check = services.recompute_mine(mine, today=as_of)
            MineCheck.objects.filter(pk=check.pk).update(computed_at=timezone.make_aware(
                dt.datetime.combine(as_of, dt.time(23, 0))) if as_of != today else timezone.now())
    current = MineCheck.objects.filter(is_current=True)
    return {
        "persons": len(builder.persons), "posts": len(builder.posts), "mines": len(mines), "sessions": sessions,
        "attendance": attendance, "violations": builder.violations,
        "findings": sum(current.values_list("findings_count", flat=True)),
        "mines_to_halt": current.filter(halt_count__gt=0).count(),
        "by_employment": Counter(p.employment_type for p in builder.persons),
    }


def _training(builder: _Builder, mines: list[Mine], flags: dict[int, set[str]]) -> tuple[int, int]:
    rng, today = builder.rng, builder.today
    staff: dict[int, list[Person]] = {}
    for person, post in builder.posts:
        staff.setdefault(post.mine_id, []).append(person)
    sessions: list[tuple[TrainingSession, list[Person]]] = []
    this_year_latest = max(dt.date(today.year, 1, 10), today - dt.timedelta(days=20))
    for mine in mines:
        people = list({p.pk: p for p in staff.get(mine.pk, [])}.values())
        last_year = dt.date(today.year - 1, rng.randint(3, 11), rng.randint(1, 28))
        sessions.append((TrainingSession(mine=mine, date=last_year, kind="all_staff",
                                         title=f"{last_year.year}年度全员安全培训", hours=Decimal("24")), people))
        span = max(0, (this_year_latest - dt.date(today.year, 1, 10)).days)
        this_year = dt.date(today.year, 1, 10) + dt.timedelta(days=rng.randint(0, span))
        attended = [p for p in people if not getattr(p, "untrained", False) and rng.random() < 0.985]
        sessions.append((TrainingSession(mine=mine, date=min(this_year, today), kind="all_staff",
                                         title=f"{today.year}年度全员安全培训", hours=Decimal("24")), attended))
        # Escape drills every five months, the last one 1–4 months ago (7 months for the late mine).
        last = today - dt.timedelta(days=210 if "late_drill" in flags.get(mine.pk, set()) else rng.randint(30, 120))
        if "late_drill" in flags.get(mine.pk, set()):
            builder.violations["late_drill"] = f"{mine.name}：上次应急演练为 {last}"
        for k in range(4):
            when = add_months(last, -5 * k)
            sessions.append((TrainingSession(mine=mine, date=when, kind="drill", title="紧急撤离和逃生避险应急演练",
                                             hours=Decimal("2")), rng.sample(people, k=len(people) * 3 // 4)))
    TrainingSession.objects.bulk_create([s for s, _p in sessions], batch_size=500)
    rows = [Attendance(session=s, person=p) for s, people in sessions for p in people]
    Attendance.objects.bulk_create(rows, batch_size=2000)
    return len(sessions), len(rows)
