"""API for the major-accident-hazard ledger (重大事故隐患台账). Same scoping (``visible_to``) and
services as the pages: handlers only shape input and output.

Errors: service field errors are answered 422 under the request's field names; an object outside
the caller's scope is 404; a role without the permission is 403.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from minesafe.accounts.permissions import require
from minesafe.core.api import BoundedPagination, StrictSchema
from minesafe.core.errors import FieldErrors
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import code_prefix_q
from minesafe.hazards import services, timeline
from minesafe.hazards.models import (
    Evidence,
    Extension,
    Hazard,
    HazardEvent,
    Listing,
    RuleDecision,
    SelfInspection,
)
from minesafe.hazards.querysets import HazardQuerySet
from minesafe.registry.models import Mine
from minesafe.rules import hazards as rules
from minesafe.rules.hazard_standards import category_family

router = Router(tags=["hazards"])

StatusCode = Literal["registered", "rectifying", "awaiting_verification", "closed"]
SourceCode = Literal["self_check", "inspection", "tip_off", "monitoring"]
StopCode = Literal["none", "partial", "full"]
MethodCode = Literal["on_site", "document"]
PURPOSES = ("finding", "rectification")  # Evidence.purpose

TEXT_MAX = 5000  # free-text bodies (description, measures, notes)
NOTE_MAX = 2000  # reasons and notes of a single step


def _today() -> dt.date:
    return timezone.localdate()


def _rename(exc: FieldErrors, names: dict[str, str]) -> FieldErrors:
    """Service field names → request field names; several may merge into one (e.g. ``__all__``)."""
    errors: dict[str, list[str]] = {}
    for key, messages in exc.errors.items():
        errors.setdefault(names.get(key, key), []).extend(messages)
    return FieldErrors(errors)


# Lifecycle errors that concern the hazard's state rather than a field of the request.
STATE_NAMES = {"action": "__all__", "plan": "__all__", "found_on": "__all__", "status": "__all__"}


# --- output schemas ------------------------------------------------------------------------


def _actor_name(user: Any) -> str:
    if user is None:
        return ""
    return user.display_name or user.username


class HazardOut(Schema):
    id: int
    mine_id: int
    mine_name: str
    county_id: str
    source: str
    standard_code: str
    category_code: str
    category_family: str
    item_code: str
    description: str
    location: str
    found_on: dt.date
    found_by: str
    production_stop: str
    status: str
    # 五落实 plan
    responsible_person: str
    measures: str
    funds_yuan: Decimal | None
    contingency_plan: str
    original_deadline: dt.date | None
    deadline: dt.date | None
    overdue: bool
    overdue_days: int
    # close-out
    closed_on: dt.date | None
    verification_method: str
    listed: bool
    penalty_code: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_mine_name(obj: Hazard) -> str:
        return obj.mine.name

    @staticmethod
    def resolve_county_id(obj: Hazard) -> str:
        return obj.mine.county_id

    @staticmethod
    def resolve_overdue(obj: Hazard) -> bool:
        return obj.is_overdue(_today())

    @staticmethod
    def resolve_overdue_days(obj: Hazard) -> int:
        if not obj.is_overdue(_today()):
            return 0
        return rules.overdue_days(obj.deadline, _today())


class ExtensionOut(Schema):
    id: int
    hazard_id: int
    previous_deadline: dt.date
    requested_deadline: dt.date
    reason: str
    status: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str

    @staticmethod
    def resolve_requested_by(obj: Extension) -> str:
        return _actor_name(obj.requested_by)

    @staticmethod
    def resolve_decided_by(obj: Extension) -> str:
        return _actor_name(obj.decided_by)


class ListingOut(Schema):
    id: int
    hazard_id: int
    level: str
    document_no: str
    deadline: dt.date
    note: str
    organisation_name: str
    listed_at: dt.datetime
    lifted_on: dt.date | None


class EvidenceOut(Schema):
    id: int
    hazard_id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    purpose: str
    uploaded_by: str
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_uploaded_by(obj: Evidence) -> str:
        return _actor_name(obj.uploaded_by)


class HazardDetailOut(HazardOut):
    allowed_actions: list[str]
    extensions: list[ExtensionOut]
    listings: list[ListingOut]
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_allowed_actions(obj: Hazard) -> list[str]:
        return list(rules.allowed_hazard_actions(obj.status))

    @staticmethod
    def resolve_extensions(obj: Hazard) -> list[Extension]:
        return list(obj.extensions.select_related("requested_by", "decided_by"))

    @staticmethod
    def resolve_listings(obj: Hazard) -> list[Listing]:
        return list(obj.listings.all())

    @staticmethod
    def resolve_evidence(obj: Hazard) -> list[Evidence]:
        return list(obj.evidence.select_related("uploaded_by"))


class EventOut(Schema):
    id: int
    time: dt.datetime
    actor: str
    kind: str
    from_status: str
    to_status: str
    message: str
    text: str  # the details line in the request's language (hazards.timeline)
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: HazardEvent) -> str:
        return _actor_name(obj.actor)

    @staticmethod
    def resolve_text(obj: HazardEvent) -> str:
        return timeline.describe(obj)


class DecisionOut(Schema):
    id: int
    hazard_id: int | None
    mine_id: int
    rule: str
    rule_version: str
    code: str
    message: str
    citation: str
    inputs: dict[str, Any]
    details: dict[str, Any]
    decided_at: dt.datetime


class SelfInspectionOut(Schema):
    id: int
    mine_id: int
    period: str
    organised_on: dt.date
    organiser: str
    hazards_found: int
    notes: str
    recorded_at: dt.datetime


# --- input schemas -------------------------------------------------------------------------


class HazardFilters(Schema):
    status: StatusCode | None = None
    source: SourceCode | None = None
    mine_id: int | None = Field(None, ge=1, le=2**63 - 1)
    division: str | None = Field(None, max_length=12, pattern=r"^\d+$",
                                 description="division code prefix (province/city/county)")
    overdue: bool | None = None
    listed: bool | None = None
    found_from: dt.date | None = None
    found_to: dt.date | None = None
    category_code: str | None = Field(None, max_length=48)
    q: str | None = Field(None, max_length=100, description="text in the description, location, mine or item")


class HazardIn(StrictSchema):
    mine_id: int
    source: SourceCode
    category_code: str = Field(..., max_length=48)
    item_code: str = Field("", max_length=64)
    description: str = Field(..., max_length=TEXT_MAX)
    location: str = Field(..., max_length=200)
    found_on: dt.date
    found_by: str = Field(..., max_length=100)
    production_stop: StopCode = "none"


class PlanIn(StrictSchema):
    """The 五落实 plan; a missing element is reported by the rule with its reason."""

    responsible_person: str = Field("", max_length=100)
    measures: str = Field("", max_length=TEXT_MAX)
    funds_yuan: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    deadline: dt.date | None = None
    contingency_plan: str = Field("", max_length=TEXT_MAX)


class VerifyIn(StrictSchema):
    method: MethodCode
    note: str = Field("", max_length=NOTE_MAX)


class RejectIn(StrictSchema):
    reason: str = Field("", max_length=NOTE_MAX)


class ApplyIn(StrictSchema):
    note: str = Field("", max_length=NOTE_MAX)


class ExtensionIn(StrictSchema):
    requested_deadline: dt.date
    reason: str = Field("", max_length=NOTE_MAX)


class ExtensionDecisionIn(StrictSchema):
    approve: bool
    note: str = Field("", max_length=NOTE_MAX)


class ListingIn(StrictSchema):
    document_no: str = Field("", max_length=100)
    deadline: dt.date
    note: str = Field("", max_length=NOTE_MAX)


class SelfInspectionFilters(Schema):
    mine_id: int | None = Field(None, ge=1, le=2**63 - 1)
    period: str | None = Field(None, max_length=7)


class SelfInspectionIn(StrictSchema):
    mine_id: int
    period: str = Field(..., max_length=7, description='"2026-10" (month) or "2026-Q3" (quarter)')
    organised_on: dt.date
    organiser: str = Field("", max_length=100)
    hazards_found: int = Field(0, ge=0, le=10000)
    notes: str = Field("", max_length=TEXT_MAX)


# --- helpers -------------------------------------------------------------------------------


def _hazards(request: HttpRequest) -> QuerySet[Hazard]:
    return Hazard.objects.visible_to(request.auth).select_related("mine")


def _hazard(request: HttpRequest, pk: int) -> Hazard:
    return get_object_or_404(_hazards(request), pk=pk)


def _mine(request: HttpRequest, mine_id: int) -> Mine:
    mine = Mine.objects.visible_to(request.auth).select_related("enterprise").filter(pk=mine_id).first()
    if mine is None:
        raise FieldErrors.single("mine_id", "未找到矿山")
    return mine


# --- hazards: read -------------------------------------------------------------------------


@router.get("/hazards", response=list[HazardOut])
@paginate(BoundedPagination)
def list_hazards(request: HttpRequest, filters: Query[HazardFilters]) -> Any:
    require(request.auth, "hazards.view")
    qs = _hazards(request).order_by("-found_on", "-id")
    for f in ("status", "source", "mine_id", "listed"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    if filters.category_code:  # like the ledger page: predecessors in earlier standard versions match too
        qs = qs.filter(Q(category_code=filters.category_code)
                       | Q(category_family=category_family(filters.category_code)))
    if filters.division:
        qs = qs.filter(code_prefix_q("mine__county__code", filters.division))
    if filters.overdue is not None:
        overdue = HazardQuerySet.overdue_q(_today())
        qs = qs.filter(overdue) if filters.overdue else qs.exclude(overdue)
    if filters.found_from is not None:
        qs = qs.filter(found_on__gte=filters.found_from)
    if filters.found_to is not None:
        qs = qs.filter(found_on__lte=filters.found_to)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(description__icontains=q) | Q(location__icontains=q) | Q(mine__name__icontains=q)
                       | Q(item_code__icontains=q))
    return qs


@router.get("/hazards/{int:pk}", response=HazardDetailOut)
def get_hazard(request: HttpRequest, pk: int) -> Hazard:
    require(request.auth, "hazards.view")
    return _hazard(request, pk)


@router.get("/hazards/{int:pk}/events", response=list[EventOut])
def hazard_events(request: HttpRequest, pk: int) -> Any:
    """The hazard's timeline, oldest first."""
    require(request.auth, "hazards.view")
    hazard = _hazard(request, pk)
    return list(HazardEvent.objects.visible_to(request.auth).filter(hazard=hazard).select_related("actor")
                .order_by("time", "id"))


