"""Tip-off state changes: one function per step of the closed loop (seed-004 三(七) 第33项: 受理、核实、
办理、反馈、追责 and rewards paid on time; seed-002 三: 严格落实安全生产举报奖励办法).

The public side (``submit_tipoff``, ``open_tipoff``, ``add_information``) has no user: it is rate
limited per client address (core.throttle) and authorised by the receipt code and secret. The
regulator side follows the rest of the platform: permission and scope → rule
(``minesafe.rules.tipoffs``) → compare-and-set on the status inside ``transaction.atomic`` →
timeline event + audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.choices import DivisionLevel, Role
from minesafe.accounts.models import Division, User
from minesafe.accounts.permissions import has_perm, require
from minesafe.core import audit, throttle
from minesafe.core.crypto import Sealer
from minesafe.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, RateLimited
from minesafe.core.querysets import scope_of
from minesafe.core.uploads import check_upload
from minesafe.hazards import services as hazard_services
from minesafe.hazards.choices import HazardSource
from minesafe.hazards.models import Hazard
from minesafe.registry.models import Mine
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs.choices import AccidentGrade, EventKind, TipoffCategory, TipoffStatus
from minesafe.tipoffs.models import Tipoff, TipoffAttachment, TipoffEvent

__all__ = [
    "ATTACHMENT_TYPES",
    "Receipt",
    "accept",
    "add_information",
    "answer",
    "assign",
    "close",
    "deadline_policy",
    "decide_reward",
    "decline",
    "extend",
    "format_code",
    "handle",
    "identify_mine",
    "merge",
    "normalise_code",
    "open_tipoff",
    "record_payment",
    "reveal_identity",
    "submit_tipoff",
    "verify",
]

ATTACHMENT_TYPES = {  # extension → (content type, leading bytes)
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"), ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"), ".pdf": ("application/pdf", b"%PDF-"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
}
MAX_ATTACHMENTS = 5
CODE_PREFIX = "JB"  # 举报
# No 0/O, 1/I/L: a code read out over the phone or copied by hand survives.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH, SECRET_LENGTH = 10, 12
REPORTER = Sealer("REPORTER_KEY", b"minesafe.tipoffs", b"reporter-identity")
IDENTITY_FIELDS = ("name", "phone", "email", "other")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
WINDOW_HOUR, WINDOW_DAY, WINDOW_LOOKUP = dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Receipt:
    """What the reporter takes away; the secret exists in clear only here."""

    tipoff: Tipoff
    code: str
    secret: str


def deadline_policy() -> rules.DeadlinePolicy:
    """The deadlines in force (DOMAIN §6; configurable with the TIPOFF_*_DAYS settings)."""
    return rules.DeadlinePolicy(accept_days=settings.TIPOFF_ACCEPT_DAYS, handling_days=settings.TIPOFF_HANDLING_DAYS,
                                extension_max_days=settings.TIPOFF_EXTENSION_MAX_DAYS,
                                answer_days=settings.TIPOFF_ANSWER_DAYS)


def _today() -> dt.date:
    return timezone.localdate()


def format_code(code: str) -> str:
    """"JB23456789AB" → "JB-23456-789AB" (how codes are shown and read out)."""
    body = code[len(CODE_PREFIX):]
    return f"{CODE_PREFIX}-{body[:5]}-{body[5:]}"


def format_secret(secret: str) -> str:
    return "-".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _normalise(value: str) -> str:
    """Upper-case, without spaces or dashes (codes and secrets are shown grouped with dashes)."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def normalise_code(value: str) -> str:
    """A receipt code as typed (dashes, spaces, lower case, prefix left out) → the stored form."""
    code = _normalise(value)
    return CODE_PREFIX + code if len(code) == CODE_LENGTH else code


