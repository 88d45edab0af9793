"""Tip-off API (举报): the public intake, lookup and follow-up used by the WeChat mini-program and other
network channels (seed-004 三(七) 第33项), and the regulators' register and workflow. Same services and
scoping as the pages: handlers only shape input and output.

Public routes (no authentication, rate limited per client address: 429 with ``Retry-After``):

- ``POST /tipoffs/public/reports`` — a JSON report; answers the receipt code and the secret. The API
  carries no files: attachments are uploaded on the public web page (/report/), with the report or
  later with the receipt code and secret.
- ``POST /tipoffs/public/lookup`` — the report a code and secret open, as the reporter may read it:
  public status wording, the public timeline, the answer and the reward; never findings, handling
  notes, the verifier or anyone's identity. A wrong code or secret (or an unknown code) is 422
  ``__all__`` with one message for both.
- ``POST /tipoffs/public/information`` — the reporter adds information (code and secret checked each time).

Regulator routes (``tipoffs.view``; enterprises and the three admins 403, reports outside the
caller's jurisdiction 404): the list, the KPIs, the detail with its timeline, one route for every
workflow action (``POST /tipoffs/{pk}/actions/{action}``) and the audited reveal of the reporter's identity.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minesafe.accounts.choices import Role
from minesafe.accounts.models import User
from minesafe.accounts.permissions import has_perm, require
from minesafe.core.api import BoundedPagination, StrictSchema
from minesafe.core.errors import FieldErrors, NotFound
from minesafe.core.http import client_address
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import code_prefix_q, scope_of
from minesafe.hazards.models import Hazard
from minesafe.registry.models import Mine
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs import queries, services, timeline
from minesafe.tipoffs.choices import PUBLIC_STATUS, EventKind, TipoffCategory, TipoffStatus
from minesafe.tipoffs.models import Tipoff, TipoffAttachment, TipoffEvent

router = Router(tags=["tipoffs"])

StatusCode = Literal[tuple(TipoffStatus.values)]  # type: ignore[valid-type]
CategoryCode = Literal[tuple(TipoffCategory.values)]  # type: ignore[valid-type]
StopCode = Literal["none", "partial", "full"]

# Bounds that only stop absurd bodies; the services word the real limits (e.g. 5,000 characters).
TEXT_MAX = 20_000
SHORT_MAX = 1_000
NOTE_MAX = 2_000  # the services keep at most this much of an optional note
ID_MAX = 2**63 - 1

# Timeline kinds whose typed text the reporter reads: the regulator's answer and reason for
# declining, and the reporter's own additions. Other typed notes are internal.
PUBLIC_TEXT_KINDS = frozenset({EventKind.ANSWERED, EventKind.DECLINED, EventKind.INFORMATION})
# What a merged duplicate's reporter reads of the earlier report: its progress and answer, not its
# reporter's additions nor its reward (as on the public web page, views_public.PRIMARY_KINDS, plus
# the reason should it be declined).
PRIMARY_KINDS = frozenset({EventKind.ACCEPTED, EventKind.DECLINED, EventKind.ASSIGNED, EventKind.VERIFIED,
                           EventKind.EXTENDED, EventKind.ANSWERED, EventKind.CLOSED})

# Lifecycle refusals concern the report's state, not a field of the request.
STATE_NAMES = {"action": "__all__", "status": "__all__"}


def _today() -> dt.date:
    return timezone.localdate()


def _rename(exc: FieldErrors, names: dict[str, str]) -> FieldErrors:
    """Service field names → request field names; several may merge into one (e.g. ``__all__``)."""
    errors: dict[str, list[str]] = {}
    for key, messages in exc.errors.items():
        errors.setdefault(names.get(key, key), []).extend(messages)
    return FieldErrors(errors)


def _actor_name(user: User | None) -> str:
    return "" if user is None else (user.display_name or user.username)


# --- public: schemas -------------------------------------------------------------------------


class ReportIn(StrictSchema):
    """A report from the public. Name the mine with ``mine_id`` (a registered mine), or give ``county``
    (6-digit county code) and ``mine_description``. No files: see the module description."""

    category: str = Field(..., max_length=64, description="one of: " + ", ".join(TipoffCategory.values))
    description: str = Field(..., max_length=TEXT_MAX, description="what happened (at least 10 characters)")
    mine_id: int | None = Field(None, ge=1, le=ID_MAX)
    county: str = Field("", max_length=12, description="county code, when the mine is described instead")
    mine_description: str = Field("", max_length=SHORT_MAX, description="name, place, owner of the mine")
    place: str = Field("", max_length=SHORT_MAX)
    occurred_on: dt.date | None = None
    anonymous: bool = Field(True, description="true unless the reporter gives a name")
    name: str = Field("", max_length=SHORT_MAX)
    phone: str = Field("", max_length=SHORT_MAX)
    email: str = Field("", max_length=SHORT_MAX)
    other: str = Field("", max_length=SHORT_MAX, description="other contact (e.g. a WeChat id)")


class ReceiptOut(Schema):
    code: str = Field(description="receipt code, e.g. JB-23456-789AB")
    secret: str = Field(description="shown once: keep it with the code to read the answer")
    status: str
    status_label: str
    accept_due: dt.date


class OpenIn(StrictSchema):
    code: str = Field(..., max_length=40)
    secret: str = Field(..., max_length=40)


class InformationIn(OpenIn):
    text: str = Field(..., max_length=TEXT_MAX)


class PublicEventOut(Schema):
    kind: str
    label: str
    at: dt.datetime
    text: str = Field(description="only the answer, the reason for declining and the reporter's own additions")


class PrimaryOut(Schema):
    """The earlier report a duplicate was merged into, as far as the duplicate's reporter may read it."""

    status: str
    status_label: str
    events: list[PublicEventOut]
    answer: str
    answered_on: dt.date | None


