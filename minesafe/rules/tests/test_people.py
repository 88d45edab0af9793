"""People and qualifications rules (issue 4): seed-002 二/六, seed-004 一(二), 三(一), 三(五), DOMAIN §11."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from minesafe.rules import people as pp
from minesafe.rules.people import (
    CONSEQUENCE_LABELS,
    EDUCATION_LABELS,
    EMPLOYMENT_TYPE_LABELS,
    EXPIRY_WARNING_DAYS,
    FIVE_POSTS,
    FIVE_SECTIONS,
    ID_WEIGHTS,
    POST_LABELS,
    QUALIFICATION_RULES,
    RULE_VERSION,
    SEVERITY_LABELS,
    Consequence,
    Education,
    EmploymentType,
    Finding,
    MineFacts,
    PersonFacts,
    PostFacts,
    PostKind,
    Severity,
    Subject,
    TrainingFacts,
    annual_training_rate,
    birth_date_of,
    certificate_status,
    check_drills,
    check_mine,
    check_post,
    check_training,
    drill_due_date,
    id_check_char,
    mask_id_number,
    normalize_id_number,
    untrained,
    validate_id_number,
)
from minesafe.rules.sources import cite

TODAY = date(2025, 6, 15)
COAL = MineFacts("coal")
METAL_UG = MineFacts("metal_underground")
OPEN_PIT = MineFacts("metal_open_pit")
TAILINGS = MineFacts("tailings")

QUALIFIED_LEADER = PersonFacts(Education.college, core_discipline=True, years_experience=10)
QUALIFIED_SECTION = PersonFacts(Education.secondary_vocational, core_discipline=True, years_experience=5)


def _ids(findings: list[Finding]) -> list[str]:
    return [f.rule_id for f in findings]


def _reference_check(first17: str) -> str:
    """Independent ISO 7064 MOD 11-2: weights 2**(17-i) mod 11, check = (12 - sum mod 11) mod 11."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def _make_id(area: str, birth: str, seq: str = "123") -> str:
    first17 = area + birth + seq
    return first17 + _reference_check(first17)


# --- enums and labels ------------------------------------------------------------------------


def test_rule_version_is_a_string() -> None:
    assert RULE_VERSION.startswith("people-")


def test_education_is_ordered() -> None:
    order = list(Education)
    assert [e.rank for e in order] == list(range(len(order)))
    assert Education.college.at_least(Education.college)
    assert Education.bachelor.at_least(Education.college)
    assert not Education.secondary_vocational.at_least(Education.college)
    assert Education.secondary_vocational.at_least(Education.high_school)
    assert Education.master_or_above.rank == max(e.rank for e in Education)


@pytest.mark.parametrize(
    ("level", "has_major"),
    [
        (Education.primary_or_below, False),
        (Education.junior_high_or_below, False),
        (Education.high_school, False),
        (Education.secondary_vocational, True),
        (Education.college, True),
        (Education.master_or_above, True),
    ],
)
def test_education_has_major(level: Education, has_major: bool) -> None:
    assert level.has_major is has_major


def test_labels_cover_every_member() -> None:
    assert set(EDUCATION_LABELS) == set(Education)
    assert set(EMPLOYMENT_TYPE_LABELS) == set(EmploymentType)
    assert set(POST_LABELS) == set(PostKind)
    assert set(CONSEQUENCE_LABELS) == set(Consequence)
    assert set(SEVERITY_LABELS) == set(Severity)
    assert POST_LABELS[PostKind.mine_manager] == "矿长"
    assert EMPLOYMENT_TYPE_LABELS[EmploymentType.dispatched] == "劳务派遣"
    assert Consequence.halt_production.label == "责令停产整顿"
    assert Education.college.label == "大专"
    assert PostKind.section_ventilation.label == "通风科"


def test_enums_are_strings() -> None:
    assert Education.college == "college"
    assert PostKind("mine_manager") is PostKind.mine_manager
    assert Subject.mine == "mine"


def test_five_posts_and_sections() -> None:
    assert len(FIVE_POSTS) == len(set(FIVE_POSTS)) == 5
    assert len(FIVE_SECTIONS) == len(set(FIVE_SECTIONS)) == 5
    assert PostKind.mine_manager in FIVE_POSTS
    assert not set(FIVE_POSTS) & set(FIVE_SECTIONS)


def test_severity_rank() -> None:
    assert Severity.low.rank < Severity.medium.rank < Severity.high.rank < Severity.critical.rank


# --- ID numbers (GB 11643-1999) -------------------------------------------------------------------


