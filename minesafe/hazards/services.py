"""Hazard-ledger state changes: one function per transition.

Each: permission and scope → rules (minesafe.rules.hazards / hazard_standards) → compare-and-set
write inside ``transaction.atomic`` → timeline event (HazardEvent) + audit entry. Rule decisions
(penalty, closure proposal, repeat offence, escalation) are stored with their rule version and
inputs (RuleDecision) so they can be replayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.models import User
from minesafe.accounts.permissions import require
from minesafe.core import audit, uploads
from minesafe.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from minesafe.core.querysets import scope_of
from minesafe.core.uploads import DOCUMENT_TYPES
from minesafe.hazards import tally
from minesafe.hazards.choices import EventKind, ExtensionStatus, HazardSource, HazardStatus, ProductionStop
from minesafe.hazards.models import Evidence, Extension, Hazard, HazardEvent, Listing, RuleDecision, SelfInspection
from minesafe.registry.models import Mine
from minesafe.rules import hazards as rules
from minesafe.rules.hazard_standards import category_family, find_category, find_item, standard_for

__all__ = [
    "add_evidence", "apply_for_closure", "decide_extension", "escalation_scan", "list_for_supervision",
    "record_self_inspection", "register_hazard", "reject_closure", "request_extension", "start_rectification",
    "verify_closure",
]

EVIDENCE_TYPES = DOCUMENT_TYPES  # extension → (content type, leading bytes): JPG, PNG, PDF, DOCX, XLSX


def _today() -> dt.date:
    return timezone.localdate()


def _visible_mine(actor: User, mine: Mine) -> Mine:
    if not Mine.objects.visible_to(actor).filter(pk=mine.pk).exists():
        raise NotFound(f"mine {mine.pk}")
    return mine


def _event(hazard: Hazard, actor: User | None, kind: str, *, message: str = "", from_status: str = "",
           to_status: str = "", data: Mapping[str, Any] | None = None) -> HazardEvent:
    return HazardEvent.objects.create(hazard=hazard, actor=actor, kind=kind, message=message,
                                      from_status=from_status, to_status=to_status,
                                      data=audit.jsonable(dict(data or {})))


def _decide(mine: Mine, hazard: Hazard | None, decision: rules.Decision | None, inputs: Mapping[str, Any],
            actor: User | None) -> RuleDecision | None:
    if decision is None:
        return None
    stored = RuleDecision.objects.create(
        mine=mine, hazard=hazard, rule=decision.rule, rule_version=decision.rule_version, code=decision.code,
        message=decision.message, citation=str(decision.citation)[:200], inputs=audit.jsonable(dict(inputs)),
        details=audit.jsonable(decision.details),
    )
    if hazard is not None:
        _event(hazard, actor, EventKind.DECISION, message=decision.message,
               data={"rule": decision.rule, "rule_version": decision.rule_version, "code": decision.code})
    return stored


def _set_status(hazard: Hazard, old: str, new: str, **fields: Any) -> None:
    """Compare-and-set on the status: a concurrent change makes this raise Conflict."""
    updated = Hazard.objects.filter(pk=hazard.pk, status=old).update(status=new, updated_at=timezone.now(),
                                                                      **fields)
    if updated != 1:
        raise Conflict(_("The hazard was changed by someone else; reload and try again."))
    hazard.status = new
    for name, value in fields.items():
        setattr(hazard, name, value)


def _check_action(hazard: Hazard, action: str, today: dt.date, **facts: Any) -> None:
    verdict = rules.check_hazard_action(rules.HazardActionFacts(
        status=hazard.status, action=action, found_on=hazard.found_on, today=today, **facts))
    if not verdict.ok:
        raise FieldErrors.from_verdict(verdict)


def check_upload(upload: UploadedFile) -> tuple[str, str, str]:
    """Type (extension and leading bytes) and size of an evidence file; returns (name, content type,
    sha256). Called for every file before any is stored, so a bad file leaves no good one behind."""
    checked = uploads.check_upload(upload, field="evidence", types=EVIDENCE_TYPES,
                                   max_bytes=settings.EVIDENCE_MAX_BYTES)
    return checked.name, checked.content_type, checked.sha256


def store_evidence(*, actor: User, hazard: Hazard, upload: UploadedFile, purpose: str) -> Evidence:
    """Store a checked upload with its SHA-256 and put it on the timeline (callers hold the transaction)."""
    name, content_type, sha256 = check_upload(upload)
    ext = "." + name.rsplit(".", 1)[-1].lower()
    evidence = Evidence(hazard=hazard, original_name=name, content_type=content_type, size=upload.size,
                        sha256=sha256, purpose=purpose, uploaded_by=actor)
    evidence.file.save(f"{sha256[:16]}{ext}", upload, save=False)
    evidence.save()
    _event(hazard, actor, EventKind.EVIDENCE, message=name, data={"sha256": sha256, "size": evidence.size,
                                                                   "purpose": purpose})
    return evidence


def add_evidence(*, actor: User, hazard: Hazard, upload: UploadedFile, purpose: str,
                 request_id: str = "") -> Evidence:
    """Attach a finding or rectification file to an open hazard (type, size and SHA-256 checked)."""
    hazard = _locked(actor, hazard, "hazards.rectify")
    if purpose not in ("finding", "rectification"):
        raise FieldErrors.single("purpose", _("Select a valid choice."))
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)  # a close-out racing this upload
        if hazard.status == HazardStatus.CLOSED:
            raise FieldErrors.single("__all__", _("A closed-out hazard takes no more evidence."))
        evidence = store_evidence(actor=actor, hazard=hazard, upload=upload, purpose=purpose)
        audit.record(actor=actor, action="hazards.evidence.add", obj=evidence,
                     after={"hazard": hazard.pk, "name": evidence.original_name, "sha256": evidence.sha256,
                            "size": evidence.size, "purpose": purpose}, request_id=request_id)
    return evidence


def _category(mine: Mine, category_code: str, item_code: str, found_on: dt.date) -> tuple[str, str]:
    """The standard in force on ``found_on`` for the mine's sector must contain the category."""
    try:
        standard = standard_for(mine.sector, found_on)
    except LookupError:
        raise FieldErrors.single("found_on", _("No determination standard is in force for this sector on that "
                                               "date.")) from None
    try:
        cat_standard, category = find_category(category_code)
    except KeyError:
        raise FieldErrors.single("category_code", _("Unknown hazard category.")) from None
    if cat_standard.code != standard.code:
        raise FieldErrors.single("category_code", _("This category is not in the standard in force for the "
                                                    "mine's sector on the finding date (%(std)s).")
                                 % {"std": standard.title})
    if item_code:
        try:
            _s, item_category, _item = find_item(item_code)
        except KeyError:
            raise FieldErrors.single("item_code", _("Unknown hazard item.")) from None
        if item_category.code != category.code:
            raise FieldErrors.single("item_code", _("The item does not belong to the category."))
    return standard.code, category_family(category_code)


