"""xlsx import and export of rosters (persons and posts), training attendance and findings.

Import follows ``registry.io``: the whole sheet is parsed first (a file unusable as a whole raises
``SheetError`` and writes nothing), then each row is written in its own savepoint through the
services; a bad row is reported with its row number, column and reason and leaves nothing behind,
good rows are kept. The findings of every touched mine are recomputed once at the end instead of
after every row. Exports show ID numbers masked; an exported roster carries 人员编号 (the person's
number), so export → edit → import updates in place without the full ID number.

Uploads run as background ``core.ImportJob`` runs of kind :data:`ROSTER_IMPORT_KIND` or
:data:`TRAINING_IMPORT_KIND` (registered in ``PeopleConfig.ready``; see ``core.jobs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from minesafe.accounts.models import User
from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors
from minesafe.core.xlsx import (
    Column,
    RowError,
    bool_or_none,
    choice,
    date_or_none,
    decimal_or_none,
    int_or_none,
    read_sheet,
    text,
    write_row,
    write_workbook,
)
from minesafe.people import crypto, services
from minesafe.people.models import Attendance, Person, Post, TrainingSession
from minesafe.registry.models import Enterprise, Mine
from minesafe.rules import people as rules

__all__ = ["JOB_KINDS", "ROSTER_COLUMNS", "ROSTER_IMPORT_KIND", "TRAINING_COLUMNS", "TRAINING_IMPORT_KIND",
           "ImportResult", "export_findings", "export_roster", "import_roster", "import_training", "own_enterprise",
           "roster_template", "training_template"]

ROSTER_IMPORT_KIND = "people.roster"
TRAINING_IMPORT_KIND = "people.training"
JOB_KINDS = (ROSTER_IMPORT_KIND, TRAINING_IMPORT_KIND)

EDUCATION_ZH = {e.value: label for e, label in rules.EDUCATION_LABELS.items()}
EMPLOYMENT_ZH = {e.value: label for e, label in rules.EMPLOYMENT_TYPE_LABELS.items()}
POST_ZH = {k.value: label for k, label in rules.POST_LABELS.items()}
TRAINING_ZH = {"principal": "主要负责人", "safety_manager": "安全管理人员", "special_operator": "特种作业",
               "all_staff": "全员", "drill": "应急演练"}
CONSEQUENCE_ZH = {c.value: label for c, label in rules.CONSEQUENCE_LABELS.items()}
SEVERITY_ZH = {s.value: label for s, label in rules.SEVERITY_LABELS.items()}


def _yes_no(value: Any) -> str:
    return "" if value is None else ("是" if value else "否")


def _labelled(labels: dict[str, str]) -> Callable[[Any], str]:
    return lambda v: labels.get(v, v or "")


def _positive_id(value: Any) -> int | None:
    number = int_or_none(value)
    if number is not None and not 0 < number < 2**63:
        raise ValueError(f"编号无效：{value}")
    return number


def _also_holds(value: Any) -> list[str]:
    parse = choice(POST_ZH)
    raw = text(value).replace("，", "、").replace(",", "、")
    return [parse(part) for part in raw.split("、") if part.strip()]


def _id_cell(value: Any) -> str:
    return rules.normalize_id_number(text(value))


ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("person_id", "人员编号", _positive_id, width=10),
    Column("name", "姓名", text, required=True, width=10),
    Column("id_number", "身份证号", _id_cell, width=21),
    Column("education", "学历", choice(EDUCATION_ZH), required=True, export=_labelled(EDUCATION_ZH), width=10),
    Column("major", "专业", text, width=16),
    Column("core_discipline", "主体专业", bool_or_none, export=_yes_no, width=8),
    Column("years_experience", "矿山一线从业年限", decimal_or_none, width=10),
    Column("employment_type", "用工形式", choice(EMPLOYMENT_ZH), required=True, export=_labelled(EMPLOYMENT_ZH)),
    Column("contractor", "外包单位", text, width=20),
    Column("contractor_parent_employee", "上级法人单位正式职工", bool_or_none, export=_yes_no, width=10),
    Column("mine_id", "矿山编号", _positive_id, width=10),
    Column("mine_name", "矿山名称", text, width=24),
    Column("kind", "岗位", choice(POST_ZH), export=_labelled(POST_ZH), width=14),
    Column("underground", "井下岗位", bool_or_none, export=_yes_no, width=8),
    Column("start_date", "任职日期", date_or_none, width=12),
    Column("end_date", "离任日期", date_or_none, width=12),
    Column("also_holds", "兼任", _also_holds, export=lambda v: "、".join(POST_ZH.get(k, k) for k in v or []),
           width=14),
    Column("certificate_type", "证书类型", text, width=16),
    Column("certificate_no", "证书编号", text, width=20),
    Column("certificate_issued", "发证日期", date_or_none, width=12),
    Column("certificate_expires", "证书有效期至", date_or_none, width=12),
    Column("first_certified", "初次取证日期", date_or_none, width=12),
    Column("first_underground_special_op", "首次取证地下特种作业", bool_or_none, export=_yes_no, width=10),
)
ROSTER_HEADERS = {c.key: c.header for c in ROSTER_COLUMNS}

TRAINING_COLUMNS: tuple[Column, ...] = (
    Column("mine_id", "矿山编号", _positive_id, required=True, width=10),
    Column("date", "培训日期", date_or_none, required=True, width=12),
    Column("kind", "培训类型", choice(TRAINING_ZH), required=True, export=_labelled(TRAINING_ZH), width=12),
    Column("title", "培训名称", text, required=True, width=24),
    Column("hours", "学时", decimal_or_none, width=8),
    Column("person_id", "人员编号", _positive_id, width=10),
    Column("id_number", "身份证号", _id_cell, width=21),
    Column("name", "姓名", text, width=10),
)
TRAINING_HEADERS = {c.key: c.header for c in TRAINING_COLUMNS}

FINDING_COLUMNS: tuple[Column, ...] = (
    Column("mine_id", "矿山编号", text, width=10),
    Column("mine_name", "矿山名称", text, width=24),
    Column("county", "所在区县", text, width=20),
    Column("rule_id", "规则编号", text, width=30),
    Column("message", "问题", text, width=50),
    Column("citation", "依据", text, width=24),
    Column("consequence", "后果", text, export=_labelled(CONSEQUENCE_ZH), width=20),
    Column("severity", "严重程度", text, export=_labelled(SEVERITY_ZH), width=8),
    Column("person", "人员", text, width=10),
    Column("id_masked", "身份证号", text, width=21),
    Column("post_kind", "岗位", text, export=_labelled(POST_ZH), width=14),
    Column("as_of", "检查日期", text, width=12),
    Column("rule_version", "规则版本", text, width=14),
)

_PERSON_KEYS = ("name", "id_number", "education", "major", "core_discipline", "years_experience",
                "employment_type", "contractor", "contractor_parent_employee")
_POST_KEYS = ("kind", "underground", "start_date", "end_date", "also_holds", "certificate_type", "certificate_no",
              "certificate_issued", "certificate_expires", "first_certified", "first_underground_special_op")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    mines: set[int] = field(default_factory=set)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


def _row_errors(headers: dict[str, str], renames: dict[str, str]) -> Callable[[int, FieldErrors], list[RowError]]:
    def convert(row: int, exc: FieldErrors) -> list[RowError]:
        out = []
        for key, messages in exc.errors.items():
            key = renames.get(key, key)
            header = headers.get(key, "" if key == "__all__" else key)
            out.extend(RowError(row, header, m) for m in messages)
        return out

    return convert


def own_enterprise(actor: User) -> Enterprise:
    """The one enterprise a roster import writes to; ``FieldErrors`` when the account has none."""
    enterprises = list(Enterprise.objects.visible_to(actor)[:2])
    if len(enterprises) != 1:
        raise FieldErrors.single("__all__", _("Rosters are imported by the enterprise's own accounts."))
    return enterprises[0]


# --- roster ----------------------------------------------------------------------------------


def _find_person(actor: User, enterprise: Enterprise, values: dict[str, Any]) -> Person | None:
    if values.get("person_id") is not None:
        person = Person.objects.visible_to(actor).filter(pk=values["person_id"], enterprise=enterprise).first()
        if person is None:
            raise FieldErrors.single("person_id", _("No person with this number on your roster."))
        return person
    number = values.get("id_number") or ""
    if not number:
        raise FieldErrors.single("id_number", _("This field is required."))
    return Person.objects.filter(enterprise=enterprise, id_index=crypto.blind_index(number)).first()


def _find_mine(actor: User, enterprise: Enterprise, values: dict[str, Any]) -> Mine:
    mines = Mine.objects.visible_to(actor).filter(enterprise=enterprise)
    if values.get("mine_id") is not None:
        mine = mines.filter(pk=values["mine_id"]).first()
        if mine is None:
            raise FieldErrors.single("mine_id", _("No mine with this number at your enterprise."))
        return mine
    if values.get("mine_name"):
        found = list(mines.filter(name=values["mine_name"])[:2])
        if len(found) == 1:
            return found[0]
        raise FieldErrors.single("mine_name", _("No single mine with this name at your enterprise."))
    raise FieldErrors.single("mine_id", _("A post needs the mine's number or name."))


def _roster_row(actor: User, enterprise: Enterprise, values: dict[str, Any], request_id: str,
                touched: set[int]) -> str:
    """Create or update one person and (when 岗位 is filled) one post; returns created/updated."""
    person_data = {k: values.get(k) for k in _PERSON_KEYS}
    if "*" in (person_data["id_number"] or ""):
        person_data["id_number"] = ""  # an exported, masked number: keep the stored one
    for key in ("core_discipline",):
        person_data[key] = bool(person_data[key])
    existing = _find_person(actor, enterprise, values)
    outcome = "updated"
    if existing is None:
        person = services.create_person(actor=actor, enterprise=enterprise, data=person_data, request_id=request_id)
        outcome = "created"
    else:
        person = services.update_person(actor=actor, person=existing, data=person_data, request_id=request_id,
                                        recompute=False)
        touched.update(Post.objects.filter(person=person).values_list("mine_id", flat=True))
    if values.get("kind"):
        mine = _find_mine(actor, enterprise, values)
        post_data = {k: values.get(k) for k in _POST_KEYS}
        for key in ("underground", "first_underground_special_op"):
            post_data[key] = bool(post_data[key])
        post_data["also_holds"] = post_data["also_holds"] or []
        same = Post.objects.filter(person=person, mine=mine, kind=values["kind"])
        post = (same.filter(start_date=values["start_date"]).first() if values.get("start_date") else None) or \
            same.filter(end_date__isnull=True).first()
        if post is None:
            services.add_post(actor=actor, person=person, mine=mine, data=post_data, request_id=request_id,
                              recompute=False)
            outcome = "created"
        else:
            if post_data["start_date"] is None:
                post_data.pop("start_date")
            services.update_post(actor=actor, post=post, data=post_data, request_id=request_id, recompute=False)
        touched.add(mine.pk)
    return outcome


def _run(actor: User, data: bytes, columns: tuple[Column, ...], headers: dict[str, str], renames: dict[str, str],
         row: Callable[[dict[str, Any], set[int]], str], progress: Callable[[int, int], None] | None,
         action: str, request_id: str) -> ImportResult:
    result = ImportResult()
    parsed = list(read_sheet(data, columns, max_rows=settings.IMPORT_MAX_ROWS))
    total = len(parsed)
    convert = _row_errors(headers, renames)
    for done, (number, values, errors) in enumerate(parsed, start=1):
        if progress is not None:
            progress(done - 1, total)
        if errors:
            result.errors.extend(RowError(e.row, headers.get(e.field, e.field), e.message) for e in errors)
            continue
        touched: set[int] = set()
        outcome, row_errors = write_row(number, lambda values=values, touched=touched: row(values, touched),
                                        lambda exc, number=number: convert(number, exc))
        if row_errors:
            result.errors.extend(row_errors)
            continue
        result.mines |= touched
        if outcome == "created":
            result.created += 1
        else:
            result.updated += 1
    for mine in Mine.objects.filter(pk__in=result.mines):
        with transaction.atomic():
            services.recompute_mine(mine)
    if progress is not None:
        progress(total, total)
    with transaction.atomic():
        audit.record(actor=actor, action=action, object_type="people.person",
                     after={"created": result.created, "updated": result.updated,
                            "rejected_rows": result.rejected_rows, "mines": sorted(result.mines)},
                     request_id=request_id)
    return result


def import_roster(*, actor: User, data: bytes, request_id: str = "",
                  progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import persons and posts from an xlsx (one row = a person, plus a post when 岗位 is filled).

    Raises ``SheetError`` when the file as a whole is unusable (nothing is written then) and
    ``FieldErrors`` when the actor has no single enterprise to import into.
    """
    require(actor, "people.import")
    enterprise = own_enterprise(actor)
    return _run(actor, data, ROSTER_COLUMNS, ROSTER_HEADERS, {"mine": "mine_id"},
                lambda values, touched: _roster_row(actor, enterprise, values, request_id, touched),
                progress, "people.roster.import", request_id)