def test_id_weights_are_powers_of_two_mod_11() -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == ID_WEIGHTS


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "210102198001011234"[:17],
        "440524188001010014"[:17],
        "00000000000000000",
        "99999999999999999",
    ],
)
def test_check_char_matches_reference(value: str) -> None:
    first17 = value[:17]
    assert id_check_char(first17) == _reference_check(first17)


def test_standard_example_valid() -> None:
    # The example of GB 11643-1999 itself; check char X.
    assert validate_id_number("11010519491231002X", TODAY).ok


def test_check_char_ten_is_x() -> None:
    assert id_check_char("11010519491231002") == "X"


def test_every_check_char_value_occurs() -> None:
    seen = {id_check_char(f"210102198001{n:05d}") for n in range(200)}
    assert seen == set("0123456789X")


@pytest.mark.parametrize("bad", ["", "12345", "1101051949123100211", "11010519491231002"])
def test_id_check_char_rejects_bad_input(bad: str) -> None:
    if len(bad) == 17:
        bad = bad[:16] + "A"
    with pytest.raises(ValueError):
        id_check_char(bad)


def test_normalize_id_number() -> None:
    assert normalize_id_number(" 110105 19491231002x\u3000") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "id_number.empty"),
        ("11010519491231002x", "id_number.not_normalized"),
        (" 11010519491231002X", "id_number.not_normalized"),
        ("1101051949123100", "id_number.length"),
        ("11010519491231002XX", "id_number.length"),
        ("1101051949123100AX", "id_number.charset"),
        ("11010519491231002Y", "id_number.charset"),
        ("１1010519491231002X", "id_number.charset"),  # full-width digit
        ("110105194912310021", "id_number.check_char"),
    ],
)
def test_id_number_refusals(value: str, code: str) -> None:
    verdict = validate_id_number(value, TODAY)
    assert code in verdict.codes
    assert verdict.reasons[0].field == "id_number"


def test_id_number_field_name() -> None:
    assert validate_id_number("", TODAY, field="idno").reasons[0].field == "idno"


@pytest.mark.parametrize("area", ["000000", "990101", "100101", "910101"])
def test_id_number_bad_area(area: str) -> None:
    assert validate_id_number(_make_id(area, "19800101"), TODAY).codes == ("id_number.area",)


@pytest.mark.parametrize("area", ["110105", "210102", "650102", "810000", "820000", "830000"])
def test_id_number_good_area(area: str) -> None:
    assert validate_id_number(_make_id(area, "19800101"), TODAY).ok


@pytest.mark.parametrize(
    ("birth", "ok"),
    [
        ("20000229", True),  # leap year divisible by 400
        ("20240229", True),
        ("19000229", False),  # 1900 is not a leap year
        ("20230229", False),
        ("19801301", False),
        ("19800100", False),
        ("19800431", False),
        ("18991231", False),  # before 1900: refused as implausible
        ("19000101", True),
    ],
)
def test_id_number_birth_dates(birth: str, ok: bool) -> None:
    verdict = validate_id_number(_make_id("210102", birth), TODAY)
    assert verdict.ok is ok
    if not ok:
        assert verdict.codes == ("id_number.birth_date",)


def test_id_number_birth_today_ok_tomorrow_refused() -> None:
    assert validate_id_number(_make_id("210102", TODAY.strftime("%Y%m%d")), TODAY).ok
    tomorrow = TODAY + timedelta(days=1)
    assert validate_id_number(_make_id("210102", tomorrow.strftime("%Y%m%d")), TODAY).codes == (
        "id_number.birth_future",
    )


def test_id_number_reports_several_reasons() -> None:
    verdict = validate_id_number("000000198013010000", TODAY)
    assert set(verdict.codes) >= {"id_number.area", "id_number.birth_date"}
    assert all(r.citation is not None for r in verdict.reasons)


def test_mask_id_number() -> None:
    assert mask_id_number("21010219800101123X") == "210102********123X"
    assert mask_id_number("21010219800101123x") == "210102********123X"
    assert mask_id_number("1234567890") == "**********"
    assert mask_id_number("") == ""
    assert mask_id_number("123456789012345") == "123456*****2345"


def test_birth_date_of() -> None:
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert birth_date_of(_make_id("210102", "20240229")) == date(2024, 2, 29)
    assert birth_date_of(" 11010519491231002x ") == date(1949, 12, 31)


@pytest.mark.parametrize("bad", ["", "110105", "110105194913310021", "1101051949123100"])
def test_birth_date_of_invalid(bad: str) -> None:
    with pytest.raises(ValueError):
        birth_date_of(bad)