def register_hazard(*, actor: User, mine: Mine, data: Mapping[str, Any], evidence: list[UploadedFile] | None = None,
                    today: dt.date | None = None, request_id: str = "") -> Hazard:
    """Enter a major hazard in the ledger (seed-004 三(二) 第9项: one ledger for every major hazard).

    Enterprises may only register their own self-check findings. Records the penalty recommendation,
    a closure proposal when the mine had two or more major hazards within three months while
    producing, a repeat-offence decision, and the notification of the principal and the actual
    controller (seed-004 第11项).
    """
    require(actor, "hazards.register")
    _visible_mine(actor, mine)
    today = today or _today()
    errors: dict[str, list[str]] = {}
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    for field in ("source", "category_code", "description", "location", "found_on", "found_by"):
        if not values.get(field):
            errors.setdefault(field, []).append(_("This field is required."))
    source = values.get("source") or ""
    if source and source not in HazardSource.values:
        errors.setdefault("source", []).append(_("Select a valid choice."))
    if scope_of(actor).is_enterprise and source and source != HazardSource.SELF_CHECK:
        errors.setdefault("source", []).append(_("An enterprise registers its own self-check findings."))
    stop = values.get("production_stop") or ProductionStop.NONE
    if stop not in ProductionStop.values:
        errors.setdefault("production_stop", []).append(_("Select a valid choice."))
    found_on = values.get("found_on")
    if isinstance(found_on, dt.date) and found_on > today:
        errors.setdefault("found_on", []).append(_("The finding date cannot be in the future."))
    for field, limit in (("location", 200), ("found_by", 100), ("item_code", 64)):
        if len(values.get(field) or "") > limit:
            errors.setdefault(field, []).append(_("At most %(n)d characters.") % {"n": limit})
    if errors:
        raise FieldErrors(errors)
    standard_code, family = _category(mine, values["category_code"], values.get("item_code") or "", found_on)
    for upload in evidence or []:
        check_upload(upload)
    with transaction.atomic():
        # Lock (and re-read) the mine so two registrations at once see each other in the 3-month
        # window, and "producing" is the mine's status now, not that of a stale object.
        mine = Mine.objects.select_for_update().select_related("enterprise").get(pk=mine.pk)
        history = list(Hazard.objects.filter(mine=mine, category_family=family).values_list("category_family",
                                                                                             "closed_on"))
        # Only the findings of the 3 months up to this one: a proposal is about the window this finding
        # completes, not any earlier cluster in the mine's history.
        candidates = Hazard.objects.filter(mine=mine, found_on__gte=rules.add_months(found_on, -4),
                                           found_on__lte=found_on).values_list("found_on", flat=True)
        found_dates = [*(d for d in candidates if rules.within_closure_window(d, found_on)), found_on]
        # "自查自改不罚" needs the rectification under way: a self-check finding is decided again when
        # its 五落实 plan starts (start_rectification).
        penalty = rules.penalty_recommendation(source=source, self_reported_with_rectification=False)
        hazard = Hazard.objects.create(
            mine=mine, source=source, standard_code=standard_code, category_code=values["category_code"],
            category_family=family, item_code=values.get("item_code") or "", description=values["description"],
            location=values["location"], found_on=found_on, found_by=values["found_by"], production_stop=stop,
            penalty_code=penalty.code, registered_by=actor,
        )
        tally.bump([(mine.county_id, found_on, None, 1)])
        _event(hazard, actor, EventKind.REGISTERED, to_status=HazardStatus.REGISTERED,
               message=hazard.description[:200])
        _decide(mine, hazard, penalty, {"source": source, "self_reported_with_rectification": False}, actor)
        producing = mine.status == "production"
        _decide(mine, hazard, rules.closure_proposal(found_dates, producing=producing, today=today),
                {"found_dates": found_dates, "producing": producing, "today": today}, actor)
        _decide(mine, hazard, rules.recurrence(family, history, found_on),
                {"category_code": family, "history": history, "found_on": found_on}, actor)
        targets = rules.notify_on_new_hazard()
        # Codes and names only: the timeline words it in the reader's language (hazards.timeline).
        _event(hazard, actor, EventKind.NOTIFICATION,
               data={"targets": list(targets), "actual_controller": mine.enterprise.actual_controller,
                     "citation": str(rules.NOTIFY_CITATION)})
        for upload in evidence or []:
            store_evidence(actor=actor, hazard=hazard, upload=upload, purpose="finding")
        audit.record(actor=actor, action="hazards.hazard.register", obj=hazard, after=audit.snapshot(hazard),
                     request_id=request_id)
    return hazard