class PublicTipoffOut(Schema):
    code: str
    category: str
    category_label: str
    status: str
    status_label: str
    received_on: dt.date
    events: list[PublicEventOut]
    answer: str
    answered_on: dt.date | None
    reward_amount: Decimal | None
    reward_paid_on: dt.date | None
    can_add_information: bool
    merged: bool
    primary: PrimaryOut | None


# --- public: views ---------------------------------------------------------------------------


def _public_events(tipoff: Tipoff, *, kinds: frozenset[str] | None = None) -> list[dict[str, Any]]:
    events = TipoffEvent.objects.filter(tipoff=tipoff, public=True).order_by("at", "id")
    if kinds is not None:
        events = events.filter(kind__in=kinds)
    return [{"kind": e.kind, "label": str(e.get_kind_display()), "at": e.at,
             "text": e.message if e.kind in PUBLIC_TEXT_KINDS else ""} for e in events]


def _public_view(tipoff: Tipoff) -> dict[str, Any]:
    """What the reporter reads with the receipt code: nothing internal (findings, handling, verifier,
    identity). A merged report also shows the earlier report's progress and answer, but not what
    that report's own reporter typed or was awarded."""
    primary = None
    if tipoff.merged_into_id:
        target = tipoff.merged_into
        for _hop in range(10):  # the earlier report may itself have been merged later
            if target.merged_into_id is None:
                break
            target = target.merged_into
        status = TipoffStatus.ANSWERED if target.status == TipoffStatus.REWARD_DECIDED else target.status
        primary = {
            "status": status, "status_label": str(PUBLIC_STATUS[status]),
            "events": _public_events(target, kinds=PRIMARY_KINDS),
            "answer": target.answer, "answered_on": target.answered_on,
        }
    return {
        "code": services.format_code(tipoff.receipt_code),
        "category": tipoff.category, "category_label": str(tipoff.get_category_display()),
        "status": tipoff.status, "status_label": str(PUBLIC_STATUS[tipoff.status]),
        "received_on": timezone.localdate(tipoff.received_at),
        "events": _public_events(tipoff),
        "answer": tipoff.answer, "answered_on": tipoff.answered_on,
        "reward_amount": tipoff.reward_amount if tipoff.reward_decided_on else None,
        "reward_paid_on": tipoff.reward_paid_on,
        "can_add_information": rules.check_action(tipoff.status, rules.Action.ADD_INFORMATION,
                                                  verified_true=tipoff.verified_true).ok,
        "merged": tipoff.merged_into_id is not None,
        "primary": primary,
    }