# --- certificate status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "state"),
    [
        (None, "missing"),
        (TODAY - timedelta(days=1), "expired"),
        (TODAY, "expiring"),  # the expiry day itself is still valid
        (TODAY + timedelta(days=EXPIRY_WARNING_DAYS), "expiring"),
        (TODAY + timedelta(days=EXPIRY_WARNING_DAYS + 1), "valid"),
    ],
)
def test_certificate_status(expires: date | None, state: str) -> None:
    assert certificate_status(expires, TODAY) == state


def test_certificate_status_warning_days() -> None:
    assert EXPIRY_WARNING_DAYS == 60
    assert certificate_status(TODAY + timedelta(days=10), TODAY, warn_days=5) == "valid"
    assert certificate_status(TODAY, TODAY, warn_days=0) == "expiring"
    with pytest.raises(ValueError):
        certificate_status(TODAY, TODAY, warn_days=-1)


# --- five posts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FIVE_POSTS)
@pytest.mark.parametrize("mine", [COAL, METAL_UG, OPEN_PIT, TAILINGS])
def test_five_post_qualified(kind: PostKind, mine: MineFacts) -> None:
    assert check_post(QUALIFIED_LEADER, PostFacts(kind), mine, TODAY) == []


def test_five_post_exactly_ten_years_passes_9_9_fails() -> None:
    post = PostFacts(PostKind.chief_engineer)
    assert check_post(QUALIFIED_LEADER, post, METAL_UG, TODAY) == []
    person = PersonFacts(Education.college, core_discipline=True, years_experience=9.9)
    [finding] = check_post(person, post, METAL_UG, TODAY, "post-7")
    assert finding.rule_id == "people.five_posts.experience"
    assert finding.citation.source == "seed-004" and finding.citation.section == "三(一)"
    assert "第1项" in finding.citation.note
    assert finding.consequence is Consequence.replace
    assert finding.subject is Subject.post
    assert finding.subject_ref == "post-7"
    assert finding.post_kind is PostKind.chief_engineer
    assert "9.9年" in finding.message and "10年以上" in finding.message
    assert finding.also_cited == ()  # metal mine: 92号令 (coal) does not apply


def test_five_post_coal_stricter_rule_wins_and_cites_both() -> None:
    person = PersonFacts(Education.college, core_discipline=True, years_experience=8)
    [finding] = check_post(person, PostFacts(PostKind.mine_manager), COAL, TODAY)
    assert finding.rule_id == "people.five_posts.experience"
    assert finding.citation.source == "seed-004"
    assert [c.source for c in finding.also_cited] == ["DOMAIN"]
    assert finding.also_cited[0].section == "§11"
    assert finding.citations == (finding.citation, *finding.also_cited)


def test_five_post_coal_below_both_gives_one_finding_per_requirement() -> None:
    person = PersonFacts(Education.college, core_discipline=True, years_experience=2)
    findings = check_post(person, PostFacts(PostKind.safety_deputy), COAL, TODAY)
    assert _ids(findings) == ["people.five_posts.experience"]


def test_five_post_education_and_discipline() -> None:
    person = PersonFacts(Education.secondary_vocational, core_discipline=False, years_experience=3)
    findings = check_post(person, PostFacts(PostKind.mine_manager), COAL, TODAY)
    assert _ids(findings) == [
        "people.five_posts.education",
        "people.five_posts.core_discipline",
        "people.five_posts.experience",
    ]
    assert "大专及以上" in findings[0].message
    assert all(f.severity is Severity.high for f in findings)
    assert [c.source for c in findings[0].also_cited] == ["DOMAIN"]


def test_five_post_bachelor_ok() -> None:
    person = PersonFacts(Education.bachelor, core_discipline=True, years_experience=25)
    assert check_post(person, PostFacts(PostKind.electromech_deputy), COAL, TODAY) == []


def test_before_hard_measures_only_coal_rule_applies() -> None:
    before = date(2024, 1, 15)
    person = PersonFacts(Education.college, core_discipline=True, years_experience=5)
    post = PostFacts(PostKind.mine_manager)
    assert check_post(person, post, METAL_UG, before) == []
    assert check_post(person, post, COAL, before) == []
    junior = PersonFacts(Education.college, core_discipline=True, years_experience=2.5)
    [finding] = check_post(junior, post, COAL, before)
    assert finding.rule_id == "people.coal_managers.experience"
    assert finding.citation.source == "DOMAIN"
    assert check_post(person, post, METAL_UG, date(2024, 1, 16)) != []