def _locked(actor: User, hazard: Hazard, perm: str) -> Hazard:
    require(actor, perm, hazard)
    return Hazard.objects.select_related("mine", "mine__enterprise").get(pk=hazard.pk)


def start_rectification(*, actor: User, hazard: Hazard, plan: Mapping[str, Any], today: dt.date | None = None,
                        request_id: str = "") -> Hazard:
    """Record the 五落实 plan (responsibility, measures, funds, deadline, contingency plan) and start
    rectification; every element is required first (DOMAIN §10, seed-004 第9项)."""
    hazard = _locked(actor, hazard, "hazards.rectify")
    today = today or _today()
    five = rules.FivePlan(
        responsible_person=(plan.get("responsible_person") or "").strip(),
        measures=(plan.get("measures") or "").strip(),
        funds_yuan=plan.get("funds_yuan"), deadline=plan.get("deadline"),
        contingency_plan=(plan.get("contingency_plan") or "").strip(),
    )
    if five.funds_yuan is not None and abs(Decimal(five.funds_yuan)) >= Decimal("1e12"):
        raise FieldErrors.single("funds_yuan", _("Ensure that there are no more than 14 digits in total."))
    _check_action(hazard, rules.ACTION_START_RECTIFICATION, today, plan=five)
    with transaction.atomic():
        old = hazard.status
        _set_status(hazard, old, HazardStatus.RECTIFYING, responsible_person=five.responsible_person[:100],
                    measures=five.measures, funds_yuan=five.funds_yuan, contingency_plan=five.contingency_plan,
                    original_deadline=five.deadline, deadline=five.deadline)
        _event(hazard, actor, EventKind.PLAN, from_status=old, to_status=hazard.status,
               data={"responsible_person": five.responsible_person, "funds_yuan": five.funds_yuan,
                     "deadline": five.deadline})
        if hazard.source == HazardSource.SELF_CHECK:
            # Found by the enterprise's own check and now under rectification: 自查自改不罚 (seed-002 §五).
            penalty = rules.penalty_recommendation(source=hazard.source, self_reported_with_rectification=True)
            Hazard.objects.filter(pk=hazard.pk).update(penalty_code=penalty.code)
            hazard.penalty_code = penalty.code
            _decide(hazard.mine, hazard, penalty, {"source": hazard.source,
                                                   "self_reported_with_rectification": True}, actor)
        audit.record(actor=actor, action="hazards.hazard.start_rectification", obj=hazard,
                     before={"status": old}, after=audit.snapshot(hazard), request_id=request_id)
    return hazard