def _hash_secret(secret: str) -> str:
    """SHA-256 of the secret. The secret is random (12 characters of 31: about 59 bits) and wrong guesses are
    rate limited, so a slow password hash would add cost to every lookup and no protection (as for API tokens)."""
    return hashlib.sha256(f"minesafe.tipoff:{secret}".encode()).hexdigest()


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(n))


def _throttle(scope: str, client: str, limits: tuple[tuple[int, dt.timedelta], ...], message: str) -> None:
    for limit, window in limits:
        if not throttle.allowed(scope, client, limit=limit, window=window):
            raise RateLimited(message, throttle.retry_after(scope, client, limit=limit, window=window))


def _check_attachments(uploads: list[UploadedFile], field: str = "attachments") -> None:
    if len(uploads) > MAX_ATTACHMENTS:
        raise FieldErrors.single(field, _("At most %(n)d files.") % {"n": MAX_ATTACHMENTS})
    for upload in uploads:
        check_upload(upload, field=field, types=ATTACHMENT_TYPES, max_bytes=settings.TIPOFF_ATTACHMENT_MAX_BYTES)


def _store_attachment(tipoff: Tipoff, upload: UploadedFile, *, actor: User | None) -> TipoffAttachment:
    checked = check_upload(upload, field="attachments", types=ATTACHMENT_TYPES,
                           max_bytes=settings.TIPOFF_ATTACHMENT_MAX_BYTES)
    attachment = TipoffAttachment(tipoff=tipoff, original_name=checked.name, content_type=checked.content_type,
                                  size=checked.size, sha256=checked.sha256, from_reporter=actor is None,
                                  uploaded_by=actor)
    attachment.file.save(f"{checked.sha256[:16]}{checked.ext}", upload, save=False)
    attachment.save()
    return attachment


def _event(tipoff: Tipoff, actor: User | None, kind: str, *, public: bool = False, message: str = "",
           from_status: str = "", to_status: str = "", data: Mapping[str, Any] | None = None) -> TipoffEvent:
    return TipoffEvent.objects.create(tipoff=tipoff, actor=actor, kind=kind, public=public, message=message,
                                      from_status=from_status, to_status=to_status,
                                      data=audit.jsonable(dict(data or {})))


def _text(values: Mapping[str, Any], field: str, errors: dict[str, list[str]], *, required: bool = False,
          limit: int = 5000, minimum: int = 0) -> str:
    value = values.get(field)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        errors.setdefault(field, []).append(_("This field is required."))
    elif text and len(text) < minimum:
        errors.setdefault(field, []).append(_("At least %(n)d characters.") % {"n": minimum})
    if len(text) > limit:
        errors.setdefault(field, []).append(_("At most %(n)d characters.") % {"n": limit})
    return text


def _snapshot(tipoff: Tipoff) -> dict[str, Any]:
    """Audit snapshot without the sealed identity or the secret hash."""
    return audit.snapshot(tipoff, exclude=("identity_sealed", "secret_hash"))


# --- the public side -----------------------------------------------------------------------------------


