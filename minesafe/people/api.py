"""People API: persons (ID numbers masked; full number only through the audited reveal), posts,
training sessions and drills, stored findings and compliance summaries. Same scoping and services
as the pages."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minesafe.accounts.permissions import require
from minesafe.core.api import BoundedPagination, StrictSchema
from minesafe.core.errors import FieldErrors
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import code_prefix_q
from minesafe.people import queries, services
from minesafe.people.choices import Consequence, Education, EmploymentType, PostKind, TrainingKind
from minesafe.people.models import Finding, MineCheck, Person, Post, TrainingSession
from minesafe.registry.models import Enterprise, Mine

router = Router(tags=["people"])

EducationCode = Literal[tuple(Education.values)]  # type: ignore[valid-type]
EmploymentCode = Literal[tuple(EmploymentType.values)]  # type: ignore[valid-type]
PostCode = Literal[tuple(PostKind.values)]  # type: ignore[valid-type]
TrainingCode = Literal[tuple(TrainingKind.values)]  # type: ignore[valid-type]
ConsequenceCode = Literal[tuple(Consequence.values)]  # type: ignore[valid-type]


class PersonOut(Schema):
    id: int
    enterprise_id: int
    name: str
    id_masked: str = Field(description="ID number, masked (first 6 and last 4 characters)")
    education: str
    major: str
    core_discipline: bool
    years_experience: Decimal
    employment_type: str
    contractor: str
    contractor_parent_employee: bool | None
    updated_at: dt.datetime


class PersonIn(StrictSchema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=30, description="18-character resident ID number (GB 11643)")
    education: EducationCode | None = None
    major: str | None = Field(None, max_length=100)
    core_discipline: bool | None = None
    years_experience: Decimal | None = Field(None, ge=0, le=80, max_digits=4, decimal_places=1)
    employment_type: EmploymentCode | None = None
    contractor: str | None = Field(None, max_length=200)
    contractor_parent_employee: bool | None = None


class PersonCreateIn(PersonIn):
    enterprise_id: int | None = None


class RevealIn(StrictSchema):
    reason: str = Field("", max_length=500)


class RevealOut(Schema):
    id: int
    id_number: str


class PostOut(Schema):
    id: int
    person_id: int
    mine_id: int
    kind: str
    underground: bool
    start_date: dt.date
    end_date: dt.date | None
    also_holds: list[str]
    certificate_type: str
    certificate_no: str
    certificate_issued: dt.date | None
    certificate_expires: dt.date | None
    first_certified: dt.date | None
    first_underground_special_op: bool
    updated_at: dt.datetime


class PostIn(StrictSchema):
    kind: PostCode | None = None
    underground: bool | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    also_holds: list[PostCode] | None = None
    certificate_type: str | None = Field(None, max_length=100)
    certificate_no: str | None = Field(None, max_length=64)
    certificate_issued: dt.date | None = None
    certificate_expires: dt.date | None = None
    first_certified: dt.date | None = None
    first_underground_special_op: bool | None = None


class PostCreateIn(PostIn):
    person_id: int
    mine_id: int


class TrainingOut(Schema):
    id: int
    mine_id: int
    date: dt.date
    kind: str
    title: str
    hours: Decimal | None
    attendee_ids: list[int]


class TrainingIn(StrictSchema):
    mine_id: int
    date: dt.date
    kind: TrainingCode
    title: str = Field(..., max_length=200)
    hours: Decimal | None = Field(None, gt=0, le=1000, max_digits=5, decimal_places=1)
    attendee_ids: list[int] = Field(default_factory=list, max_length=5000)


class FindingOut(Schema):
    id: int
    mine_id: int
    rule_id: str
    message: str
    citation: str
    consequence: str
    severity: str
    subject: str
    post_kind: str
    person_id: int | None
    post_id: int | None


class CheckOut(Schema):
    mine_id: int
    as_of: dt.date
    computed_at: dt.datetime
    rule_version: str
    findings_count: int
    halt_count: int
    by_consequence: dict[str, int]
    employees: int
    trained: int
    training_rate: Decimal | None
    last_drill: dt.date | None


class MineComplianceOut(Schema):
    check: CheckOut | None
    findings: list[FindingOut]


class RuleCount(Schema):
    rule_id: str
    n: int


class DivisionComplianceOut(Schema):
    mines: int
    reported: int
    employees: int
    trained: int
    training_rate: float | None
    findings: int
    by_rule: list[RuleCount]
    by_consequence: dict[str, int]
    halt_mine_ids: list[int]


def _rename(exc: FieldErrors, names: dict[str, str]) -> FieldErrors:
    return FieldErrors({names.get(k, k): v for k, v in exc.errors.items()})


# --- persons ---------------------------------------------------------------------------------


class PersonFilters(Schema):
    q: str | None = Field(None, max_length=50)
    mine_id: int | None = Field(None, ge=1, le=2**62)
    enterprise_id: int | None = Field(None, ge=1, le=2**62)
    employment_type: EmploymentCode | None = None


@router.get("/people/persons", response=list[PersonOut])
@paginate(BoundedPagination)
def list_persons(request: HttpRequest, filters: Query[PersonFilters]) -> Any:
    require(request.auth, "people.view")
    qs = Person.objects.visible_to(request.auth).order_by("name", "id")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.mine_id is not None:
        qs = qs.filter(pk__in=Post.objects.visible_to(request.auth).filter(mine_id=filters.mine_id)
                       .values("person_id"))
    if filters.enterprise_id is not None:
        qs = qs.filter(enterprise_id=filters.enterprise_id)
    if filters.employment_type:
        qs = qs.filter(employment_type=filters.employment_type)
    return qs


@router.get("/people/persons/{int:pk}", response=PersonOut)
def get_person(request: HttpRequest, pk: int) -> Person:
    require(request.auth, "people.view")
    return get_object_or_404(Person.objects.visible_to(request.auth), pk=pk)


@router.post("/people/persons", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonCreateIn) -> tuple[int, Person]:
    require(request.auth, "people.manage")
    data = payload.dict(exclude_unset=True)
    enterprise = None
    eid = data.pop("enterprise_id", None)
    if eid is not None:
        enterprise = Enterprise.objects.visible_to(request.auth).filter(pk=eid).first()
        if enterprise is None:
            raise FieldErrors.single("enterprise_id", "未找到企业")
    try:
        person = services.create_person(actor=request.auth, data=data, enterprise=enterprise,
                                        request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"enterprise": "enterprise_id"}) from None
    return 201, person


@router.patch("/people/persons/{int:pk}", response=PersonOut)
def update_person(request: HttpRequest, pk: int, payload: PersonIn) -> Person:
    require(request.auth, "people.manage")
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=pk)
    return services.update_person(actor=request.auth, person=person, data=payload.dict(exclude_unset=True),
                                  request_id=request_id_of(request))


@router.post("/people/persons/{int:pk}/reveal", response=RevealOut)
def reveal_id(request: HttpRequest, pk: int, payload: RevealIn) -> dict[str, Any]:
    """The full ID number (roles holding ``people.reveal_id``); every call is in the audit log."""
    require(request.auth, "people.reveal_id")
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=pk)
    number = services.reveal_id_number(actor=request.auth, person=person, reason=payload.reason,
                                       request_id=request_id_of(request))
    return {"id": person.pk, "id_number": number}


# --- posts -----------------------------------------------------------------------------------


class PostFilters(Schema):
    mine_id: int | None = Field(None, ge=1, le=2**62)
    person_id: int | None = Field(None, ge=1, le=2**62)
    kind: PostCode | None = None
    current: bool | None = None


@router.get("/people/posts", response=list[PostOut])
@paginate(BoundedPagination)
def list_posts(request: HttpRequest, filters: Query[PostFilters]) -> Any:
    require(request.auth, "people.view")
    qs = Post.objects.visible_to(request.auth).order_by("mine_id", "kind", "id")
    for f in ("mine_id", "person_id", "kind"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    if filters.current is not None:
        qs = qs.filter(end_date__isnull=filters.current)
    return qs


@router.post("/people/posts", response={201: PostOut})
def create_post(request: HttpRequest, payload: PostCreateIn) -> tuple[int, Post]:
    require(request.auth, "people.manage")
    data = payload.dict(exclude_unset=True)
    person = Person.objects.visible_to(request.auth).filter(pk=data.pop("person_id")).first()
    mine = Mine.objects.visible_to(request.auth).filter(pk=data.pop("mine_id")).first()
    errors = {}
    if person is None:
        errors["person_id"] = ["未找到人员"]
    if mine is None:
        errors["mine_id"] = ["未找到矿山"]
    if errors:
        raise FieldErrors(errors)
    try:
        post = services.add_post(actor=request.auth, person=person, mine=mine, data=data,
                                 request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"mine": "mine_id"}) from None
    return 201, post


@router.patch("/people/posts/{int:pk}", response=PostOut)
def update_post(request: HttpRequest, pk: int, payload: PostIn) -> Post:
    require(request.auth, "people.manage")
    post = get_object_or_404(Post.objects.visible_to(request.auth), pk=pk)
    return services.update_post(actor=request.auth, post=post, data=payload.dict(exclude_unset=True),
                                request_id=request_id_of(request))


# --- training --------------------------------------------------------------------------------


class TrainingFilters(Schema):
    mine_id: int | None = Field(None, ge=1, le=2**62)
    kind: TrainingCode | None = None
    year: int | None = Field(None, ge=1990, le=2100)


def _training_out(session: TrainingSession) -> dict[str, Any]:
    return {"id": session.pk, "mine_id": session.mine_id, "date": session.date, "kind": session.kind,
            "title": session.title, "hours": session.hours,
            "attendee_ids": sorted(a.person_id for a in session.attendance.all())}


@router.get("/people/training", response=list[TrainingOut])
@paginate(BoundedPagination)
def list_training(request: HttpRequest, filters: Query[TrainingFilters]) -> Any:
    require(request.auth, "people.view")
    qs = TrainingSession.objects.visible_to(request.auth).prefetch_related("attendance").order_by("-date", "-id")
    if filters.mine_id is not None:
        qs = qs.filter(mine_id=filters.mine_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.year is not None:
        qs = qs.filter(date__year=filters.year)
    return [_training_out(s) for s in qs]


@router.get("/people/training/{int:pk}", response=TrainingOut)
def get_training(request: HttpRequest, pk: int) -> dict[str, Any]:
    require(request.auth, "people.view")
    session = get_object_or_404(TrainingSession.objects.visible_to(request.auth), pk=pk)
    return _training_out(session)


@router.post("/people/training", response={201: TrainingOut})
def create_training(request: HttpRequest, payload: TrainingIn) -> tuple[int, dict[str, Any]]:
    require(request.auth, "people.manage")
    mine = Mine.objects.visible_to(request.auth).filter(pk=payload.mine_id).first()
    if mine is None:
        raise FieldErrors.single("mine_id", "未找到矿山")
    ids = set(payload.attendee_ids)
    people = list(Person.objects.visible_to(request.auth).filter(pk__in=ids))
    if len(people) != len(ids):
        raise FieldErrors.single("attendee_ids", "未找到部分人员")
    session = services.record_training(
        actor=request.auth, mine=mine, attendees=people, request_id=request_id_of(request),
        data={"date": payload.date, "kind": payload.kind, "title": payload.title, "hours": payload.hours},
    )
    return 201, _training_out(session)


# --- findings and compliance -----------------------------------------------------------------


class FindingFilters(Schema):
    mine_id: int | None = Field(None, ge=1, le=2**62)
    rule_id: str | None = Field(None, max_length=64)
    consequence: ConsequenceCode | None = None
    division: str | None = Field(None, max_length=12, description="division code prefix")


@router.get("/people/findings", response=list[FindingOut])
@paginate(BoundedPagination)
def list_findings(request: HttpRequest, filters: Query[FindingFilters]) -> Any:
    require(request.auth, "people.view")
    qs = Finding.objects.visible_to(request.auth).order_by("mine_id", "-severity_rank", "rule_id", "id")
    for f in ("mine_id", "rule_id", "consequence"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    if filters.division:
        qs = qs.filter(code_prefix_q("mine__county__code", filters.division))
    return qs


@router.get("/people/mines/{int:pk}/compliance", response=MineComplianceOut)
def mine_compliance(request: HttpRequest, pk: int) -> dict[str, Any]:
    require(request.auth, "people.view")
    mine = get_object_or_404(Mine.objects.visible_to(request.auth), pk=pk)
    check = MineCheck.objects.filter(mine=mine, is_current=True).first()
    return {"check": check, "findings": list(Finding.objects.filter(mine=mine))}


@router.post("/people/mines/{int:pk}/recheck", response=CheckOut)
def recheck(request: HttpRequest, pk: int) -> MineCheck:
    require(request.auth, "people.recheck")
    mine = get_object_or_404(Mine.objects.visible_to(request.auth), pk=pk)
    return services.recheck_mine(actor=request.auth, mine=mine, request_id=request_id_of(request))


class DivisionFilter(Schema):
    division: str | None = Field(None, max_length=12, description="division code prefix")


@router.get("/people/compliance", response=DivisionComplianceOut)
def division_compliance(request: HttpRequest, filters: Query[DivisionFilter]) -> dict[str, Any]:
    require(request.auth, "people.view")
    mines = Mine.objects.visible_to(request.auth)
    checks = MineCheck.objects.visible_to(request.auth)
    findings = Finding.objects.visible_to(request.auth)
    if filters.division:
        mines = mines.filter(code_prefix_q("county__code", filters.division))
        checks = checks.filter(code_prefix_q("mine__county__code", filters.division))
        findings = findings.filter(code_prefix_q("mine__county__code", filters.division))
    data = queries.division_summary(mines, checks, findings)
    return {
        "mines": data["mines"], "reported": data["reported"], "employees": data["employees"],
        "trained": data["trained"], "training_rate": data["rate"], "findings": data["findings"],
        "by_rule": data["by_rule"], "by_consequence": {c: n for c, _label, n in data["by_consequence"]},
        "halt_mine_ids": sorted(m.pk for m in data["halt_mines"]),
    }