# --- training attendance ---------------------------------------------------------------------


def _training_row(actor: User, values: dict[str, Any], request_id: str, touched: set[int]) -> str:
    mine = Mine.objects.visible_to(actor).filter(pk=values["mine_id"]).first()
    if mine is None:
        raise FieldErrors.single("mine_id", _("No mine with this number at your enterprise."))
    if values.get("person_id") is not None:
        person = Person.objects.visible_to(actor).filter(pk=values["person_id"], enterprise=mine.enterprise).first()
    elif values.get("id_number"):
        person = Person.objects.filter(enterprise=mine.enterprise,
                                       id_index=crypto.blind_index(values["id_number"])).first()
    else:
        raise FieldErrors.single("id_number", _("Give the person's number or ID number."))
    if person is None:
        raise FieldErrors.single("id_number" if values.get("person_id") is None else "person_id",
                                 _("Not on the roster of the mine's enterprise."))
    session = TrainingSession.objects.filter(mine=mine, date=values["date"], kind=values["kind"],
                                             title=values["title"]).first()
    touched.add(mine.pk)
    if session is None:
        services.record_training(actor=actor, mine=mine, attendees=[person], request_id=request_id, recompute=False,
                                 data={k: values.get(k) for k in ("date", "kind", "title", "hours")})
        return "created"
    if Attendance.objects.filter(session=session, person=person).exists():
        return "updated"
    services.add_attendees(actor=actor, session=session, attendees=[person], request_id=request_id, recompute=False)
    return "created"