def submit_tipoff(*, data: Mapping[str, Any], attachments: list[UploadedFile] | None = None, client: str,
                  channel: str = "web", request_id: str = "") -> Receipt:
    """Receive a report from the public (no login). ``data``: category, description, mine (id) or
    county + mine_description, place, occurred_on, anonymous, name, phone, email, other.

    Every report is received (seed-004 第33项); refused only for invalid input or too many reports
    from one address (TIPOFF_SUBMIT_PER_HOUR / _PER_DAY), each with a message saying why.
    """
    _throttle("tipoff.submit", client, ((settings.TIPOFF_SUBMIT_PER_HOUR, WINDOW_HOUR),
                                        (settings.TIPOFF_SUBMIT_PER_DAY, WINDOW_DAY)),
              _("Too many reports from your network address. Please try again later or call the 12350 hotline."))
    values = dict(data)
    errors: dict[str, list[str]] = {}
    category = values.get("category") or ""
    if not category:
        errors.setdefault("category", []).append(_("This field is required."))
    elif category not in TipoffCategory.values:
        errors.setdefault("category", []).append(_("Select a valid choice."))
    description = _text(values, "description", errors, required=True, minimum=10)
    place = _text(values, "place", errors, limit=200)
    mine_description = _text(values, "mine_description", errors, limit=200)
    mine = division = None
    mine_id = values.get("mine")
    if mine_id not in (None, ""):
        try:
            mine = Mine.objects.select_related("county").get(pk=int(mine_id))
        except (Mine.DoesNotExist, TypeError, ValueError):
            errors.setdefault("mine", []).append(_("Select a mine from the list, or describe it."))
        else:
            division = mine.county
    else:
        county = values.get("county") or ""
        division = Division.objects.filter(pk=str(county), level=DivisionLevel.COUNTY).first() if county else None
        if division is None:
            errors.setdefault("county", []).append(_("Select the county where the mine is."))
        if not mine_description:
            errors.setdefault("mine_description", []).append(
                _("Select a mine from the list, or describe it (name, place, owner)."))
    occurred_on = values.get("occurred_on")
    if occurred_on and not isinstance(occurred_on, dt.date):
        errors.setdefault("occurred_on", []).append(_("Enter a valid date."))
    elif occurred_on and occurred_on > _today():
        errors.setdefault("occurred_on", []).append(_("The date cannot be in the future."))
    anonymous = bool(values.get("anonymous"))
    identity = {f: _text(values, f, errors, limit=100 if f != "other" else 500) for f in IDENTITY_FIELDS}
    if anonymous and identity["name"]:
        errors.setdefault("name", []).append(_("Leave your name empty to report anonymously."))
    if not anonymous and not identity["name"]:
        errors.setdefault("name", []).append(_("Give your name, or choose to report anonymously."))
    if identity["phone"] and not PHONE.match(identity["phone"]):
        errors.setdefault("phone", []).append(_("Enter a valid phone number."))
    if identity["email"]:
        try:
            validate_email(identity["email"])
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid email address."))
    if errors:
        raise FieldErrors(errors)
    uploads = list(attachments or [])
    _check_attachments(uploads)
    secret = _random(SECRET_LENGTH)
    policy = deadline_policy()
    now = timezone.now()
    received_on = timezone.localdate(now)
    has_contact = bool(identity["phone"] or identity["email"] or identity["other"])
    sealed = REPORTER.seal(json.dumps(identity, ensure_ascii=False)) if any(identity.values()) else ""
    for _attempt in range(5):
        code = CODE_PREFIX + _random(CODE_LENGTH)
        try:
            with transaction.atomic():
                tipoff = Tipoff.objects.create(
                    receipt_code=code, secret_hash=_hash_secret(secret), division=division, mine=mine,
                    mine_description=mine_description, category=category, description=description, place=place,
                    occurred_on=occurred_on or None, anonymous=anonymous, identity_sealed=sealed,
                    has_contact=has_contact, channel=channel, received_at=now,
                    accept_due=rules.accept_due(received_on, policy),
                )
                _event(tipoff, None, EventKind.RECEIVED, public=True, to_status=TipoffStatus.RECEIVED,
                       data={"attachments": len(uploads)})
                for upload in uploads:
                    _store_attachment(tipoff, upload, actor=None)
                audit.record(actor=None, action="tipoffs.tipoff.submit", obj=tipoff, after=_snapshot(tipoff),
                             request_id=request_id)
                throttle.record("tipoff.submit", client)
        except IntegrityError:
            if Tipoff.objects.filter(receipt_code=code).exists():
                continue  # the one-in-10^14 collision: draw another code
            raise
        return Receipt(tipoff=tipoff, code=code, secret=secret)
    raise RuntimeError("could not draw a free receipt code")  # pragma: no cover