@router.post("/tipoffs/public/reports", response={201: ReceiptOut}, auth=None)
def submit_report(request: HttpRequest, payload: ReportIn) -> tuple[int, dict[str, Any]]:
    """Report a mine-safety matter without logging in (anonymous or named). Answers the receipt code
    and secret: the secret is shown only here. JSON only — attachments are added on the web page."""
    data = payload.dict()
    data["mine"] = data.pop("mine_id")
    try:
        receipt = services.submit_tipoff(data=data, client=client_address(request), channel="api",
                                         request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"mine": "mine_id"}) from None
    tipoff = receipt.tipoff
    return 201, {"code": services.format_code(receipt.code), "secret": services.format_secret(receipt.secret),
                 "status": tipoff.status, "status_label": str(PUBLIC_STATUS[tipoff.status]),
                 "accept_due": tipoff.accept_due}


def _open(request: HttpRequest, payload: OpenIn) -> Tipoff:
    return services.open_tipoff(code=payload.code, secret=payload.secret, client=client_address(request))


@router.post("/tipoffs/public/lookup", response=PublicTipoffOut, auth=None)
def lookup_report(request: HttpRequest, payload: OpenIn) -> dict[str, Any]:
    """Read one's own report with its receipt code and secret (dashes and case do not matter)."""
    return _public_view(_open(request, payload))


@router.post("/tipoffs/public/information", response={201: PublicTipoffOut}, auth=None)
def add_information(request: HttpRequest, payload: InformationIn) -> tuple[int, dict[str, Any]]:
    """Add information to one's report (text only; files on the web page). Closed and merged reports
    take no more information (422)."""
    tipoff = _open(request, payload)
    try:
        services.add_information(tipoff=tipoff, text=payload.text, client=client_address(request),
                                 request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, STATE_NAMES) from None
    return 201, _public_view(Tipoff.objects.get(pk=tipoff.pk))


# --- regulators: schemas ---------------------------------------------------------------------


class _TipoffFields(Schema):
    """The fields of a list row (no identity or contact of the reporter)."""

    id: int
    code: str
    county_id: str
    county_name: str
    mine_id: int | None
    mine_name: str
    mine_description: str
    category: str
    category_label: str
    status: str
    status_label: str
    channel: str
    received_at: dt.datetime
    accept_due: dt.date
    handling_due: dt.date | None
    answer_due: dt.date | None
    overdue: list[str] = Field(description="missed deadlines: accept, handle, answer")
    assignee_id: int | None
    verified_true: bool | None
    updated_at: dt.datetime


class TipoffOut(_TipoffFields):
    """A list row: no identity or contact of the reporter."""

    @staticmethod
    def resolve_code(obj: Tipoff) -> str:
        return services.format_code(obj.receipt_code)

    @staticmethod
    def resolve_county_id(obj: Tipoff) -> str:
        return obj.division_id

    @staticmethod
    def resolve_county_name(obj: Tipoff) -> str:
        return str(obj.division)

    @staticmethod
    def resolve_mine_name(obj: Tipoff) -> str:
        return obj.mine.name if obj.mine else ""

    @staticmethod
    def resolve_category_label(obj: Tipoff) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_status_label(obj: Tipoff) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_overdue(obj: Tipoff) -> list[str]:
        return sorted(obj.overdue_flags(_today()))


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    kind: str
    label: str
    public: bool = Field(description="the reporter reads this event with the receipt code")
    from_status: str
    to_status: str
    message: str = Field(description="what a person typed")
    text: str = Field(description="the event worded in the request's language, then what was typed")


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    from_reporter: bool
    uploaded_by: str
    uploaded_at: dt.datetime


class TipoffDetailOut(_TipoffFields):
    """The whole report except the reporter's identity and contact (see the reveal route)."""

    description: str
    place: str
    occurred_on: dt.date | None
    anonymous: bool
    has_contact: bool
    accepted_on: dt.date | None
    decline_reason: str
    extension_days: int
    assignee_name: str
    verified_on: dt.date | None
    findings: str
    handled_on: dt.date | None
    handling_note: str
    hazard_id: int | None
    fine_amount: Decimal | None
    accident_grade: str
    concealed_deaths: int
    answered_on: dt.date | None
    answer: str
    reward_amount: Decimal | None
    reward_basis: str
    reward_code: str
    reward_rule_version: str
    reward_details: dict[str, Any]
    reward_decided_on: dt.date | None
    reward_paid_on: dt.date | None
    closed_on: dt.date | None
    merged_into_id: int | None
    duplicate_ids: list[int]
    overdue_labels: list[str]
    allowed_actions: list[str] = Field(description="actions of POST /tipoffs/{pk}/actions/{action} open to the caller")
    can_reveal: bool
    events: list[EventOut]
    attachments: list[AttachmentOut]