def apply_for_closure(*, actor: User, hazard: Hazard, note: str, evidence: list[UploadedFile],
                      today: dt.date | None = None, request_id: str = "") -> Hazard:
    """Apply for 销号 with rectification evidence (seed-004 第10项)."""
    hazard = _locked(actor, hazard, "hazards.rectify")
    today = today or _today()
    # Evidence counts only if uploaded after the last rejected close-out: a rejected application's
    # files cannot satisfy the next one.
    last_rejection = (hazard.events.filter(kind=EventKind.STATUS, to_status=HazardStatus.RECTIFYING,
                                           from_status=HazardStatus.AWAITING_VERIFICATION)
                      .order_by("-time", "-id").values_list("time", flat=True).first())
    fresh = hazard.evidence.filter(purpose="rectification")
    if last_rejection is not None:
        fresh = fresh.filter(uploaded_at__gt=last_rejection)
    existing = list(fresh.values_list("sha256", flat=True))
    _check_action(hazard, rules.ACTION_APPLY_FOR_CLOSURE, today,
                  evidence=tuple(existing) + tuple(u.name for u in evidence))
    for upload in evidence:
        check_upload(upload)
    with transaction.atomic():
        old = hazard.status
        # Applied on or before the deadline: the clock stops while the regulator verifies
        # (rules.hazards.is_overdue).
        _set_status(hazard, old, HazardStatus.AWAITING_VERIFICATION, applied_on=today,
                    deadline_met=hazard.deadline is not None and today <= hazard.deadline)
        for upload in evidence:
            store_evidence(actor=actor, hazard=hazard, upload=upload, purpose="rectification")
        _event(hazard, actor, EventKind.STATUS, from_status=old, to_status=hazard.status, message=note.strip())
        audit.record(actor=actor, action="hazards.hazard.apply_for_closure", obj=hazard, before={"status": old},
                     after={"status": hazard.status}, message=note.strip(), request_id=request_id)
    return hazard