def open_tipoff(*, code: str, secret: str, client: str) -> Tipoff:
    """The report a receipt code and secret open; FieldErrors when they do not match (the same answer
    for an unknown code and a wrong secret), RateLimited after TIPOFF_LOOKUP_FAILURES misses in 15 minutes."""
    limit = settings.TIPOFF_LOOKUP_FAILURES
    _throttle("tipoff.lookup", client, ((limit, WINDOW_LOOKUP),),
              _("Too many wrong codes from your network address. Please wait 15 minutes and try again."))
    code = normalise_code(code)
    tipoff = Tipoff.objects.filter(receipt_code=code).first() if len(code) == len(CODE_PREFIX) + CODE_LENGTH else None
    ok = tipoff is not None and hmac.compare_digest(_hash_secret(_normalise(secret)), tipoff.secret_hash)
    if tipoff is None or not ok:
        with transaction.atomic():
            throttle.record("tipoff.lookup", client)
        raise FieldErrors.single("__all__", _("The receipt code or the secret is wrong."))
    return tipoff


def add_information(*, tipoff: Tipoff, text: str, attachments: list[UploadedFile] | None = None, client: str,
                    request_id: str = "") -> TipoffEvent:
    """The reporter adds information to an open report (the caller has checked the code and secret)."""
    _throttle("tipoff.information", client, ((settings.TIPOFF_SUBMIT_PER_DAY, WINDOW_DAY),),
              _("Too many messages from your network address. Please try again later."))
    errors: dict[str, list[str]] = {}
    text = _text({"text": text}, "text", errors)
    uploads = list(attachments or [])
    if not text and not uploads:
        errors.setdefault("text", []).append(_("Write something or attach a file."))
    if errors:
        raise FieldErrors(errors)
    _check_attachments(uploads)
    with transaction.atomic():
        tipoff = Tipoff.objects.select_for_update().get(pk=tipoff.pk)
        _check(tipoff, rules.Action.ADD_INFORMATION)
        names = [_store_attachment(tipoff, upload, actor=None).original_name for upload in uploads]
        event = _event(tipoff, None, EventKind.INFORMATION, public=True, message=text, data={"files": names})
        audit.record(actor=None, action="tipoffs.tipoff.add_information", obj=tipoff,
                     after={"chars": len(text), "files": names}, request_id=request_id)
        throttle.record("tipoff.information", client)
    return event


# --- the regulator side --------------------------------------------------------------------------------


def _check(tipoff: Tipoff, action: str) -> None:
    verdict = rules.check_action(tipoff.status, action, verified_true=tipoff.verified_true)
    if not verdict.ok:
        raise FieldErrors.from_verdict(verdict)


def _locked(actor: User, tipoff: Tipoff, perm: str, action: str) -> Tipoff:
    """Permission and scope, then the row locked and its state checked (call inside transaction.atomic)."""
    require(actor, perm, tipoff)
    locked = Tipoff.objects.select_for_update(of=("self",)).select_related("mine", "division").get(pk=tipoff.pk)
    _check(locked, action)
    return locked


def _move(tipoff: Tipoff, actor: User, action: str, kind: str, *, public: bool, message: str = "",
          data: Mapping[str, Any] | None = None, request_id: str = "", **fields: Any) -> Tipoff:
    """Write the next status and ``fields`` (compare-and-set), the timeline event and the audit entry."""
    before = _snapshot(tipoff)
    old = tipoff.status
    new = rules.next_status(old, action, verified_true=fields.get("verified_true", tipoff.verified_true))
    updated = Tipoff.objects.filter(pk=tipoff.pk, status=old).update(status=new, updated_at=timezone.now(), **fields)
    if updated != 1:
        raise Conflict(_("The report was changed by someone else; reload and try again."))
    tipoff.status = new
    for name, value in fields.items():
        setattr(tipoff, name, value)
    _event(tipoff, actor, kind, public=public, message=message, from_status=old, to_status=new, data=data)
    audit.record(actor=actor, action=f"tipoffs.tipoff.{action}", obj=tipoff, before=before, after=_snapshot(tipoff),
                 request_id=request_id)
    return tipoff