class TipoffFilters(Schema):
    status: StatusCode | None = None
    category: CategoryCode | None = None
    county: str | None = Field(None, max_length=12, pattern=r"^\d+$",
                               description="county code (a city or province code prefix also works)")
    mine_id: int | None = Field(None, ge=1, le=ID_MAX)
    overdue: bool | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None


class HazardDataIn(StrictSchema):
    """A new hazard-ledger entry (source 群众举报) for a verified major hazard."""

    category_code: str = Field(..., max_length=48)
    item_code: str = Field("", max_length=64)
    description: str = Field(..., max_length=5000)
    location: str = Field(..., max_length=200)
    found_on: dt.date
    found_by: str = Field(..., max_length=100)
    production_stop: StopCode = "none"


class ActionIn(StrictSchema):
    """The fields of every action; each action takes only its own (see the route's description)."""

    note: str | None = Field(None, max_length=TEXT_MAX)
    reason: str | None = Field(None, max_length=TEXT_MAX)
    assignee_id: int | None = Field(None, ge=1, le=ID_MAX)
    verified_true: bool | None = None
    findings: str | None = Field(None, max_length=TEXT_MAX)
    mine_id: int | None = Field(None, ge=1, le=ID_MAX)
    fine_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    accident_grade: str | None = Field(None, max_length=16)
    concealed_deaths: int | None = Field(None, ge=0, le=1000)
    hazard: HazardDataIn | None = None
    hazard_id: int | None = Field(None, ge=1, le=ID_MAX)
    text: str | None = Field(None, max_length=TEXT_MAX)
    paid_on: dt.date | None = None
    primary_id: int | None = Field(None, ge=1, le=ID_MAX)
    days: int | None = Field(None, ge=1, le=366)


class KpiFilters(Schema):
    division: str | None = Field(None, max_length=12, pattern=r"^\d+$",
                                 description="a division inside the caller's jurisdiction (default: its own)")
    start: dt.date | None = Field(None, description="first day of receipt (default: 1 January of this year)")
    end: dt.date | None = Field(None, description="last day of receipt (default: today)")


class KpiFigures(Schema):
    received: int
    accepted: int
    declined: int
    verified: int
    verified_true: int
    disposed: int
    in_time: int = Field(description="disposed within the handling deadline")
    overdue: int = Field(description="past a deadline today, whenever received")
    rewards_decided: int
    rewards_paid: int
    reward_sum: Decimal
    paid_sum: Decimal
    disposal_rate: Decimal | None = Field(description="核查处置率 = disposed / accepted (target 1)")
    below_target: bool


class KpiRow(KpiFigures):
    kind: str = Field(description="division or mine")
    code: str
    mine_id: int | None
    name: str


class KpiOut(Schema):
    division: str
    division_name: str
    child_level: str = Field(description="what the rows are: province, city, county or mine")
    start: dt.date
    end: dt.date
    rows: list[KpiRow]
    totals: KpiFigures


class RevealOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    other: str


# --- regulators: detail ----------------------------------------------------------------------


# API action name → the rules' action (``identify`` is not a status change and has no rules entry).
ACTION_NAMES: dict[str, rules.Action | None] = {
    "accept": rules.Action.ACCEPT, "decline": rules.Action.DECLINE, "assign": rules.Action.ASSIGN,
    "verify": rules.Action.VERIFY, "identify": None, "handle": rules.Action.HANDLE, "answer": rules.Action.ANSWER,
    "reward": rules.Action.DECIDE_REWARD, "payment": rules.Action.RECORD_PAYMENT, "close": rules.Action.CLOSE,
    "merge": rules.Action.MERGE, "extend": rules.Action.EXTEND,
}
ACTION_PERMISSIONS = {"reward": "tipoffs.reward", "payment": "tipoffs.reward", "extend": "tipoffs.extend"}