@router.get("/hazards/{int:pk}/decisions", response=list[DecisionOut])
def hazard_decisions(request: HttpRequest, pk: int) -> Any:
    """Rule decisions about the hazard (penalty recommendation, closure proposal, repeat offence,
    escalation), each with its rule version and inputs."""
    require(request.auth, "hazards.view")
    hazard = _hazard(request, pk)
    return list(RuleDecision.objects.visible_to(request.auth).filter(hazard=hazard).order_by("decided_at", "id"))


# --- hazards: writes -----------------------------------------------------------------------


@router.post("/hazards", response={201: HazardDetailOut})
def register_hazard(request: HttpRequest, payload: HazardIn) -> tuple[int, Hazard]:
    """Enter a major hazard in the ledger; an enterprise registers only its own self-check findings."""
    require(request.auth, "hazards.register")
    data = payload.dict()
    mine = _mine(request, data.pop("mine_id"))
    try:
        hazard = services.register_hazard(actor=request.auth, mine=mine, data=data,
                                          request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"mine": "mine_id"}) from None
    return 201, _hazard(request, hazard.pk)


@router.post("/hazards/{int:pk}/plan", response=HazardDetailOut)
def start_rectification(request: HttpRequest, pk: int, payload: PlanIn) -> Hazard:
    """Record the 五落实 plan and start rectification."""
    require(request.auth, "hazards.rectify")
    hazard = _hazard(request, pk)
    try:
        services.start_rectification(actor=request.auth, hazard=hazard, plan=payload.dict(),
                                     request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, STATE_NAMES) from None
    return _hazard(request, pk)