def import_training(*, actor: User, data: bytes, request_id: str = "",
                    progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import training attendance (one row = one attendee of one session; sessions are matched by
    mine, date, type and title). Same contract as :func:`import_roster`."""
    require(actor, "people.import")
    return _run(actor, data, TRAINING_COLUMNS, TRAINING_HEADERS, {"mine": "mine_id", "attendees": "id_number"},
                lambda values, touched: _training_row(actor, values, request_id, touched),
                progress, "people.training.import", request_id)


# --- export ----------------------------------------------------------------------------------


def _person_row(p: Person) -> dict[str, Any]:
    row: dict[str, Any] = {k: getattr(p, k) for k in _PERSON_KEYS if k != "id_number"}
    row.update(person_id=p.pk, id_number=p.id_masked)
    return row


def roster_rows(persons: Iterable[Person], posts_of: Callable[[Person], list[Post]]) -> Iterable[dict[str, Any]]:
    for p in persons:
        posts = posts_of(p)
        if not posts:
            yield _person_row(p)
        for post in posts:
            yield _person_row(p) | {k: getattr(post, k) for k in _POST_KEYS} | {
                "mine_id": post.mine_id, "mine_name": post.mine.name}


def export_roster(persons: Any, posts: Any) -> bytes:
    """The given (scoped, filtered) persons with their (scoped) posts; ID numbers masked."""
    by_person: dict[int, list[Post]] = {}
    for post in posts.select_related("mine").order_by("person_id", "mine_id", "kind", "id"):
        by_person.setdefault(post.person_id, []).append(post)
    return write_workbook(ROSTER_COLUMNS, roster_rows(persons, lambda p: by_person.get(p.pk, [])), title="人员名册")


def export_findings(findings: Any) -> bytes:
    rows = (
        {"mine_id": f.mine_id, "mine_name": f.mine.name, "county": f.mine.county.full_name, "rule_id": f.rule_id,
         "message": f.message, "citation": f.citation, "consequence": f.consequence, "severity": f.severity,
         "person": f.person.name if f.person else "", "id_masked": f.person.id_masked if f.person else "",
         "post_kind": f.post_kind, "as_of": f.check_run.as_of.isoformat(), "rule_version": f.check_run.rule_version}
        for f in findings.select_related("mine__county", "person", "check_run")
    )
    return write_workbook(FINDING_COLUMNS, rows, title="人员资质问题")


def roster_template() -> bytes:
    return write_workbook(ROSTER_COLUMNS, [], title="人员名册")


def training_template() -> bytes:
    return write_workbook(TRAINING_COLUMNS, [], title="培训签到")