def accept(*, actor: User, tipoff: Tipoff, note: str = "", today: dt.date | None = None,
           request_id: str = "") -> Tipoff:
    """Accept the report; the handling period (60 days, DOMAIN §6) starts today."""
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.ACCEPT)
        return _move(tipoff, actor, rules.Action.ACCEPT, EventKind.ACCEPTED, public=True, message=note.strip()[:2000],
                     request_id=request_id, accepted_on=today,
                     handling_due=rules.handling_due(today, 0, deadline_policy()))


def decline(*, actor: User, tipoff: Tipoff, reason: str, today: dt.date | None = None,
            request_id: str = "") -> Tipoff:
    """Decline with a reason the reporter reads (e.g. not a mine-safety matter, already handled)."""
    errors: dict[str, list[str]] = {}
    reason = _text({"reason": reason}, "reason", errors, required=True, limit=2000)
    if errors:
        raise FieldErrors(errors)
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.DECLINE)
        return _move(tipoff, actor, rules.Action.DECLINE, EventKind.DECLINED, public=True, message=reason,
                     request_id=request_id, decline_reason=reason,
                     answer_due=rules.answer_due(today, deadline_policy()))


def assignable_users(tipoff: Tipoff) -> list[User]:
    """Active regulators who can see the report and handle it: its county and the levels above."""
    code = tipoff.division_id
    prefixes = {code[:n] for n in (2, 4, 6)} | {""}
    return [u for u in User.objects.filter(is_active=True, role__in=(Role.REG_INSPECTOR, Role.REG_LEADER))
            .select_related("organisation").order_by("username")
            if scope_of(u).is_regulator and scope_of(u).division_prefix in prefixes]


def assign(*, actor: User, tipoff: Tipoff, assignee: User, note: str = "", request_id: str = "") -> Tipoff:
    """Assign the verification (核查) to a regulator who can see the report."""
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.ASSIGN)
        if assignee.pk not in {u.pk for u in assignable_users(tipoff)}:
            raise FieldErrors.single("assignee", _("Select a regulator of this county or of a level above it."))
        return _move(tipoff, actor, rules.Action.ASSIGN, EventKind.ASSIGNED, public=tipoff.status != "verifying",
                     message=note.strip()[:2000], data={"assignee": assignee.pk, "assignee_name": str(assignee)},
                     request_id=request_id, assignee=assignee)


def verify(*, actor: User, tipoff: Tipoff, verified_true: bool, findings: str, today: dt.date | None = None,
           request_id: str = "") -> Tipoff:
    """Record the verification result; the reporter must be answered within 10 days (DOMAIN §6)."""
    errors: dict[str, list[str]] = {}
    findings = _text({"findings": findings}, "findings", errors, required=True)
    if errors:
        raise FieldErrors(errors)
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.VERIFY)
        if tipoff.assignee_id != actor.pk and actor.role != Role.REG_LEADER:
            raise PermissionDenied(_("Only the assigned verifier or a leader records the verification."))
        return _move(tipoff, actor, rules.Action.VERIFY, EventKind.VERIFIED, public=True, request_id=request_id,
                     data={"verified_true": bool(verified_true)}, verified_true=bool(verified_true),
                     verified_on=today, findings=findings, answer_due=rules.answer_due(today, deadline_policy()))