def _allowed_actions(user: User, tipoff: Tipoff) -> list[str]:
    open_actions = set(rules.allowed_actions(tipoff.status, verified_true=tipoff.verified_true))
    names = []
    for name, action in ACTION_NAMES.items():
        if not has_perm(user, ACTION_PERMISSIONS.get(name, "tipoffs.handle")):
            continue
        if name == "extend" and len(scope_of(user).division_prefix) >= len(tipoff.division_id):
            continue  # approved by a leader above the handling county
        if name == "verify" and tipoff.assignee_id != user.pk and user.role != Role.REG_LEADER:
            continue  # recorded by the assigned verifier or a leader (services.verify)
        if action is None:
            if tipoff.status not in (TipoffStatus.CLOSED, TipoffStatus.MERGED, TipoffStatus.DECLINED):
                names.append(name)
        elif action in open_actions and not (name == "payment" and (not tipoff.reward_amount
                                                                    or tipoff.reward_paid_on)):
            names.append(name)
    return names


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = request.auth
    tipoff = services.find_visible(user, pk)
    row = TipoffOut.from_orm(tipoff).dict()
    flags = tipoff.overdue_flags(_today())
    events = TipoffEvent.objects.visible_to(user).filter(tipoff=tipoff).select_related("actor").order_by("at", "id")
    attachments = TipoffAttachment.objects.visible_to(user).filter(tipoff=tipoff).select_related("uploaded_by")
    row.update({
        "description": tipoff.description, "place": tipoff.place, "occurred_on": tipoff.occurred_on,
        "anonymous": tipoff.anonymous, "has_contact": tipoff.has_contact, "accepted_on": tipoff.accepted_on,
        "decline_reason": tipoff.decline_reason, "extension_days": tipoff.extension_days,
        "assignee_name": _actor_name(tipoff.assignee), "verified_on": tipoff.verified_on,
        "findings": tipoff.findings, "handled_on": tipoff.handled_on, "handling_note": tipoff.handling_note,
        "hazard_id": tipoff.hazard_id, "fine_amount": tipoff.fine_amount, "accident_grade": tipoff.accident_grade,
        "concealed_deaths": tipoff.concealed_deaths, "answered_on": tipoff.answered_on, "answer": tipoff.answer,
        "reward_amount": tipoff.reward_amount, "reward_basis": tipoff.reward_basis,
        "reward_code": tipoff.reward_code, "reward_rule_version": tipoff.reward_rule_version,
        "reward_details": tipoff.reward_details or {}, "reward_decided_on": tipoff.reward_decided_on,
        "reward_paid_on": tipoff.reward_paid_on, "closed_on": tipoff.closed_on,
        "merged_into_id": tipoff.merged_into_id,
        "duplicate_ids": list(Tipoff.objects.visible_to(user).filter(merged_into=tipoff).order_by("received_at", "id")
                              .values_list("pk", flat=True)),
        "overdue_labels": [rules.OVERDUE_LABELS[f] for f in sorted(flags)],
        "allowed_actions": _allowed_actions(user, tipoff),
        "can_reveal": services.can_reveal(user),
        "events": [{"id": e.pk, "at": e.at, "actor": _actor_name(e.actor), "kind": e.kind,
                    "label": str(e.get_kind_display()), "public": e.public, "from_status": e.from_status,
                    "to_status": e.to_status, "message": e.message, "text": timeline.describe(e)} for e in events],
        "attachments": [{"id": a.pk, "original_name": a.original_name, "content_type": a.content_type,
                         "size": a.size, "sha256": a.sha256, "from_reporter": a.from_reporter,
                         "uploaded_by": _actor_name(a.uploaded_by), "uploaded_at": a.uploaded_at}
                        for a in attachments],
    })
    return row


# --- regulators: routes ----------------------------------------------------------------------