def test_deputy_chief_engineer_only_coal() -> None:
    person = PersonFacts(Education.college, core_discipline=True, years_experience=3)
    post = PostFacts(PostKind.deputy_chief_engineer)
    assert check_post(person, post, COAL, TODAY) == []
    short = PersonFacts(Education.college, core_discipline=True, years_experience=2.9)
    assert _ids(check_post(short, post, COAL, TODAY)) == ["people.coal_managers.experience"]
    assert check_post(short, post, METAL_UG, TODAY) == []


# --- five sections ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FIVE_SECTIONS)
def test_five_section_qualified(kind: PostKind) -> None:
    assert check_post(QUALIFIED_SECTION, PostFacts(kind), METAL_UG, TODAY) == []


def test_five_section_exactly_five_years() -> None:
    post = PostFacts(PostKind.section_ventilation)
    person = PersonFacts(Education.college, core_discipline=True, years_experience=4.99)
    [finding] = check_post(person, post, COAL, TODAY)
    assert finding.rule_id == "people.five_sections.experience"
    assert "第2项" in finding.citation.note


def test_five_section_high_school_has_no_major() -> None:
    person = PersonFacts(Education.high_school, core_discipline=True, years_experience=20)
    [finding] = check_post(person, PostFacts(PostKind.section_mining), METAL_UG, TODAY)
    assert finding.rule_id == "people.five_sections.education"
    assert "中专/技校及以上" in finding.message


def test_five_section_not_core_discipline() -> None:
    person = PersonFacts(Education.master_or_above, core_discipline=False, years_experience=20)
    assert _ids(check_post(person, PostFacts(PostKind.section_geology_water), METAL_UG, TODAY)) == [
        "people.five_sections.core_discipline"
    ]


def test_coal_safety_department_head() -> None:
    post = PostFacts(PostKind.safety_department_head)
    ok = PersonFacts(Education.secondary_vocational, core_discipline=True, years_experience=2)
    assert check_post(ok, post, COAL, TODAY) == []
    bad = PersonFacts(Education.high_school, core_discipline=True, years_experience=1.5)
    assert _ids(check_post(bad, post, COAL, TODAY)) == [
        "people.coal_safety_head.education",
        "people.coal_safety_head.experience",
    ]
    assert check_post(bad, post, METAL_UG, TODAY) == []


def test_coal_workers_need_junior_high() -> None:
    person = PersonFacts(Education.primary_or_below)
    [finding] = check_post(person, PostFacts(PostKind.worker), COAL, TODAY)
    assert finding.rule_id == "people.coal_all.education"
    assert finding.consequence is Consequence.rectify
    assert check_post(PersonFacts(Education.junior_high_or_below), PostFacts(PostKind.worker), COAL, TODAY) == []
    assert check_post(person, PostFacts(PostKind.worker), METAL_UG, TODAY) == []


# --- special operators ----------------------------------------------------------------------------

VALID_CERT = {
    "certificate_type": "井下电气作业",
    "certificate_no": "T210102198001011234",
    "certificate_issued": date(2024, 1, 1),
    "certificate_expires": date(2030, 1, 1),
}


def _operator(**kwargs: object) -> PostFacts:
    return PostFacts(PostKind.special_operator, underground=True, **{**VALID_CERT, **kwargs})  # type: ignore[arg-type]


def test_special_operator_with_valid_certificate() -> None:
    assert check_post(PersonFacts(Education.junior_high_or_below), _operator(), METAL_UG, TODAY) == []


def test_first_underground_special_operator_needs_high_school() -> None:
    post = _operator(first_underground_special_op=True)
    [finding] = check_post(PersonFacts(Education.junior_high_or_below), post, METAL_UG, TODAY)
    assert finding.rule_id == "people.special_operator.education"
    assert finding.citation.source == "seed-004"
    assert check_post(PersonFacts(Education.high_school), post, METAL_UG, TODAY) == []
    assert check_post(PersonFacts(Education.secondary_vocational), post, METAL_UG, TODAY) == []


def test_coal_special_operator_certified_from_2018_06_01_needs_high_school() -> None:
    person = PersonFacts(Education.junior_high_or_below)
    [finding] = check_post(person, _operator(first_certified=date(2018, 6, 1)), COAL, TODAY)
    assert finding.rule_id == "people.special_operator.education"
    assert finding.citation.source == "DOMAIN"
    assert check_post(person, _operator(first_certified=date(2018, 5, 31)), COAL, TODAY) == []
    assert check_post(person, _operator(first_certified=date(2019, 1, 1)), METAL_UG, TODAY) == []