def identify_mine(*, actor: User, tipoff: Tipoff, mine: Mine, request_id: str = "") -> Tipoff:
    """Link a report about a described mine to the registered mine it concerns (the handling county
    becomes the mine's county; the mine must be in the actor's scope)."""
    require(actor, "tipoffs.handle", tipoff)
    if not Mine.objects.visible_to(actor).filter(pk=mine.pk).exists():
        raise FieldErrors.single("mine", _("Select a mine in your jurisdiction."))
    with transaction.atomic():
        tipoff = Tipoff.objects.select_for_update().get(pk=tipoff.pk)
        if tipoff.status in (TipoffStatus.CLOSED, TipoffStatus.MERGED, TipoffStatus.DECLINED):
            raise FieldErrors.single("mine", _("The report is no longer open."))
        if tipoff.hazard_id is not None and tipoff.mine_id != mine.pk:  # the ledger entry is of the old mine
            raise FieldErrors.single("mine", _("The report is linked to a hazard-ledger entry of its mine; the "
                                               "mine can no longer be changed."))
        before = _snapshot(tipoff)
        Tipoff.objects.filter(pk=tipoff.pk).update(mine=mine, division=mine.county_id, updated_at=timezone.now())
        tipoff.mine, tipoff.division_id = mine, mine.county_id
        _event(tipoff, actor, EventKind.IDENTIFIED, data={"mine": mine.pk, "mine_name": mine.name})
        audit.record(actor=actor, action="tipoffs.tipoff.identify_mine", obj=tipoff, before=before,
                     after=_snapshot(tipoff), request_id=request_id)
    return tipoff


def _money(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if amount < 0 or amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(_("Enter an amount in yuan, at most two decimals."))
        return None
    return amount


def handle(*, actor: User, tipoff: Tipoff, note: str, fine_amount: Any = None, accident_grade: str = "",
           concealed_deaths: int = 0, hazard_data: Mapping[str, Any] | None = None, hazard: Hazard | None = None,
           today: dt.date | None = None, request_id: str = "") -> Tipoff:
    """Record how a verified report was handled. A verified major hazard becomes a hazard-ledger
    entry with source 群众举报 (``hazard_data`` registers a new one, ``hazard`` links an existing one
    of the same mine), linked both ways (seed-004 第11项: 群众举报查实的重大事故隐患 in the ledger)."""
    errors: dict[str, list[str]] = {}
    note = _text({"note": note}, "note", errors, required=True)
    fine = _money(fine_amount, "fine_amount", errors)
    if accident_grade and accident_grade not in AccidentGrade.values:
        errors.setdefault("accident_grade", []).append(_("Select a valid choice."))
    try:
        deaths = int(concealed_deaths or 0)
    except (TypeError, ValueError):
        deaths = -1
    if not 0 <= deaths <= 1000:
        errors.setdefault("concealed_deaths", []).append(_("Enter a whole number from 0 to 1000."))
    if hazard_data is not None and hazard is not None:
        errors.setdefault("hazard", []).append(_("Register a new hazard or link an existing one, not both."))
    if errors:
        raise FieldErrors(errors)
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.HANDLE)
        if tipoff.category == TipoffCategory.CONCEALED_ACCIDENT:
            if deaths and not accident_grade:
                raise FieldErrors.single("accident_grade", _("Give the grade of the concealed accident."))
        elif deaths or accident_grade:
            raise FieldErrors.single("concealed_deaths", _("Concealed deaths and the accident grade are for "
                                                           "reports of a concealed accident."))
        if (hazard_data is not None or hazard is not None) and tipoff.mine is None:
            raise FieldErrors.single("hazard", _("Identify the mine of the report first."))
        if hazard_data is not None:
            hazard = hazard_services.register_hazard(
                actor=actor, mine=tipoff.mine, data={**hazard_data, "source": HazardSource.TIP_OFF}, today=today,
                request_id=request_id)
        elif hazard is not None and not Hazard.objects.visible_to(actor).filter(pk=hazard.pk,
                                                                                 mine=tipoff.mine).exists():
            raise FieldErrors.single("hazard", _("Select a hazard of this mine."))
        return _move(tipoff, actor, rules.Action.HANDLE, EventKind.HANDLED, public=False, message=note,
                     data={"hazard": hazard.pk if hazard else None, "fine_amount": fine}, request_id=request_id,
                     handled_on=today, handling_note=note, hazard=hazard, fine_amount=fine,
                     accident_grade=accident_grade, concealed_deaths=deaths)


