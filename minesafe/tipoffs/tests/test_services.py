"""Tip-off services: intake, the closed loop, deadlines, merge, rewards, identity and refusals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from minesafe.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, RateLimited
from minesafe.core.models import AuditEntry
from minesafe.hazards.models import Hazard
from minesafe.testing.factories import World
from minesafe.tipoffs import services
from minesafe.tipoffs.models import Tipoff, TipoffAttachment, TipoffEvent

CLIENT = "203.0.113.7"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def submit(world: World, client: str = CLIENT, **over: object) -> services.Receipt:
    data = {"category": "major_hazard", "description": "井下-120m中段安全出口被堵塞，仍在组织生产",
            "mine": world.mine_a.pk, "anonymous": True, "phone": "13800000000", **over}
    return services.submit_tipoff(data=data, client=client)


def walk_to_answered(world: World, receipt: services.Receipt, *, true: bool = True, fine: str | None = "50000",
                     today: dt.date | None = None) -> Tipoff:
    t = services.accept(actor=world.county_leader, tipoff=receipt.tipoff, today=today)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    t = services.verify(actor=world.county_inspector, tipoff=t, verified_true=true, findings="现场核实：情况属实",
                        today=today)
    if true:
        t = services.handle(actor=world.county_inspector, tipoff=t, note="责令停产整改，罚款", fine_amount=fine,
                            today=today)
    return services.answer(actor=world.county_inspector, tipoff=t, text="经核查，举报属实，已依法处理。", today=today)


@pytest.mark.django_db
def test_submit_gives_a_receipt_and_seals_the_identity(world: World) -> None:
    receipt = submit(world, anonymous=False, name="王举报", email="w@example.com")
    t = receipt.tipoff
    assert t.division_id == world.mine_a.county_id and t.status == "received"
    assert t.receipt_code.startswith("JB") and len(t.receipt_code) == 12
    assert len(receipt.secret) == 12 and receipt.secret not in t.secret_hash
    assert "王举报" not in t.identity_sealed and "13800000000" not in t.identity_sealed
    assert t.has_contact and not t.anonymous
    assert t.accept_due == timezone.localdate() + dt.timedelta(days=15)
    entry = AuditEntry.objects.get(action="tipoffs.tipoff.submit")
    assert entry.actor_id is None and "王举报" not in json.dumps(entry.after, ensure_ascii=False)
    assert "identity_sealed" not in entry.after and "secret_hash" not in entry.after
    # the receipt opens the report, with or without dashes, in any case
    assert services.open_tipoff(code=services.format_code(t.receipt_code).lower(), secret=receipt.secret,
                                client=CLIENT) == t
    assert services.open_tipoff(code=t.receipt_code[2:], secret=services.format_secret(receipt.secret),
                                client=CLIENT) == t


@pytest.mark.django_db
def test_a_described_mine_needs_a_county_and_a_description(world: World) -> None:
    with pytest.raises(FieldErrors) as err:
        submit(world, mine="", county="")
    assert set(err.value.errors) == {"county", "mine_description"}
    with pytest.raises(FieldErrors) as err:
        submit(world, mine="", county="210300", mine_description="山里的小矿")  # a city, not a county
    assert set(err.value.errors) == {"county"}
    t = submit(world, mine="", county=world.mine_b.county_id, mine_description="阜新某无证小煤窑").tipoff
    assert t.mine is None and t.division_id == world.mine_b.county_id
    with pytest.raises(FieldErrors) as err:
        submit(world, mine="999999")
    assert set(err.value.errors) == {"mine"}


@pytest.mark.django_db
def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(world: World) -> None:
    with pytest.raises(FieldErrors) as err:
        submit(world, category="rumour", description="太短", anonymous=False, name="", phone="abc", email="x@",
               occurred_on=timezone.localdate() + dt.timedelta(days=1))
    assert set(err.value.errors) == {"category", "description", "name", "phone", "email", "occurred_on"}
    with pytest.raises(FieldErrors) as err:
        submit(world, anonymous=True, name="王举报")
    assert set(err.value.errors) == {"name"}
    bad_file = SimpleUploadedFile("x.png", b"not a png", content_type="image/png")
    with pytest.raises(FieldErrors) as err:
        services.submit_tipoff(data={"category": "other", "description": "一段足够长的举报描述文字",
                                     "mine": world.mine_a.pk, "anonymous": True}, attachments=[bad_file], client=CLIENT)
    assert set(err.value.errors) == {"attachments"}
    assert not Tipoff.objects.exists() and not TipoffAttachment.objects.exists()


@pytest.mark.django_db
def test_attachments_are_stored_with_their_hash(world: World) -> None:
    upload = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    receipt = services.submit_tipoff(data={"category": "hidden_face", "description": "有隐蔽工作面在夜间生产",
                                           "mine": world.mine_a.pk, "anonymous": True}, attachments=[upload],
                                     client=CLIENT)
    (att,) = receipt.tipoff.attachments.all()
    assert att.original_name == "现场.png" and att.from_reporter and att.size == len(PNG) and len(att.sha256) == 64


@pytest.mark.django_db
def test_submissions_are_rate_limited_per_address(world: World, settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = 2
    submit(world), submit(world)
    with pytest.raises(RateLimited) as err:
        submit(world)
    assert err.value.retry_after > 0 and "12350" in str(err.value)
    submit(world, client="198.51.100.1")  # another address is not affected
    assert Tipoff.objects.count() == 3


@pytest.mark.django_db
def test_wrong_codes_are_rate_limited_and_look_the_same(world: World, settings) -> None:
    settings.TIPOFF_LOOKUP_FAILURES = 3
    receipt = submit(world)
    messages = set()
    for code, secret in ((receipt.tipoff.receipt_code, "WRONGSECRET2"), ("JBXXXXXXXXXX", receipt.secret),
                         ("garbage", "")):
        with pytest.raises(FieldErrors) as err:
            services.open_tipoff(code=code, secret=secret, client=CLIENT)
        messages.add(str(err.value))
    assert len(messages) == 1  # an unknown code and a wrong secret get the same answer
    with pytest.raises(RateLimited):
        services.open_tipoff(code=receipt.tipoff.receipt_code, secret=receipt.secret, client=CLIENT)
    assert services.open_tipoff(code=receipt.tipoff.receipt_code, secret=receipt.secret, client="198.51.100.9")


@pytest.mark.django_db
def test_the_closed_loop_with_a_reward(world: World) -> None:
    receipt = submit(world)
    t = walk_to_answered(world, receipt)
    assert t.status == "answered" and t.verified_true and t.handled_on and t.answered_on
    with pytest.raises(PermissionDenied):
        services.decide_reward(actor=world.county_inspector, tipoff=t)
    t = services.decide_reward(actor=world.county_leader, tipoff=t)
    assert (t.status, t.reward_amount, t.reward_basis) == ("reward_decided", Decimal("7500"), "fine")
    assert t.reward_rule_version and t.reward_details
    with pytest.raises(FieldErrors):  # unpaid reward: not closed yet
        services.close(actor=world.county_leader, tipoff=t)
    with pytest.raises(FieldErrors):
        services.record_payment(actor=world.county_leader, tipoff=t, paid_on=timezone.localdate() + dt.timedelta(1))
    t = services.record_payment(actor=world.county_leader, tipoff=t, paid_on=timezone.localdate())
    t = services.close(actor=world.county_leader, tipoff=t)
    assert t.status == "closed" and t.closed_on == timezone.localdate()
    public = list(TipoffEvent.objects.filter(tipoff=t, public=True).values_list("kind", flat=True))
    assert public == ["received", "accepted", "assigned", "verified", "answered", "reward", "paid", "closed"]
    assert not TipoffEvent.objects.get(tipoff=t, kind="handled").public  # internal handling notes stay internal
    actions = set(AuditEntry.objects.filter(object_type="tipoffs.tipoff").values_list("action", flat=True))
    assert {"tipoffs.tipoff.accept", "tipoffs.tipoff.verify", "tipoffs.tipoff.decide_reward",
            "tipoffs.tipoff.close"} <= actions


@pytest.mark.django_db
def test_minimum_reward_without_a_fine_and_none_when_false(world: World) -> None:
    t = services.decide_reward(actor=world.county_leader, tipoff=walk_to_answered(world, submit(world), fine=None))
    assert t.reward_amount == Decimal("3000")
    false = walk_to_answered(world, submit(world), true=False)
    with pytest.raises(FieldErrors):  # a report found untrue earns no reward: it is closed after the answer
        services.decide_reward(actor=world.county_leader, tipoff=false)
    assert services.close(actor=world.county_leader, tipoff=false).status == "closed"


@pytest.mark.django_db
def test_a_concealed_accident_needs_its_grade(world: World) -> None:
    t = submit(world, category="concealed_accident", description="上月井下冒顶死亡2人，企业未上报").tipoff
    t = services.accept(actor=world.county_leader, tipoff=t)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    t = services.verify(actor=world.county_inspector, tipoff=t, verified_true=True, findings="属实，瞒报2人")
    with pytest.raises(FieldErrors) as err:
        services.handle(actor=world.county_inspector, tipoff=t, note="移交事故调查", concealed_deaths=2)
    assert set(err.value.errors) == {"accident_grade"}
    t = services.handle(actor=world.county_inspector, tipoff=t, note="移交事故调查", concealed_deaths=2,
                        accident_grade="larger")
    t = services.answer(actor=world.county_inspector, tipoff=t, text="举报属实，已立案调查。")
    t = services.decide_reward(actor=world.county_leader, tipoff=t)
    assert (t.reward_amount, t.reward_basis) == (Decimal("80000"), "concealment")


@pytest.mark.django_db
def test_a_verified_hazard_enters_the_ledger_linked_both_ways(world: World) -> None:
    t = submit(world).tipoff
    t = services.accept(actor=world.county_leader, tipoff=t)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    t = services.verify(actor=world.county_inspector, tipoff=t, verified_true=True, findings="安全出口堵塞属实")
    hazard_data = {"category_code": "metal-ug-2022.1", "description": "安全出口被堵塞", "location": "-120m中段",
                   "found_on": timezone.localdate(), "found_by": "县局核查组"}
    t = services.handle(actor=world.county_inspector, tipoff=t, note="登记重大事故隐患", hazard_data=hazard_data)
    hazard = Hazard.objects.get()
    assert t.hazard == hazard and hazard.source == "tip_off" and hazard.mine == world.mine_a
    assert list(hazard.tipoffs.all()) == [t]
    from minesafe.core.links import links_for

    (link,) = links_for(world.county_inspector, hazard)
    assert str(t.pk) in link.url
    assert links_for(world.ent_principal, hazard) == []  # enterprises never see the report behind a hazard


@pytest.mark.django_db
def test_handling_a_described_mine_needs_it_identified_first(world: World) -> None:
    t = submit(world, mine="", county=world.mine_a.county_id, mine_description="岫岩北山一个矿").tipoff
    t = services.accept(actor=world.county_leader, tipoff=t)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    t = services.verify(actor=world.county_inspector, tipoff=t, verified_true=True, findings="属实")
    with pytest.raises(FieldErrors):
        services.handle(actor=world.county_inspector, tipoff=t, note="登记", hazard_data={})
    with pytest.raises(FieldErrors):  # not the inspector's mine
        services.identify_mine(actor=world.county_inspector, tipoff=t, mine=world.mine_b)
    t = services.identify_mine(actor=world.county_inspector, tipoff=t, mine=world.mine_a)
    assert t.mine == world.mine_a and Tipoff.objects.get(pk=t.pk).mine_id == world.mine_a.pk


@pytest.mark.django_db
def test_transitions_out_of_order_are_refused(world: World) -> None:
    t = submit(world).tipoff
    with pytest.raises(FieldErrors):
        services.verify(actor=world.county_leader, tipoff=t, verified_true=True, findings="x")
    with pytest.raises(FieldErrors):
        services.answer(actor=world.county_leader, tipoff=t, text="x")
    with pytest.raises(FieldErrors) as err:
        services.decline(actor=world.county_leader, tipoff=t, reason=" ")
    assert set(err.value.errors) == {"reason"}
    t = services.decline(actor=world.county_leader, tipoff=t, reason="不属于矿山安全监管范围，已转交市场监管部门")
    assert t.status == "declined" and t.answer_due
    with pytest.raises(FieldErrors):
        services.accept(actor=world.county_leader, tipoff=t)
    t = services.answer(actor=world.county_leader, tipoff=t, text="不属于矿山安全监管范围，已转交。")
    assert services.close(actor=world.county_leader, tipoff=t).status == "closed"


@pytest.mark.django_db
def test_only_the_assignee_or_a_leader_verifies(world: World) -> None:
    t = services.accept(actor=world.county_leader, tipoff=submit(world).tipoff)
    with pytest.raises(FieldErrors):  # a regulator of another county cannot be assigned
        services.assign(actor=world.county_leader, tipoff=t, assignee=world.other_county_inspector)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.city_inspector)
    with pytest.raises(PermissionDenied):
        services.verify(actor=world.county_inspector, tipoff=t, verified_true=True, findings="属实")
    assert services.verify(actor=world.county_leader, tipoff=t, verified_true=False, findings="查无此事").status == \
        "verified"


@pytest.mark.django_db
def test_scope_enterprises_and_admins_are_refused(world: World) -> None:
    t = submit(world).tipoff
    with pytest.raises(NotFound):
        services.accept(actor=world.other_county_inspector, tipoff=t)
    for user in (world.ent_principal, world.ent_safety, world.sys_admin, world.audit_admin):
        with pytest.raises(PermissionDenied):
            services.accept(actor=user, tipoff=t)
        assert not Tipoff.objects.visible_to(user).exists()
    assert Tipoff.objects.get(pk=t.pk).status == "received"


@pytest.mark.django_db
def test_a_stale_object_conflicts(world: World) -> None:
    t = submit(world).tipoff
    stale = Tipoff.objects.get(pk=t.pk)
    services.accept(actor=world.county_leader, tipoff=t)
    # the service re-reads under lock, so the stale copy is refused by the rule, not written over
    with pytest.raises((FieldErrors, Conflict)):
        services.accept(actor=world.county_leader, tipoff=stale)
    assert Tipoff.objects.filter(status="accepted").count() == 1


@pytest.mark.django_db
def test_merge_keeps_the_first_reporter(world: World) -> None:
    first, later = submit(world).tipoff, submit(world, client="198.51.100.2").tipoff
    with pytest.raises(FieldErrors):
        services.merge(actor=world.county_leader, duplicate=first, primary=later)
    other = submit(world, mine=world.mine_b.pk).tipoff
    with pytest.raises((FieldErrors, NotFound)):
        services.merge(actor=world.province_leader, duplicate=other, primary=first)
    merged = services.merge(actor=world.county_leader, duplicate=later, primary=first, note="同一矿同一事项")
    assert (merged.status, merged.merged_into) == ("merged", first)
    t = services.decide_reward(actor=world.county_leader, tipoff=walk_to_answered(world, services.Receipt(
        tipoff=first, code=first.receipt_code, secret="")))
    assert t.reward_amount == Decimal("7500")


@pytest.mark.django_db
def test_extension_by_an_upper_level_leader_only(world: World) -> None:
    today = timezone.localdate()
    t = services.accept(actor=world.county_leader, tipoff=submit(world).tipoff, today=today)
    assert t.handling_due == today + dt.timedelta(days=60)
    with pytest.raises(PermissionDenied):  # the county's own leader cannot extend its own deadline
        services.extend(actor=world.county_leader, tipoff=t, days=10, reason="需技术鉴定")
    t = services.extend(actor=world.city_leader, tipoff=t, days=20, reason="需技术鉴定")
    assert (t.extension_days, t.handling_due) == (20, today + dt.timedelta(days=80))
    with pytest.raises(FieldErrors):  # 30 days in all
        services.extend(actor=world.city_leader, tipoff=t, days=11, reason="再延")
    assert services.extend(actor=world.province_leader, tipoff=t, days=10, reason="再延").extension_days == 30


@pytest.mark.django_db
def test_overdue_flags_follow_the_deadlines(world: World) -> None:
    t = submit(world).tipoff
    assert t.overdue_flags(t.accept_due) == frozenset()
    assert t.overdue_flags(t.accept_due + dt.timedelta(days=1)) == {"accept"}
    assert list(Tipoff.objects.overdue(t.accept_due + dt.timedelta(days=1))) == [t]
    t = services.accept(actor=world.county_leader, tipoff=t)
    assert list(Tipoff.objects.overdue(t.handling_due)) == []
    assert list(Tipoff.objects.overdue(t.handling_due + dt.timedelta(days=1))) == [t]


@pytest.mark.django_db
def test_reveal_is_for_leaders_and_audited(world: World) -> None:
    t = submit(world, anonymous=False, name="王举报", phone="13900000000").tipoff
    with pytest.raises(PermissionDenied):
        services.reveal_identity(actor=world.county_inspector, tipoff=t)
    identity = services.reveal_identity(actor=world.county_leader, tipoff=t)
    assert (identity["name"], identity["phone"]) == ("王举报", "13900000000")
    entry = AuditEntry.objects.get(action="tipoffs.reporter.reveal")
    assert entry.actor_id == world.county_leader.pk and "王举报" not in json.dumps(entry.after, ensure_ascii=False)
    assert TipoffEvent.objects.filter(tipoff=t, kind="revealed", public=False).exists()
    anonymous = submit(world).tipoff
    assert services.reveal_identity(actor=world.county_leader, tipoff=anonymous)["name"] == ""


@pytest.mark.django_db
def test_the_reporter_adds_information_until_closed(world: World) -> None:
    receipt = submit(world)
    event = services.add_information(tipoff=receipt.tipoff, text="补充：夜班22点后开工",
                                     attachments=[SimpleUploadedFile("a.png", PNG)], client=CLIENT)
    assert event.public and event.actor is None and receipt.tipoff.attachments.count() == 1
    with pytest.raises(FieldErrors):
        services.add_information(tipoff=receipt.tipoff, text="  ", client=CLIENT)
    t = services.decline(actor=world.county_leader, tipoff=receipt.tipoff, reason="重复举报")
    t = services.answer(actor=world.county_leader, tipoff=t, text="重复举报")
    services.close(actor=world.county_leader, tipoff=t)
    with pytest.raises(FieldErrors):
        services.add_information(tipoff=t, text="还有", client=CLIENT)