def test_both_high_school_rules_cite_both() -> None:
    post = _operator(first_underground_special_op=True, first_certified=date(2020, 1, 1))
    [finding] = check_post(PersonFacts(Education.junior_high_or_below), post, COAL, TODAY)
    assert finding.citation.source == "seed-004"
    assert [c.source for c in finding.also_cited] == ["DOMAIN"]


def test_special_operator_without_certificate() -> None:
    [finding] = check_post(
        PersonFacts(Education.high_school), _operator(certificate_no="", certificate_expires=None), METAL_UG, TODAY
    )
    assert finding.rule_id == "people.certificate.missing"
    assert finding.consequence is Consequence.rectify_up_to_halt
    assert finding.consequence_label == "责令限期改正直至停产整顿"
    assert "无证上岗" in finding.citation.note


def test_special_operator_with_number_but_no_expiry_is_missing() -> None:
    findings = check_post(PersonFacts(Education.high_school), _operator(certificate_expires=None), METAL_UG, TODAY)
    assert _ids(findings) == ["people.certificate.missing"]


def test_special_operator_with_expiry_but_no_number_is_missing() -> None:
    findings = check_post(PersonFacts(Education.high_school), _operator(certificate_no="  "), METAL_UG, TODAY)
    assert _ids(findings) == ["people.certificate.missing"]


@pytest.mark.parametrize(
    ("delta", "rule_id"),
    [
        (-1, "people.certificate.expired"),
        (0, "people.certificate.expiring"),
        (60, "people.certificate.expiring"),
        (61, None),
    ],
)
def test_special_operator_certificate_expiry(delta: int, rule_id: str | None) -> None:
    post = _operator(certificate_expires=TODAY + timedelta(days=delta))
    findings = check_post(PersonFacts(Education.high_school), post, METAL_UG, TODAY)
    assert _ids(findings) == ([rule_id] if rule_id else [])
    if rule_id == "people.certificate.expired":
        assert findings[0].consequence is Consequence.rectify_up_to_halt
    if rule_id == "people.certificate.expiring":
        assert findings[0].consequence is Consequence.warning
        assert findings[0].severity is Severity.low
        assert f"剩余{delta}天" in findings[0].message


def test_concurrent_special_operator_needs_certificate() -> None:
    post = PostFacts(PostKind.worker, also_holds=(PostKind.special_operator,))
    assert _ids(check_post(PersonFacts(Education.high_school), post, METAL_UG, TODAY)) == ["people.certificate.missing"]


def test_also_holds_accepts_list() -> None:
    post = PostFacts(PostKind.mine_manager, also_holds=[PostKind.chairman])  # type: ignore[arg-type]
    assert post.also_holds == (PostKind.chairman,)
    assert post.holds(PostKind.chairman) and post.holds(PostKind.mine_manager)
    assert not post.holds(PostKind.general_manager)


def test_other_posts_certificates_only_watched_when_recorded() -> None:
    person = QUALIFIED_LEADER
    assert check_post(person, PostFacts(PostKind.safety_manager), METAL_UG, TODAY) == []
    expired = PostFacts(PostKind.safety_manager, certificate_no="A1", certificate_expires=TODAY - timedelta(days=1))
    [finding] = check_post(person, expired, METAL_UG, TODAY)
    assert finding.rule_id == "people.certificate.expired"
    assert finding.consequence is Consequence.rectify
    expiring = PostFacts(PostKind.principal, certificate_expires=TODAY + timedelta(days=30))
    assert _ids(check_post(person, expiring, METAL_UG, TODAY)) == ["people.certificate.expiring"]


# --- employment ----------------------------------------------------------------------------------


def test_dispatched_underground_refused() -> None:
    person = PersonFacts(Education.high_school, employment_type=EmploymentType.dispatched)
    [finding] = check_post(person, PostFacts(PostKind.worker, underground=True), METAL_UG, TODAY)
    assert finding.rule_id == "people.employment.dispatched_underground"
    assert finding.consequence is Consequence.halt_operation
    assert "第21项" in finding.citation.note
    assert finding.also_cited == ()


def test_dispatched_underground_coal_also_cites_regulation() -> None:
    person = PersonFacts(Education.high_school, employment_type=EmploymentType.dispatched)
    [finding] = check_post(person, PostFacts(PostKind.worker, underground=True), COAL, TODAY)
    assert [c.source for c in finding.also_cited] == ["国务院令第774号"]


@pytest.mark.parametrize(
    "employment",
    [EmploymentType.regular, EmploymentType.flexible, EmploymentType.intern],
)
def test_other_employment_underground_allowed(employment: EmploymentType) -> None:
    person = PersonFacts(Education.high_school, employment_type=employment)
    assert check_post(person, PostFacts(PostKind.worker, underground=True), METAL_UG, TODAY) == []