@router.post("/hazards/{int:pk}/evidence", response={201: EvidenceOut})
def add_evidence(request: HttpRequest, pk: int, file: File[UploadedFile | None] = None,
                 purpose: str = Form("finding", description="finding | rectification")) -> tuple[int, Evidence]:
    """Upload one evidence file (multipart ``file``; JPG, PNG, PDF, DOCX or XLSX). Rectification
    evidence must be uploaded before ``POST /hazards/{pk}/apply``."""
    require(request.auth, "hazards.rectify")
    hazard = _hazard(request, pk)
    # Checked here rather than by the schema: core's 422 mapping would name it "form.purpose".
    errors: dict[str, list[str]] = {}
    if file is None:
        errors["file"] = ["请选择要上传的文件"]
    if purpose not in PURPOSES:
        errors["purpose"] = ["用途应为 finding（发现时）或 rectification（整改佐证）"]
    if errors:
        raise FieldErrors(errors)
    try:
        evidence = services.add_evidence(actor=request.auth, hazard=hazard, upload=file, purpose=purpose,
                                         request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"evidence": "file"}) from None
    return 201, Evidence.objects.select_related("uploaded_by").get(pk=evidence.pk)


@router.post("/hazards/{int:pk}/apply", response=HazardDetailOut)
def apply_for_closure(request: HttpRequest, pk: int, payload: ApplyIn) -> Hazard:
    """Apply for close-out (销号); rectification evidence must already be uploaded."""
    require(request.auth, "hazards.rectify")
    hazard = _hazard(request, pk)
    try:
        services.apply_for_closure(actor=request.auth, hazard=hazard, note=payload.note, evidence=[],
                                   request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {**STATE_NAMES, "evidence": "__all__"}) from None
    return _hazard(request, pk)