def verify_closure(*, actor: User, hazard: Hazard, method: str, note: str = "", today: dt.date | None = None,
                   request_id: str = "") -> Hazard:
    """A regulator verifies rectification on site or by documents and closes the hazard out (销号);
    active listings are lifted."""
    hazard = _locked(actor, hazard, "hazards.verify")
    today = today or _today()
    _check_action(hazard, rules.ACTION_VERIFY_CLOSURE, today, verification_method=method)
    applicant = (hazard.events.filter(kind=EventKind.STATUS, to_status=HazardStatus.AWAITING_VERIFICATION)
                 .order_by("-time", "-id").values_list("actor_id", flat=True).first())
    if applicant is not None and applicant == actor.pk:
        # Separation of duties: whoever applied for close-out (e.g. a regulator entering it on the
        # enterprise's behalf) does not verify it.
        raise PermissionDenied("hazards.verify: the applicant cannot verify its own close-out")
    with transaction.atomic():
        old = hazard.status
        _set_status(hazard, old, HazardStatus.CLOSED, closed_on=today, verification_method=method, listed=False,
                    deadline_met=False)
        tally.bump([(hazard.mine.county_id, hazard.found_on, None, -1),
                    (hazard.mine.county_id, hazard.found_on, today, 1)])
        Listing.objects.filter(hazard=hazard, lifted_on__isnull=True).update(lifted_on=today)
        Extension.objects.filter(hazard=hazard, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REJECTED, decided_by=actor, decided_at=timezone.now(),
            decision_note=_("Closed out before a decision."))
        _event(hazard, actor, EventKind.STATUS, from_status=old, to_status=hazard.status, message=note.strip(),
               data={"method": method})
        audit.record(actor=actor, action="hazards.hazard.verify_closure", obj=hazard, before={"status": old},
                     after={"status": hazard.status, "closed_on": today, "method": method}, request_id=request_id)
    return hazard


def reject_closure(*, actor: User, hazard: Hazard, reason: str, today: dt.date | None = None,
                   request_id: str = "") -> Hazard:
    """Verification failed: back to rectification, with the reason on the timeline."""
    hazard = _locked(actor, hazard, "hazards.verify")
    today = today or _today()
    _check_action(hazard, rules.ACTION_REJECT_CLOSURE, today, reason=(reason or "").strip())
    with transaction.atomic():
        old = hazard.status
        _set_status(hazard, old, HazardStatus.RECTIFYING, applied_on=None, deadline_met=False)
        _event(hazard, actor, EventKind.STATUS, from_status=old, to_status=hazard.status, message=reason.strip())
        audit.record(actor=actor, action="hazards.hazard.reject_closure", obj=hazard, before={"status": old},
                     after={"status": hazard.status}, message=reason.strip(), request_id=request_id)
    return hazard


def request_extension(*, actor: User, hazard: Hazard, requested: dt.date, reason: str,
                      today: dt.date | None = None, request_id: str = "") -> Extension:
    """Ask to move the deadline; the original deadline is kept (like MSHA abatement dates)."""
    hazard = _locked(actor, hazard, "hazards.rectify")
    today = today or _today()
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)  # one pending request, even under races
        if hazard.status == HazardStatus.CLOSED or hazard.deadline is None:
            raise FieldErrors.single("requested_deadline", _("Only a hazard under rectification has a deadline "
                                                             "to extend."))
        if hazard.extensions.filter(status=ExtensionStatus.PENDING).exists():
            raise FieldErrors.single("requested_deadline", _("An extension request is already pending."))
        verdict = rules.check_extension(hazard.deadline, requested, reason or "", today)
        if not verdict.ok:
            raise FieldErrors({("requested_deadline" if k in ("requested", "deadline") else k): v
                               for k, v in verdict.field_errors().items()})
        ext = Extension.objects.create(hazard=hazard, previous_deadline=hazard.deadline, requested_deadline=requested,
                                       reason=reason.strip(), requested_by=actor)
        _event(hazard, actor, EventKind.EXTENSION_REQUESTED, message=reason.strip(),
               data={"from": hazard.deadline, "to": requested})
        audit.record(actor=actor, action="hazards.extension.request", obj=ext,
                     after={"hazard": hazard.pk, "from": hazard.deadline, "to": requested}, request_id=request_id)
    return ext