def test_dispatched_on_surface_allowed() -> None:
    person = PersonFacts(Education.high_school, employment_type=EmploymentType.dispatched)
    assert check_post(person, PostFacts(PostKind.worker, underground=False), METAL_UG, TODAY) == []
    assert check_post(person, PostFacts(PostKind.worker), OPEN_PIT, TODAY) == []


@pytest.mark.parametrize(
    ("parent", "rule_id", "consequence"),
    [
        (True, None, None),
        (False, "people.employment.contractor_not_regular", Consequence.rectify),
        (None, "people.employment.contractor_unverified", Consequence.verify),
    ],
)
def test_contractor_staff(parent: bool | None, rule_id: str | None, consequence: Consequence | None) -> None:
    person = PersonFacts(
        Education.high_school, employment_type=EmploymentType.contractor, employer_is_contractor_parent_entity=parent
    )
    findings = check_post(person, PostFacts(PostKind.worker, underground=True), METAL_UG, TODAY, "p1")
    assert _ids(findings) == ([rule_id] if rule_id else [])
    if findings:
        assert findings[0].consequence is consequence
        assert "第22项" in findings[0].citation.note
        assert findings[0].subject_ref == "p1"


def test_parent_entity_flag_ignored_for_own_staff() -> None:
    person = PersonFacts(Education.high_school, employer_is_contractor_parent_entity=False)
    assert check_post(person, PostFacts(PostKind.worker), METAL_UG, TODAY) == []


# --- check_mine ---------------------------------------------------------------------------------


def _full_team(person_ids: bool = True) -> list[tuple[PersonFacts, PostFacts, str]]:
    staff: list[tuple[PersonFacts, PostFacts, str]] = []
    for i, kind in enumerate(FIVE_POSTS):
        staff.append(
            (
                replace(QUALIFIED_LEADER, person_id=f"L{i}" if person_ids else ""),
                PostFacts(kind),
                kind.value,
            )
        )
    for kind in FIVE_SECTIONS:
        staff.append((QUALIFIED_SECTION, PostFacts(kind), kind.value))
    return staff


@pytest.mark.parametrize("mine", [COAL, METAL_UG])
def test_fully_staffed_underground_mine(mine: MineFacts) -> None:
    assert check_mine(mine, _full_team(), TODAY) == []


@pytest.mark.parametrize("kind", [*FIVE_POSTS, *FIVE_SECTIONS])
def test_missing_post_halts_production(kind: PostKind) -> None:
    staff = [s for s in _full_team() if s[1].kind != kind]
    [finding] = check_mine(METAL_UG, staff, TODAY)
    assert finding.rule_id == "people.staffing.missing"
    assert finding.consequence is Consequence.halt_production
    assert finding.severity is Severity.critical
    assert finding.subject is Subject.mine
    assert finding.post_kind is kind
    assert finding.citation.source == "seed-002" and finding.citation.section == "六"
    assert finding.also_cited[0].source == "seed-004"
    assert POST_LABELS[kind] in finding.message


def test_unqualified_only_holder_halts_production() -> None:
    staff = [s for s in _full_team() if s[1].kind != PostKind.chief_engineer]
    weak = PersonFacts(Education.college, core_discipline=True, years_experience=6)
    staff.append((weak, PostFacts(PostKind.chief_engineer), "ce"))
    findings = check_mine(COAL, staff, TODAY)
    assert _ids(findings) == ["people.staffing.unqualified", "people.five_posts.experience"]
    assert findings[0].consequence is Consequence.halt_production
    assert findings[1].subject_ref == "ce"


def test_one_qualified_holder_is_enough() -> None:
    staff = _full_team()
    weak = PersonFacts(Education.college, core_discipline=True, years_experience=6)
    staff.append((weak, PostFacts(PostKind.chief_engineer), "ce2"))
    assert _ids(check_mine(COAL, staff, TODAY)) == ["people.five_posts.experience"]


def test_concurrent_title_does_not_fill_a_vacancy() -> None:
    staff = [s for s in _full_team() if s[1].kind != PostKind.safety_deputy]
    manager = staff[0]
    staff[0] = (manager[0], PostFacts(PostKind.mine_manager, also_holds=(PostKind.safety_deputy,)), manager[2])
    assert _ids(check_mine(METAL_UG, staff, TODAY)) == ["people.staffing.missing"]


def test_open_pit_needs_only_a_manager() -> None:
    assert _ids(check_mine(OPEN_PIT, [], TODAY)) == ["people.staffing.missing"]
    assert check_mine(OPEN_PIT, [(QUALIFIED_LEADER, PostFacts(PostKind.mine_manager), "m")], TODAY) == []


