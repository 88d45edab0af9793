"""Hazard lifecycle services: transitions, guards, scope, compare-and-set, decisions, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minesafe.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.hazards import services
from minesafe.hazards.models import Evidence, Hazard, HazardEvent, Listing, RuleDecision
from minesafe.rules import hazards as rules
from minesafe.testing.factories import World

TODAY = dt.date(2026, 11, 23)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _register(world: World, *, actor=None, mine=None, source="inspection", found_on=dt.date(2026, 11, 2), **extra):
    data = {"source": source, "category_code": "metal-ug-2022.1", "description": "安全出口不足两个",
            "location": "-120m 中段", "found_on": found_on, "found_by": "县局执法检查组", **extra}
    return services.register_hazard(actor=actor or world.county_leader, mine=mine or world.mine_a, data=data,
                                    today=TODAY)


def _plan(deadline=dt.date(2026, 12, 31)) -> dict:
    return {"responsible_person": "王矿长", "measures": "新掘第二安全出口", "funds_yuan": Decimal("850000"),
            "deadline": deadline, "contingency_plan": "停止-120m 中段作业，人员撤离"}


@pytest.mark.django_db
def test_full_lifecycle_writes_timeline_and_audit(world: World) -> None:
    hazard = _register(world)
    assert hazard.status == "registered" and hazard.standard_code == "metal-ug-2022"
    assert hazard.penalty_code == "heavy_penalty"  # found by inspection (seed-002 §五)
    hazard = services.start_rectification(actor=world.ent_principal, hazard=hazard, plan=_plan(), today=TODAY)
    assert (hazard.status, hazard.deadline, hazard.original_deadline) == ("rectifying", dt.date(2026, 12, 31),
                                                                           dt.date(2026, 12, 31))
    hazard = services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="已完成",
                                        evidence=[_png("done.png")], today=TODAY)
    assert hazard.status == "awaiting_verification"
    hazard = services.reject_closure(actor=world.county_inspector, hazard=hazard, reason="出口坡度不符合设计",
                                     today=TODAY)
    assert hazard.status == "rectifying"
    with pytest.raises(FieldErrors):  # the rejected application's files do not count again
        services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="已整改", evidence=[], today=TODAY)
    hazard = services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="已整改",
                                        evidence=[_png("again.png")], today=TODAY)
    with pytest.raises(PermissionDenied):  # the applicant does not verify its own close-out
        services.verify_closure(actor=world.ent_principal, hazard=hazard, method="on_site", today=TODAY)
    hazard = services.verify_closure(actor=world.county_inspector, hazard=hazard, method="on_site", today=TODAY)
    assert hazard.status == "closed" and hazard.closed_on == TODAY
    kinds = list(HazardEvent.objects.filter(hazard=hazard).values_list("kind", flat=True))
    assert kinds[:2] == ["registered", "decision"] and kinds.count("status") == 4 and "plan" in kinds
    actions = set(AuditEntry.objects.filter(object_type="hazards.hazard", object_id=str(hazard.pk))
                  .values_list("action", flat=True))
    assert {"hazards.hazard.register", "hazards.hazard.start_rectification", "hazards.hazard.verify_closure",
            "hazards.hazard.reject_closure", "hazards.hazard.apply_for_closure"} <= actions


@pytest.mark.django_db
def test_plan_needs_all_five_elements(world: World) -> None:
    hazard = _register(world)
    with pytest.raises(FieldErrors) as err:
        services.start_rectification(actor=world.ent_principal, hazard=hazard,
                                     plan={**_plan(), "contingency_plan": "", "responsible_person": ""}, today=TODAY)
    assert {"contingency_plan", "responsible_person"} <= set(err.value.errors)
    assert Hazard.objects.get(pk=hazard.pk).status == "registered"


@pytest.mark.django_db
def test_roles_and_scope(world: World) -> None:
    hazard = _register(world)
    with pytest.raises(PermissionDenied):  # enterprises do not verify their own close-out
        services.verify_closure(actor=world.ent_principal, hazard=hazard, method="on_site", today=TODAY)
    with pytest.raises(NotFound):
        services.start_rectification(actor=world.other_county_inspector, hazard=hazard, plan=_plan(), today=TODAY)
    with pytest.raises(NotFound):
        _register(world, actor=world.county_leader, mine=world.mine_b)
    with pytest.raises(FieldErrors) as err:  # enterprises register their own self-check findings only
        _register(world, actor=world.ent_principal, source="inspection")
    assert "source" in err.value.errors
    own = _register(world, actor=world.ent_principal, source="self_check")
    assert own.penalty_code == "penalty_per_law"  # not yet under rectification
    own = services.start_rectification(actor=world.ent_principal, hazard=own, plan=_plan(), today=TODAY)
    assert own.penalty_code == "no_penalty_in_principle"  # 自查自改不罚 once the plan is in place
    assert RuleDecision.objects.filter(hazard=own, rule="penalty_recommendation").count() == 2


@pytest.mark.django_db
def test_category_must_belong_to_the_sector_standard(world: World) -> None:
    with pytest.raises(FieldErrors) as err:
        _register(world, category_code="coal-2024.2")  # a coal category at a metal underground mine
    assert "category_code" in err.value.errors
    with pytest.raises(FieldErrors):
        _register(world, category_code="nope")
    with pytest.raises(FieldErrors) as err:
        _register(world, found_on=TODAY + dt.timedelta(days=1))
    assert "found_on" in err.value.errors


@pytest.mark.django_db
def test_closure_proposal_and_repeat_offence(world: World) -> None:
    first = _register(world, found_on=dt.date(2026, 9, 1))
    assert not RuleDecision.objects.filter(rule="closure_proposal").exists()
    second = _register(world, found_on=dt.date(2026, 10, 15))  # within 3 months while producing
    proposal = RuleDecision.objects.get(rule="closure_proposal", hazard=second)
    assert proposal.code == "propose_closure" and proposal.rule_version == rules.RULE_VERSIONS["closure_proposal"]
    replayed = rules.replay("closure_proposal", proposal.rule_version,
                            found_dates=[dt.date.fromisoformat(d) for d in proposal.inputs["found_dates"]],
                            producing=proposal.inputs["producing"],
                            today=dt.date.fromisoformat(proposal.inputs["today"]))
    assert replayed is not None and replayed.code == proposal.code
    # close the first, then the same category again → 屡改屡犯
    services.start_rectification(actor=world.county_leader, hazard=first, plan=_plan(), today=TODAY)
    services.apply_for_closure(actor=world.county_leader, hazard=first, note="", evidence=[_png()], today=TODAY)
    services.verify_closure(actor=world.county_inspector, hazard=first, method="document",
                            today=dt.date(2026, 11, 10))
    third = services.register_hazard(actor=world.county_leader, mine=world.mine_a, data={
        "source": "inspection", "category_code": "metal-ug-2022.1", "description": "安全出口再次堵塞",
        "location": "-160m", "found_on": dt.date(2026, 11, 20), "found_by": "县局"}, today=TODAY)
    assert RuleDecision.objects.filter(hazard=third, rule="recurrence", code="repeat_offence").exists()


@pytest.mark.django_db
def test_extensions_keep_the_original_deadline(world: World) -> None:
    hazard = _register(world)
    services.start_rectification(actor=world.ent_principal, hazard=hazard, plan=_plan(dt.date(2026, 11, 30)),
                                 today=TODAY)
    ext = services.request_extension(actor=world.ent_principal, hazard=hazard, requested=dt.date(2027, 1, 31),
                                     reason="冬季施工受限", today=TODAY)
    with pytest.raises(FieldErrors):  # one pending request at a time
        services.request_extension(actor=world.ent_principal, hazard=hazard, requested=dt.date(2027, 2, 28),
                                   reason="再延", today=TODAY)
    with pytest.raises(PermissionDenied):
        services.decide_extension(actor=world.ent_principal, extension=ext, approve=True)
    services.decide_extension(actor=world.county_leader, extension=ext, approve=True, note="同意")
    hazard.refresh_from_db()
    assert (hazard.original_deadline, hazard.deadline) == (dt.date(2026, 11, 30), dt.date(2027, 1, 31))
    with pytest.raises(Conflict):
        services.decide_extension(actor=world.county_leader, extension=ext, approve=False)
    pending = services.request_extension(actor=world.ent_principal, hazard=hazard, requested=dt.date(2027, 2, 28),
                                         reason="设备到货延迟", today=TODAY)
    services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="", evidence=[_png()], today=TODAY)
    services.verify_closure(actor=world.county_inspector, hazard=hazard, method="on_site", today=TODAY)
    pending.refresh_from_db()
    assert pending.status == "rejected"  # closing out settles pending requests
    with pytest.raises(FieldErrors):
        services.decide_extension(actor=world.county_leader, extension=pending, approve=True)
    assert Hazard.objects.get(pk=hazard.pk).deadline == dt.date(2027, 1, 31)


@pytest.mark.django_db
def test_listing_overdue_and_escalation_scan(world: World) -> None:
    hazard = _register(world)
    services.start_rectification(actor=world.county_leader, hazard=hazard, plan=_plan(dt.date(2026, 11, 5)),
                                 today=dt.date(2026, 11, 3))
    assert Hazard.objects.overdue(TODAY).filter(pk=hazard.pk).exists()
    assert services.escalation_scan(today=TODAY) == 1
    assert services.escalation_scan(today=TODAY) == 0  # one suggestion per hazard and rule version
    with pytest.raises(PermissionDenied):  # listing is for regulator leaders
        services.list_for_supervision(actor=world.county_inspector, hazard=hazard, document_no="x",
                                      deadline=TODAY, today=TODAY)
    listing = services.list_for_supervision(actor=world.city_leader, hazard=hazard,
                                            document_no="鞍安委办督〔2026〕3号", deadline=dt.date(2026, 12, 20),
                                            today=TODAY)
    assert listing.level == "city" and Hazard.objects.get(pk=hazard.pk).listed
    services.apply_for_closure(actor=world.county_leader, hazard=hazard, note="", evidence=[_png()], today=TODAY)
    services.verify_closure(actor=world.county_inspector, hazard=hazard, method="on_site", today=TODAY)
    assert not Hazard.objects.get(pk=hazard.pk).listed
    assert Listing.objects.get(pk=listing.pk).lifted_on == TODAY


@pytest.mark.django_db
def test_evidence_is_checked_and_hashed(world: World) -> None:
    bad = SimpleUploadedFile("x.png", b"MZ not an image", content_type="image/png")
    _register(world)
    with pytest.raises(FieldErrors):
        services.register_hazard(actor=world.county_leader, mine=world.mine_a, evidence=[bad], today=TODAY, data={
            "source": "inspection", "category_code": "metal-ug-2022.1", "description": "d", "location": "l",
            "found_on": TODAY, "found_by": "f"})
    assert Hazard.objects.count() == 1  # the first registration only; the bad upload left nothing
    with pytest.raises(FieldErrors):
        services.register_hazard(actor=world.county_leader, mine=world.mine_a,
                                 evidence=[SimpleUploadedFile("x.exe", PNG)], today=TODAY, data={
                                     "source": "inspection", "category_code": "metal-ug-2022.1", "description": "d",
                                     "location": "l", "found_on": TODAY, "found_by": "f"})
    hazard = services.register_hazard(actor=world.county_leader, mine=world.mine_a, evidence=[_png()], today=TODAY,
                                      data={"source": "inspection", "category_code": "metal-ug-2022.1",
                                            "description": "d", "location": "l", "found_on": TODAY, "found_by": "f"})
    evidence = Evidence.objects.get(hazard=hazard)
    import hashlib

    assert evidence.sha256 == hashlib.sha256(PNG).hexdigest() and evidence.size == len(PNG)


@pytest.mark.django_db
def test_concurrent_transition_is_a_conflict(world: World) -> None:
    hazard = _register(world)
    stale = Hazard.objects.get(pk=hazard.pk)
    services.start_rectification(actor=world.county_leader, hazard=hazard, plan=_plan(), today=TODAY)
    with pytest.raises(FieldErrors):  # the service reloads: rectifying cannot start rectification again
        services.start_rectification(actor=world.county_leader, hazard=stale, plan=_plan(), today=TODAY)


@pytest.mark.django_db
def test_self_inspection_period_and_uniqueness(world: World) -> None:
    record = services.record_self_inspection(actor=world.ent_principal, mine=world.mine_a, period="2026-10",
                                             organised_on=dt.date(2026, 10, 28), organiser="王矿长", today=TODAY)
    assert record.period == "2026-10"
    with pytest.raises(FieldErrors) as err:
        services.record_self_inspection(actor=world.ent_principal, mine=world.mine_a, period="2026-10",
                                        organised_on=dt.date(2026, 10, 30), organiser="王矿长", today=TODAY)
    assert "period" in err.value.errors
    with pytest.raises(FieldErrors) as err:
        services.record_self_inspection(actor=world.ent_principal, mine=world.mine_a, period="2026-09",
                                        organised_on=dt.date(2026, 10, 2), organiser="王矿长", today=TODAY)
    assert "period" in err.value.errors


@pytest.mark.django_db
def test_closure_proposal_is_about_the_window_the_new_finding_completes(world: World) -> None:
    _register(world, found_on=dt.date(2026, 1, 10))
    _register(world, found_on=dt.date(2026, 2, 10))  # a cluster: proposal
    assert RuleDecision.objects.filter(rule="closure_proposal").count() == 1
    _register(world, found_on=dt.date(2026, 8, 10))  # alone in its 3 months: no new proposal
    assert RuleDecision.objects.filter(rule="closure_proposal").count() == 1


@pytest.mark.django_db
def test_requester_does_not_decide_its_own_extension(world: World) -> None:
    hazard = _register(world)
    services.start_rectification(actor=world.county_leader, hazard=hazard, plan=_plan(), today=TODAY)
    ext = services.request_extension(actor=world.county_leader, hazard=hazard, requested=dt.date(2027, 3, 1),
                                     reason="代企业申请", today=TODAY)
    with pytest.raises(PermissionDenied):
        services.decide_extension(actor=world.county_leader, extension=ext, approve=True)
    services.decide_extension(actor=world.city_leader, extension=ext, approve=True)
    assert Hazard.objects.get(pk=hazard.pk).deadline == dt.date(2027, 3, 1)


@pytest.mark.django_db
def test_an_application_in_time_stops_the_overdue_clock(world: World) -> None:
    """rules.is_overdue: applied on or before the deadline → not overdue while the regulator verifies;
    a rejection restarts the clock; an approved extension can bring a late application in time."""
    deadline = dt.date(2026, 11, 10)
    in_time = services.start_rectification(actor=world.ent_principal, hazard=_register(world),
                                           plan=_plan(deadline), today=dt.date(2026, 11, 3))
    in_time = services.apply_for_closure(actor=world.ent_principal, hazard=in_time, note="已完成",
                                         evidence=[_png()], today=deadline)
    late = services.start_rectification(actor=world.ent_principal, hazard=_register(world),
                                        plan=_plan(deadline), today=dt.date(2026, 11, 3))
    late = services.apply_for_closure(actor=world.ent_principal, hazard=late, note="已完成", evidence=[_png()],
                                      today=dt.date(2026, 11, 12))
    assert (in_time.applied_on, in_time.deadline_met, late.deadline_met) == (deadline, True, False)
    overdue = set(Hazard.objects.overdue(TODAY).values_list("pk", flat=True))
    assert late.pk in overdue and in_time.pk not in overdue
    assert not rules.is_overdue(in_time.status, in_time.deadline, TODAY, applied_on=in_time.applied_on)
    in_time = services.reject_closure(actor=world.county_inspector, hazard=in_time, reason="坡度不符", today=TODAY)
    assert (in_time.applied_on, in_time.deadline_met) == (None, False)
    assert in_time.pk in set(Hazard.objects.overdue(TODAY).values_list("pk", flat=True))


@pytest.mark.django_db
def test_an_extension_decided_while_awaiting_verification_recomputes_the_clock(world: World) -> None:
    hazard = services.start_rectification(actor=world.ent_principal, hazard=_register(world),
                                          plan=_plan(dt.date(2026, 11, 25)), today=dt.date(2026, 11, 3))
    ext = services.request_extension(actor=world.ent_principal, hazard=hazard, requested=dt.date(2026, 12, 31),
                                     reason="设备到货延迟", today=dt.date(2026, 11, 20))
    hazard = services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="提前完成",
                                        evidence=[_png()], today=dt.date(2026, 11, 27))
    assert not hazard.deadline_met  # two days after the deadline then in force
    services.decide_extension(actor=world.county_inspector, extension=ext, approve=True)
    hazard.refresh_from_db()
    assert (hazard.deadline, hazard.deadline_met) == (dt.date(2026, 12, 31), True)


@pytest.mark.django_db
def test_timeline_is_worded_in_the_readers_language(world: World) -> None:
    from django.utils import translation

    from minesafe.hazards.timeline import describe

    hazard = services.start_rectification(actor=world.ent_principal, hazard=_register(world), plan=_plan(),
                                          today=TODAY)
    plan = hazard.events.get(kind="plan")
    notice = hazard.events.get(kind="notification")
    assert plan.message == "" and notice.message == ""  # codes and data only; nothing pre-worded
    with translation.override("en"):
        assert describe(plan) == "Five-in-place plan recorded; responsible: 王矿长; deadline 2026-12-31"
        assert describe(notice).startswith("Notified: the enterprise's principal")
    with translation.override("zh-hans"):
        assert "2026-12-31" in describe(plan) and "王矿长" in describe(plan) and "Five" not in describe(plan)
        assert describe(notice).startswith("已通知")