def answer(*, actor: User, tipoff: Tipoff, text: str, today: dt.date | None = None, request_id: str = "") -> Tipoff:
    """The answer the reporter reads with the receipt code (反馈)."""
    errors: dict[str, list[str]] = {}
    text = _text({"text": text}, "text", errors, required=True)
    if errors:
        raise FieldErrors(errors)
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.ANSWER)
        return _move(tipoff, actor, rules.Action.ANSWER, EventKind.ANSWERED, public=True, message=text,
                     request_id=request_id, answer=text, answered_on=today)


def decide_reward(*, actor: User, tipoff: Tipoff, note: str = "", today: dt.date | None = None,
                  request_id: str = "") -> Tipoff:
    """Decide the reward with the schedule in force (rules.tipoffs.reward_for, DOMAIN §6); the amount,
    its basis, rule version and inputs are stored so the decision can be reproduced."""
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.reward", rules.Action.DECIDE_REWARD)
        earliest = tipoff.duplicates.order_by("received_at").values_list("received_at", flat=True).first()
        first = earliest is None or tipoff.received_at <= earliest
        reward = rules.reward_for(category=tipoff.category, verified_true=bool(tipoff.verified_true),
                                  first_reporter=first, fine_amount=tipoff.fine_amount,
                                  accident_grade=tipoff.accident_grade or None,
                                  concealed_deaths=tipoff.concealed_deaths, decided_on=today)
        return _move(tipoff, actor, rules.Action.DECIDE_REWARD, EventKind.REWARD, public=True,
                     message=note.strip()[:2000], request_id=request_id,
                     data={"amount": reward.amount, "basis": reward.basis, "code": reward.code,
                           "rule_version": reward.rule_version, "citation": str(reward.citation)},
                     reward_amount=reward.amount, reward_basis=reward.basis, reward_code=reward.code,
                     reward_rule_version=reward.rule_version, reward_details=audit.jsonable(dict(reward.details)),
                     reward_decided_on=today)


def record_payment(*, actor: User, tipoff: Tipoff, paid_on: dt.date, note: str = "", today: dt.date | None = None,
                   request_id: str = "") -> Tipoff:
    """Record that the decided reward was paid (兑现)."""
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.reward", rules.Action.RECORD_PAYMENT)
        if not tipoff.reward_amount:
            raise FieldErrors.single("paid_on", _("No reward was decided for this report."))
        if tipoff.reward_paid_on:
            raise FieldErrors.single("paid_on", _("The payment is already recorded."))
        if not isinstance(paid_on, dt.date) or paid_on > today or paid_on < tipoff.reward_decided_on:
            raise FieldErrors.single("paid_on", _("The payment date must be between the decision and today."))
        return _move(tipoff, actor, rules.Action.RECORD_PAYMENT, EventKind.PAID, public=True,
                     message=note.strip()[:2000], request_id=request_id, data={"paid_on": paid_on},
                     reward_paid_on=paid_on)


def close(*, actor: User, tipoff: Tipoff, today: dt.date | None = None, request_id: str = "") -> Tipoff:
    """Close (办结) a report whose reporter has been answered and whose reward, if any, is paid."""
    today = today or _today()
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.handle", rules.Action.CLOSE)
        if tipoff.reward_amount and not tipoff.reward_paid_on:
            raise FieldErrors.single("__all__", _("Record the payment of the reward before closing."))
        return _move(tipoff, actor, rules.Action.CLOSE, EventKind.CLOSED, public=True, request_id=request_id,
                     closed_on=today)