def decide_extension(*, actor: User, extension: Extension, approve: bool, note: str = "",
                     request_id: str = "") -> Extension:
    """A regulator approves (the hazard's deadline becomes the requested date) or rejects."""
    require(actor, "hazards.verify", extension.hazard)
    if extension.requested_by_id == actor.pk:
        raise PermissionDenied("hazards.verify: a request is decided by someone other than its requester")
    with transaction.atomic():
        # Locked and re-read: a close-out racing this decision must not leave a closed hazard's deadline moved.
        extension.hazard = Hazard.objects.select_for_update().get(pk=extension.hazard_id)
        if extension.hazard.status == HazardStatus.CLOSED:
            raise FieldErrors.single("__all__", _("The hazard is closed out; its deadline no longer moves."))
        decided = Extension.objects.filter(pk=extension.pk, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED, decided_by=actor,
            decided_at=timezone.now(), decision_note=(note or "").strip())
        if decided != 1:
            raise Conflict(_("This request was already decided."))
        extension.refresh_from_db()
        hazard = extension.hazard
        if approve:
            approved = list(hazard.extensions.filter(status=ExtensionStatus.APPROVED)
                            .values_list("requested_deadline", flat=True))
            new_deadline = rules.effective_deadline(hazard.original_deadline or extension.previous_deadline, approved)
            # An application awaiting verification that was late for the old deadline may be in time
            # for the new one (rules.hazards.is_overdue).
            met = hazard.applied_on is not None and new_deadline is not None and hazard.applied_on <= new_deadline
            Hazard.objects.filter(pk=hazard.pk).update(
                deadline=new_deadline, updated_at=timezone.now(),
                deadline_met=met and hazard.status == HazardStatus.AWAITING_VERIFICATION)
        _event(hazard, actor, EventKind.EXTENSION_DECIDED, message=(note or "").strip(),
               data={"approved": approve, "to": extension.requested_deadline})
        audit.record(actor=actor, action="hazards.extension.approve" if approve else "hazards.extension.reject",
                     obj=extension, after={"status": extension.status}, request_id=request_id)
    return extension


def list_for_supervision(*, actor: User, hazard: Hazard, document_no: str, deadline: dt.date, note: str = "",
                         today: dt.date | None = None, request_id: str = "") -> Listing:
    """挂牌督办: a regulator leader lists an open hazard, with document number, level and deadline
    (DOMAIN §10 挂牌督办 flow)."""
    hazard = _locked(actor, hazard, "hazards.list")
    today = today or _today()
    errors: dict[str, list[str]] = {}
    if hazard.status == HazardStatus.CLOSED:
        errors["__all__"] = [_("A closed-out hazard cannot be listed.")]
    if not (document_no or "").strip():
        errors["document_no"] = [_("This field is required.")]
    elif len(document_no) > 100:
        errors["document_no"] = [_("At most %(n)d characters.") % {"n": 100}]
    if deadline is None or deadline < today:
        errors["deadline"] = [_("The supervision deadline cannot be in the past.")]
    if errors:
        raise FieldErrors(errors)
    org = actor.organisation
    level = org.division.level if org is not None and org.division is not None else ""
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)  # serialise listings of one hazard
        if hazard.status == HazardStatus.CLOSED:
            raise FieldErrors.single("__all__", _("A closed-out hazard cannot be listed."))
        if Listing.objects.filter(hazard=hazard, lifted_on__isnull=True, level=level).exists():
            raise FieldErrors.single("__all__", _("This hazard is already listed at this level."))
        listing = Listing.objects.create(hazard=hazard, level=level, document_no=document_no.strip(),
                                         deadline=deadline, note=(note or "").strip(), listed_by=actor,
                                         organisation_name=str(org or ""))
        Hazard.objects.filter(pk=hazard.pk).update(listed=True, updated_at=timezone.now())
        _event(hazard, actor, EventKind.LISTED, message=document_no.strip(),
               data={"level": level, "deadline": deadline})
        audit.record(actor=actor, action="hazards.hazard.list", obj=hazard,
                     after={"document_no": listing.document_no, "level": level, "deadline": deadline},
                     request_id=request_id)
    return listing