def test_tailings_has_no_staffing_requirement() -> None:
    assert check_mine(TAILINGS, [], TODAY) == []


def test_underground_flag_for_unlisted_sector() -> None:
    mine = MineFacts("nonmetal_special", underground=True)
    assert len(check_mine(mine, [], TODAY)) == 10
    assert check_mine(MineFacts("nonmetal_special"), [], TODAY) == []


def test_mine_facts_properties() -> None:
    assert COAL.is_coal and COAL.is_underground and not COAL.is_metal_underground
    assert METAL_UG.is_metal_underground and not METAL_UG.is_coal
    assert not OPEN_PIT.is_underground and not OPEN_PIT.is_metal_underground
    assert MineFacts("coal", underground=False).is_underground is False


def test_chairman_above_manager() -> None:
    staff = [*_full_team(), (PersonFacts(Education.bachelor, person_id="X9"), PostFacts(PostKind.chairman), "ch")]
    [finding] = check_mine(COAL, staff, TODAY)
    assert finding.rule_id == "people.leadership.above_manager"
    assert finding.subject_ref == "ch"
    assert finding.post_kind is PostKind.chairman
    assert finding.citation.source == "seed-002" and finding.citation.section == "二"
    assert "董事长" in finding.message


def test_general_manager_above_manager() -> None:
    staff = [*_full_team(), (PersonFacts(Education.bachelor), PostFacts(PostKind.general_manager), "gm")]
    assert _ids(check_mine(METAL_UG, staff, TODAY)) == ["people.leadership.above_manager"]


def test_manager_holding_chairman_is_allowed() -> None:
    staff = _full_team()
    manager = staff[0]
    staff[0] = (manager[0], PostFacts(PostKind.mine_manager, also_holds=(PostKind.chairman,)), manager[2])
    assert check_mine(COAL, staff, TODAY) == []
    # The same person also recorded as a separate chairman row.
    staff.append((manager[0], PostFacts(PostKind.chairman), "ch"))
    assert check_mine(COAL, staff, TODAY) == []


def test_chairman_with_unknown_identity_is_reported() -> None:
    staff = _full_team(person_ids=False)
    staff.append((QUALIFIED_LEADER, PostFacts(PostKind.chairman), "ch"))
    assert _ids(check_mine(COAL, staff, TODAY)) == ["people.leadership.above_manager"]


def test_two_managers() -> None:
    staff = [
        *_full_team(),
        (replace(QUALIFIED_LEADER, person_id="Z"), PostFacts(PostKind.mine_manager), "m2"),
    ]
    [finding] = check_mine(COAL, staff, TODAY)
    assert finding.rule_id == "people.leadership.multiple_managers"
    assert "2人" in finding.message
    # The same person twice is one manager.
    twice = [*_full_team(), (_full_team()[0][0], PostFacts(PostKind.mine_manager), "m-dup")]
    assert check_mine(COAL, twice, TODAY) == []


def test_blasting_outsourced_separately() -> None:
    [finding] = check_mine(MineFacts("metal_underground", blasting_outsourced_separately=True), _full_team(), TODAY)
    assert finding.rule_id == "people.outsourcing.blasting"
    assert finding.consequence is Consequence.rectify_up_to_halt
    assert check_mine(MineFacts("coal", blasting_outsourced_separately=True), _full_team(), TODAY) == []
    pit = [(QUALIFIED_LEADER, PostFacts(PostKind.mine_manager), "m")]
    assert check_mine(MineFacts("metal_open_pit", blasting_outsourced_separately=True), pit, TODAY) == []


def test_check_mine_includes_post_findings_with_refs() -> None:
    dispatched = PersonFacts(Education.high_school, employment_type=EmploymentType.dispatched)
    staff = [*_full_team(), (dispatched, PostFacts(PostKind.worker, underground=True), "w1")]
    [finding] = check_mine(METAL_UG, staff, TODAY)
    assert finding.rule_id == "people.employment.dispatched_underground"
    assert finding.subject_ref == "w1"


# --- training and drills ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("employees", "trained", "rate"),
    [
        ([], [], None),
        ([], ["a"], None),
        (["a", "b", "c"], ["a", "b", "c"], 100.0),
        (["a", "b", "c"], ["a", "b"], 66.6),  # rounded down
        (["a", "b", "c"], ["a"], 33.3),
        (["a", "b", "c"], [], 0.0),
        (["a", "b"], ["a", "x", "y"], 50.0),  # trainees who are not employees are ignored
        (["a", "a", "b"], ["a"], 50.0),  # duplicate ids count once
        ([str(i) for i in range(10000)], [str(i) for i in range(9999)], 99.9),  # never 100.0 unless all
        ([str(i) for i in range(8)], [str(i) for i in range(7)], 87.5),
    ],
)
def test_annual_training_rate(employees: list[str], trained: list[str], rate: float | None) -> None:
    assert annual_training_rate(employees, trained) == rate