def merge(*, actor: User, duplicate: Tipoff, primary: Tipoff, note: str = "", request_id: str = "") -> Tipoff:
    """Merge a later report about the same mine and matter into an earlier one. The duplicate's
    reporter reads the earlier report's answers; the reward goes to the first reporter (DOMAIN §6)."""
    require(actor, "tipoffs.handle", primary)
    if primary.pk == duplicate.pk:
        raise FieldErrors.single("primary", _("A report cannot be merged into itself."))
    with transaction.atomic():
        duplicate = _locked(actor, duplicate, "tipoffs.handle", rules.Action.MERGE)
        primary = Tipoff.objects.select_for_update().get(pk=primary.pk)
        if primary.status in (TipoffStatus.MERGED, TipoffStatus.DECLINED, TipoffStatus.CLOSED):
            raise FieldErrors.single("primary", _("Merge into a report that is still being handled."))
        if (primary.mine_id or duplicate.mine_id) and primary.mine_id != duplicate.mine_id:
            raise FieldErrors.single("primary", _("Both reports must concern the same mine."))
        if primary.division_id != duplicate.division_id:
            raise FieldErrors.single("primary", _("Both reports must be handled by the same county."))
        if (primary.received_at, primary.pk) > (duplicate.received_at, duplicate.pk):
            raise FieldErrors.single("primary", _("Merge the later report into the earlier one."))
        _event(primary, actor, EventKind.MERGED, data={"duplicate": duplicate.pk, "code": duplicate.receipt_code})
        return _move(duplicate, actor, rules.Action.MERGE, EventKind.MERGED, public=True, message=note.strip()[:2000],
                     data={"primary": primary.pk, "code": primary.receipt_code}, request_id=request_id,
                     merged_into=primary)


def extend(*, actor: User, tipoff: Tipoff, days: int, reason: str, request_id: str = "") -> Tipoff:
    """Extend the handling period (≤ 30 days in all) with the approval of an upper-level leader (DOMAIN §6)."""
    errors: dict[str, list[str]] = {}
    reason = _text({"reason": reason}, "reason", errors, required=True, limit=2000)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        tipoff = _locked(actor, tipoff, "tipoffs.extend", rules.Action.EXTEND)
        prefix = scope_of(actor).division_prefix
        if len(prefix) >= len(tipoff.division_id):
            raise PermissionDenied(_("An extension is approved by a leader of a level above the handling county."))
        policy = deadline_policy()
        verdict = rules.check_extension(days=int(days), already_extended=tipoff.extension_days, policy=policy)
        if not verdict.ok:
            raise FieldErrors.from_verdict(verdict)
        total = tipoff.extension_days + int(days)
        return _move(tipoff, actor, rules.Action.EXTEND, EventKind.EXTENDED, public=True, message=reason,
                     data={"days": int(days), "total": total}, request_id=request_id, extension_days=total,
                     handling_due=rules.handling_due(tipoff.accepted_on, total, policy))


def reveal_identity(*, actor: User, tipoff: Tipoff, request_id: str = "") -> dict[str, str]:
    """The reporter's identity and contact in clear, for a role allowed to see them; every reveal is
    audited and put on the (internal) timeline."""
    require(actor, "tipoffs.reveal_reporter", tipoff)
    identity = dict.fromkeys(IDENTITY_FIELDS, "")
    if tipoff.identity_sealed:
        identity.update(json.loads(REPORTER.unseal(tipoff.identity_sealed)))
    with transaction.atomic():
        _event(tipoff, actor, EventKind.REVEALED)
        audit.record(actor=actor, action="tipoffs.reporter.reveal", obj=tipoff,
                     after={"fields": sorted(k for k, v in identity.items() if v)}, request_id=request_id)
    return identity


def can_reveal(user: User) -> bool:
    return has_perm(user, "tipoffs.reveal_reporter")


def find_visible(actor: User, pk: int) -> Tipoff:
    """The report ``pk`` if the actor may see it (NotFound otherwise)."""
    require(actor, "tipoffs.view")
    tipoff = Tipoff.objects.visible_to(actor).select_related("mine", "division", "assignee", "hazard").filter(
        pk=pk).first()
    if tipoff is None:
        raise NotFound(f"tipoff {pk}")
    return tipoff