def record_self_inspection(*, actor: User, mine: Mine, period: str, organised_on: dt.date, organiser: str,
                           hazards_found: int = 0, notes: str = "", today: dt.date | None = None,
                           request_id: str = "") -> SelfInspection:
    """Record the principal's monthly full-system major-hazard investigation (seed-002 §五)."""
    require(actor, "hazards.self_inspection")
    _visible_mine(actor, mine)
    today = today or _today()
    errors: dict[str, list[str]] = {}
    expected = rules.period_key(mine.sector, organised_on) if organised_on else ""
    if not organiser or not organiser.strip():
        errors["organiser"] = [_("This field is required.")]
    if mine.status == "closed":
        errors["__all__"] = [_("A closed mine has no monthly self-inspection.")]
    if organised_on is None or organised_on > today:
        errors["organised_on"] = [_("The date cannot be in the future.")]
    elif organised_on < today - dt.timedelta(days=3 * 366):
        errors["organised_on"] = [_("Only the last three years can be recorded.")]
    elif period != expected:
        errors["period"] = [_("The date %(d)s falls in period %(p)s.") % {"d": organised_on, "p": expected}]
    if hazards_found is not None and not 0 <= hazards_found <= 10000:
        errors["hazards_found"] = [_("Enter a number between 0 and 10000.")]
    if errors:
        raise FieldErrors(errors)
    try:
        with transaction.atomic():
            record = SelfInspection.objects.create(mine=mine, period=period, organised_on=organised_on,
                                                   organiser=organiser.strip()[:100], hazards_found=hazards_found or 0,
                                                   notes=(notes or "").strip(), recorded_by=actor)
            audit.record(actor=actor, action="hazards.self_inspection.record", obj=record,
                         after=audit.snapshot(record), request_id=request_id)
    except IntegrityError:
        raise FieldErrors.single("period", _("This period is already recorded for the mine.")) from None
    return record


def escalation_scan(*, today: dt.date | None = None) -> int:
    """Record an escalation suggestion for every overdue open hazard: 挂牌督办 when unlisted, further
    measures (函告、通报、约谈) when already listed. One decision per hazard, deadline and listing
    state under the current rule version, so an extended deadline that lapses again, or a listed
    hazard still overdue, is suggested again. Returns how many were recorded. Run daily
    (``manage.py hazards_sweep``)."""
    today = today or _today()
    version = rules.RULE_VERSIONS["escalation_suggestion"]
    seen = {
        (hazard_id, inputs.get("deadline"), inputs.get("listed"))
        for hazard_id, inputs in RuleDecision.objects.filter(rule="escalation_suggestion", rule_version=version)
        .values_list("hazard_id", "inputs")
    }
    count = 0
    for hazard in Hazard.objects.overdue(today).select_related("mine").order_by("id").iterator(chunk_size=500):
        if (hazard.pk, hazard.deadline.isoformat(), hazard.listed) in seen:
            continue
        days = rules.overdue_days(hazard.deadline, today)
        decision = rules.escalation_suggestion(overdue_days=days, listed=hazard.listed)
        if decision is None:
            continue
        with transaction.atomic():
            _decide(hazard.mine, hazard, decision,
                    {"overdue_days": days, "listed": hazard.listed, "deadline": hazard.deadline}, None)
        count += 1
    return count