def test_untrained_keeps_roster_order() -> None:
    assert untrained(["c", "a", "b", "a"], {"b"}) == ["c", "a"]


def test_check_training_one_finding_per_untrained_employee() -> None:
    facts = TrainingFacts(2025, ["regular-1", "dispatched-2", "intern-3"], {"regular-1"})  # type: ignore[arg-type]
    findings = check_training(facts)
    assert [f.subject_ref for f in findings] == ["dispatched-2", "intern-3"]
    assert all(f.rule_id == "people.training.untrained" and f.subject is Subject.person for f in findings)
    assert "2025年度" in findings[0].message
    assert findings[0].citation.section == "一(二)"
    assert {c.section for c in findings[0].also_cited} == {"三(一)", "三(五)"}
    assert check_training(TrainingFacts(2025, ("a",), frozenset({"a"}))) == []


def test_drill_due_date_is_six_calendar_months() -> None:
    assert drill_due_date(date(2025, 1, 15)) == date(2025, 7, 15)
    assert drill_due_date(date(2024, 8, 31)) == date(2025, 2, 28)
    assert drill_due_date(date(2023, 8, 31)) == date(2024, 2, 29)  # leap year
    assert drill_due_date(date(2024, 12, 31)) == date(2025, 6, 30)


def test_check_drills() -> None:
    [none] = check_drills(None, TODAY, "mine-1")
    assert none.rule_id == "people.drill.none" and none.subject_ref == "mine-1"
    assert "第6项" in none.citation.note
    last = date(2024, 12, 15)
    assert check_drills(last, date(2025, 6, 15)) == []  # on the due date: in time
    [late] = check_drills(last, date(2025, 6, 16))
    assert late.rule_id == "people.drill.overdue"
    assert "逾期1天" in late.message
    assert check_drills(date(2025, 6, 1), TODAY) == []


# --- rule data and citations -----------------------------------------------------------------------


def test_qualification_rules_are_well_formed() -> None:
    ids = [r.id for r in QUALIFICATION_RULES]
    assert len(ids) == len(set(ids))
    assert all(r.id.startswith("people.") for r in QUALIFICATION_RULES)
    five = next(r for r in QUALIFICATION_RULES if r.id == "people.five_posts")
    assert five.min_years == 10 and five.min_education is Education.college and five.core_discipline
    sections = next(r for r in QUALIFICATION_RULES if r.id == "people.five_sections")
    assert sections.min_years == 5 and sections.min_education is pp.SECTION_MIN_EDUCATION


def test_required_posts_by_sector() -> None:
    assert set(pp.REQUIRED_POSTS["coal"]) == set(FIVE_POSTS) | set(FIVE_SECTIONS)
    assert pp.REQUIRED_POSTS["metal_open_pit"] == (PostKind.mine_manager,)
    assert pp.REQUIRED_POSTS["tailings"] == ()


def test_findings_cite_registered_sources() -> None:
    staff = [
        (
            PersonFacts(Education.primary_or_below, employment_type=EmploymentType.dispatched),
            _operator(certificate_no="", first_underground_special_op=True),
            "a",
        ),
        (
            PersonFacts(Education.high_school, employment_type=EmploymentType.contractor),
            PostFacts(PostKind.chairman, certificate_expires=TODAY),
            "b",
        ),
        (PersonFacts(Education.high_school), PostFacts(PostKind.section_mining), "c"),
    ]
    findings = [
        *check_mine(MineFacts("coal", blasting_outsourced_separately=True), staff, TODAY),
        *check_mine(MineFacts("metal_underground", blasting_outsourced_separately=True), staff, TODAY),
        *check_training(TrainingFacts(2025, ("x",))),
        *check_drills(None, TODAY),
    ]
    assert len({f.rule_id for f in findings}) >= 12
    for finding in findings:
        for c in finding.citations:
            assert cite(c.source, c.section, c.note) == c
        assert finding.message
        assert finding.consequence_label and finding.severity_label


def test_finding_is_frozen_and_hashable() -> None:
    [finding] = check_drills(None, TODAY)
    assert hash(finding) == hash(finding)
    with pytest.raises(AttributeError):
        finding.rule_id = "x"  # type: ignore[misc]