@router.post("/hazards/{int:pk}/verify", response=HazardDetailOut)
def verify_closure(request: HttpRequest, pk: int, payload: VerifyIn) -> Hazard:
    """The regulator verifies rectification (on site or by documents) and closes the hazard out."""
    require(request.auth, "hazards.verify")
    hazard = _hazard(request, pk)
    try:
        services.verify_closure(actor=request.auth, hazard=hazard, method=payload.method, note=payload.note,
                                request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {**STATE_NAMES, "verification_method": "method"}) from None
    return _hazard(request, pk)


@router.post("/hazards/{int:pk}/reject", response=HazardDetailOut)
def reject_closure(request: HttpRequest, pk: int, payload: RejectIn) -> Hazard:
    """Verification failed: back to rectification with the reason."""
    require(request.auth, "hazards.verify")
    hazard = _hazard(request, pk)
    try:
        services.reject_closure(actor=request.auth, hazard=hazard, reason=payload.reason,
                                request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, STATE_NAMES) from None
    return _hazard(request, pk)


@router.post("/hazards/{int:pk}/extensions", response={201: ExtensionOut})
def request_extension(request: HttpRequest, pk: int, payload: ExtensionIn) -> tuple[int, Extension]:
    require(request.auth, "hazards.rectify")
    hazard = _hazard(request, pk)
    try:
        ext = services.request_extension(actor=request.auth, hazard=hazard, requested=payload.requested_deadline,
                                         reason=payload.reason, request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"requested": "requested_deadline"}) from None
    return 201, Extension.objects.select_related("requested_by", "decided_by").get(pk=ext.pk)


@router.post("/hazards/extensions/{int:pk}/decision", response=ExtensionOut)
def decide_extension(request: HttpRequest, pk: int, payload: ExtensionDecisionIn) -> Extension:
    """Approve (the hazard's deadline moves; the original is kept) or reject an extension request.
    A request already decided is 409."""
    require(request.auth, "hazards.verify")
    ext = get_object_or_404(Extension.objects.visible_to(request.auth).select_related("hazard"), pk=pk)
    services.decide_extension(actor=request.auth, extension=ext, approve=payload.approve, note=payload.note,
                              request_id=request_id_of(request))
    return Extension.objects.select_related("requested_by", "decided_by").get(pk=pk)


@router.post("/hazards/{int:pk}/listing", response={201: ListingOut})
def list_for_supervision(request: HttpRequest, pk: int, payload: ListingIn) -> tuple[int, Listing]:
    """挂牌督办 by a regulator leader, at the level of the leader's division."""
    require(request.auth, "hazards.list")
    hazard = _hazard(request, pk)
    try:
        listing = services.list_for_supervision(actor=request.auth, hazard=hazard, document_no=payload.document_no,
                                                deadline=payload.deadline, note=payload.note,
                                                request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, STATE_NAMES) from None
    return 201, listing


# --- monthly self-inspections --------------------------------------------------------------


@router.get("/self-inspections", response=list[SelfInspectionOut])
@paginate(BoundedPagination)
def list_self_inspections(request: HttpRequest, filters: Query[SelfInspectionFilters]) -> Any:
    require(request.auth, "hazards.view")
    qs = SelfInspection.objects.visible_to(request.auth).order_by("-period", "mine_id", "id")
    if filters.mine_id is not None:
        qs = qs.filter(mine_id=filters.mine_id)
    if filters.period:
        qs = qs.filter(period=filters.period)
    return qs


@router.post("/self-inspections", response={201: SelfInspectionOut})
def record_self_inspection(request: HttpRequest, payload: SelfInspectionIn) -> tuple[int, SelfInspection]:
    """Record the principal's monthly full-system major-hazard investigation."""
    require(request.auth, "hazards.self_inspection")
    mine = _mine(request, payload.mine_id)
    try:
        record = services.record_self_inspection(
            actor=request.auth, mine=mine, period=payload.period, organised_on=payload.organised_on,
            organiser=payload.organiser, hazards_found=payload.hazards_found, notes=payload.notes,
            request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"mine": "mine_id"}) from None
    return 201, record