@router.get("/tipoffs", response=list[TipoffOut])
@paginate(BoundedPagination)
def list_tipoffs(request: HttpRequest, filters: Query[TipoffFilters]) -> Any:
    """The register of the caller's jurisdiction, newest first (no reporter identity)."""
    require(request.auth, "tipoffs.view")
    qs: QuerySet[Tipoff] = Tipoff.objects.visible_to(request.auth).select_related("mine", "division").order_by(
        "-received_at", "-id")
    for f in ("status", "category", "mine_id"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    if filters.county:
        qs = qs.filter(code_prefix_q("division__code", filters.county))  # division_id takes no startswith ("99…")
    if filters.overdue is not None:
        overdue = Tipoff.objects.overdue_q(_today())
        qs = qs.filter(overdue) if filters.overdue else qs.exclude(overdue)
    if filters.received_from is not None:
        qs = qs.filter(received_at__date__gte=filters.received_from)
    if filters.received_to is not None:
        qs = qs.filter(received_at__date__lte=filters.received_to)
    return qs


@router.get("/tipoffs/kpi", response=KpiOut)
def tipoff_kpi(request: HttpRequest, filters: Query[KpiFilters]) -> dict[str, Any]:
    """KPIs per child division (per mine at county level) for the reports received in [start, end]:
    received, accepted, verified, disposed within the deadline, 核查处置率 and rewards (see
    ``minesafe.tipoffs.queries``). A division outside the caller's jurisdiction is 404."""
    require(request.auth, "tipoffs.view")
    today = _today()
    start = filters.start or today.replace(month=1, day=1)
    end = filters.end or today
    if start > end:
        raise FieldErrors.single("end", _("The last day of the period is before its first day."))
    level = queries.kpi_level(request.auth, filters.division)
    rows = queries.kpi_rows(level, start, end, today)
    return {"division": level.division.code, "division_name": str(level.division), "child_level": level.child_level,
            "start": start, "end": end, "rows": rows, "totals": queries.sum_rows(rows)}


@router.get("/tipoffs/{int:pk}", response=TipoffDetailOut)
def get_tipoff(request: HttpRequest, pk: int) -> dict[str, Any]:
    """One report with its whole timeline, attachments (metadata), deadlines, overdue flags and reward."""
    return _detail(request, pk)


@dataclass(frozen=True)
class _Action:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    run: Callable[[User, Tipoff, ActionIn, str], Any]
    names: dict[str, str]  # service field → request field


def _assign(actor: User, tipoff: Tipoff, body: ActionIn, rid: str) -> Any:
    assignee = next((u for u in services.assignable_users(tipoff) if u.pk == body.assignee_id), None)
    if assignee is None:
        raise FieldErrors.single("assignee_id", _("Select a regulator of this county or of a level above it."))
    return services.assign(actor=actor, tipoff=tipoff, assignee=assignee, note=body.note or "", request_id=rid)


def _identify(actor: User, tipoff: Tipoff, body: ActionIn, rid: str) -> Any:
    mine = Mine.objects.visible_to(actor).filter(pk=body.mine_id).first()
    if mine is None:
        raise FieldErrors.single("mine_id", _("Select a mine in your jurisdiction."))
    return services.identify_mine(actor=actor, tipoff=tipoff, mine=mine, request_id=rid)


HAZARD_FIELDS = frozenset({*HazardDataIn.model_fields, "source", "mine"})


def _handle(actor: User, tipoff: Tipoff, body: ActionIn, rid: str) -> Any:
    hazard = None
    if body.hazard_id is not None:
        hazard = Hazard.objects.visible_to(actor).filter(pk=body.hazard_id).first()
        if hazard is None:
            raise FieldErrors.single("hazard_id", _("Select a hazard of this mine."))
    try:
        return services.handle(
            actor=actor, tipoff=tipoff, note=body.note or "", fine_amount=body.fine_amount,
            accident_grade=body.accident_grade or "", concealed_deaths=body.concealed_deaths or 0,
            hazard_data=body.hazard.dict() if body.hazard is not None else None, hazard=hazard, request_id=rid)
    except FieldErrors as exc:
        names = {f: f"hazard.{f}" for f in HAZARD_FIELDS}
        names["hazard"] = "hazard_id" if body.hazard_id is not None else "hazard"
        raise _rename(exc, names) from None


def _merge(actor: User, tipoff: Tipoff, body: ActionIn, rid: str) -> Any:
    primary = Tipoff.objects.visible_to(actor).filter(pk=body.primary_id).first()
    if primary is None:
        raise FieldErrors.single("primary_id", _("Select an earlier report of the same mine and matter."))
    return services.merge(actor=actor, duplicate=tipoff, primary=primary, note=body.note or "", request_id=rid)


ACTIONS: dict[str, _Action] = {
    "accept": _Action((), ("note",), lambda a, t, b, rid: services.accept(
        actor=a, tipoff=t, note=b.note or "", request_id=rid), {}),
    "decline": _Action(("reason",), (), lambda a, t, b, rid: services.decline(
        actor=a, tipoff=t, reason=b.reason or "", request_id=rid), {}),
    "assign": _Action(("assignee_id",), ("note",), _assign, {"assignee": "assignee_id"}),
    "verify": _Action(("verified_true", "findings"), (), lambda a, t, b, rid: services.verify(
        actor=a, tipoff=t, verified_true=bool(b.verified_true), findings=b.findings or "", request_id=rid), {}),
    "identify": _Action(("mine_id",), (), _identify, {"mine": "mine_id"}),
    "handle": _Action(("note",), ("fine_amount", "accident_grade", "concealed_deaths", "hazard", "hazard_id"),
                      _handle, {}),
    "answer": _Action(("text",), (), lambda a, t, b, rid: services.answer(
        actor=a, tipoff=t, text=b.text or "", request_id=rid), {}),
    "reward": _Action((), ("note",), lambda a, t, b, rid: services.decide_reward(
        actor=a, tipoff=t, note=b.note or "", request_id=rid), {}),
    "payment": _Action(("paid_on",), ("note",), lambda a, t, b, rid: services.record_payment(
        actor=a, tipoff=t, paid_on=b.paid_on, note=b.note or "", request_id=rid), {}),
    "close": _Action((), (), lambda a, t, b, rid: services.close(actor=a, tipoff=t, request_id=rid), {}),
    "merge": _Action(("primary_id",), ("note",), _merge, {"primary": "primary_id"}),
    "extend": _Action(("days", "reason"), (), lambda a, t, b, rid: services.extend(
        actor=a, tipoff=t, days=b.days or 0, reason=b.reason or "", request_id=rid), {}),
}
# A note the services keep only up to NOTE_MAX characters is refused beyond it instead of cut.
SHORT_NOTES = frozenset({"accept", "assign", "reward", "payment", "merge"})


def _check_body(name: str, spec: _Action, body: ActionIn) -> None:
    given = {f for f in ActionIn.model_fields if getattr(body, f) is not None}
    errors: dict[str, list[str]] = {}
    for f in sorted(given - set(spec.required) - set(spec.optional)):
        errors[f] = [_("This action does not take this field.")]
    for f in spec.required:
        if f not in given:
            errors[f] = [_("This field is required.")]
    if name in SHORT_NOTES and body.note and len(body.note.strip()) > NOTE_MAX:
        errors["note"] = [_("At most %(n)d characters.") % {"n": NOTE_MAX}]
    if errors:
        raise FieldErrors(errors)


@router.post("/tipoffs/{int:pk}/actions/{action}", response=TipoffDetailOut)
def act(request: HttpRequest, pk: int, action: str, payload: ActionIn | None = None) -> dict[str, Any]:
    """One step of the closed loop; answers the updated report. The body (JSON object, may be empty)
    carries only the action's fields:

    - ``accept`` — note?; ``decline`` — reason (the reporter reads it);
    - ``assign`` — assignee_id (a regulator of the county or above), note?;
    - ``verify`` — verified_true, findings (only the assignee or a leader);
    - ``identify`` — mine_id (link a described mine to the register);
    - ``handle`` — note, fine_amount?, accident_grade?, concealed_deaths?, and for a verified major hazard
      either hazard (a new ledger entry: category_code, item_code?, description, location, found_on,
      found_by, production_stop?) or hazard_id (an existing entry of the mine);
    - ``answer`` — text (the reporter reads it);
    - ``reward`` — note? (leaders; amount by the reward schedule); ``payment`` — paid_on, note? (leaders);
    - ``close``; ``merge`` — primary_id (the earlier report of the same mine and matter), note?;
    - ``extend`` — days, reason (a leader above the handling county; 30 days in all).

    An unknown action is 404. 422: field errors (a field the action does not take, a missing one, or
    a refusal by the rules; a step the report's state does not allow is under ``__all__``); 403: the
    role may not take the step; 404: outside the caller's jurisdiction; 409: changed meanwhile.
    """
    require(request.auth, "tipoffs.view")
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound(f"tip-off action {action!r}")
    tipoff = services.find_visible(request.auth, pk)
    body = payload if payload is not None else ActionIn()
    _check_body(action, spec, body)
    try:
        spec.run(request.auth, tipoff, body, request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {**STATE_NAMES, **spec.names}) from None
    return _detail(request, pk)


@router.post("/tipoffs/{int:pk}/reveal", response=RevealOut)
def reveal_reporter(request: HttpRequest, pk: int) -> dict[str, Any]:
    """The reporter's name and contact in clear (leaders, ``tipoffs.reveal_reporter``); every call is
    audited and put on the internal timeline. Empty strings for an anonymous report without contact."""
    require(request.auth, "tipoffs.reveal_reporter")
    tipoff = services.find_visible(request.auth, pk)
    identity = services.reveal_identity(actor=request.auth, tipoff=tipoff, request_id=request_id_of(request))
    return {"id": tipoff.pk, **identity}
