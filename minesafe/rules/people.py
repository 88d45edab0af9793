"""People and qualifications (issue 4): 五职矿长, 五科, special operators, employment types,
the leadership team, annual training and escape drills.

Pure rules: plain values in (``today`` is always passed), :class:`Finding` lists out. The
Django app ``minesafe.people`` maps its models to :class:`PersonFacts`, :class:`PostFacts`
and :class:`MineFacts` and stores or shows the findings.

Sources and the decisions taken where they are silent or ambiguous:

- **五职** (矿长, 总工程师, 安全副矿长, 生产副矿长, 机电副矿长): 主体专业 大专及以上 **and**
  "10年以上矿山一线从业经历" — seed-004 三(一) 第1项 (the number is there, not in seed-002);
  seed-002 六 orders the 五职/五科 requirements of 《矿山安全培训规定》 applied and a holder
  who falls short replaced (不得参加考试，立即进行变更). "以上" includes the number (DOMAIN §7.1),
  so exactly 10 years passes and 9.9 fails. For coal mines DOMAIN §11 (煤矿安全培训规定,
  92号令) also asks 大专+ and ≥ 3 years; both rules apply, the stricter (10 years) is reported
  and the other is kept in :attr:`Finding.also_cited`.
- **五科** heads: "主体专业毕业且有5年以上矿山一线从业经历" — seed-004 三(一) 第2项. The seed
  names no education level for 五科 (it does for 五职: 大专), so we read "主体专业毕业" as
  *a completed programme with a major in the core discipline*: 中专/技校 or higher
  (:data:`SECTION_MIN_EDUCATION`); 高中 and below have no major. [U] change the constant
  if the 《矿山安全培训规定》 text turns out to demand 大专.
- **Special operators**: first-time underground certificate → 高中以上 (seed-004 三(一) 第2项);
  coal special operators first certified on/after 2018-06-01 → 高中+ (DOMAIN §11); working
  without a valid certificate → 限期整改直至停产整顿 (seed-004 三(一) 第2项); expiry within
  :data:`EXPIRY_WARNING_DAYS` → warning (issue 4; a MineSafe policy figure, not regulatory).
- **Employment**: no 劳务派遣 underground (seed-004 三(五) 第21项 for all mines; coal also
  煤矿安全生产条例 Art. 24). Outsourced (外包) staff must be 正式职工 of the contractor's parent
  legal entity (seed-004 三(五) 第22项; written for 非煤 采掘施工队伍, applied to every mine as
  issue 4 asks). Metal/non-metal underground mines may not outsource blasting as a separate
  contract (seed-004 三(五) 第21项 → 责令改正直至停产整顿).
- **Leadership**: one team headed by the 矿长, no 董事长/总经理 above the 矿长 unless the 矿长
  holds the title (seed-002 二, in 晋安办发〔2024〕94号).
- **Staffing**: every underground mine (coal, metal/non-metal underground) must staff all five
  posts and all five sections; open-pit mines must have a 矿长 (the five sections include
  掘进 and 通风, which an open pit does not have, and the seeds do not say which sections an
  open pit needs); tailings ponds have no staffing requirement here. A mine not staffed as
  required → 责令停产整顿 (seed-002 六). A concurrent post (``also_holds``) does not fill a
  five-post or five-section vacancy. See :data:`REQUIRED_POSTS`.
- **Training**: every employee, including dispatched, flexible and intern staff, trained every
  year, target 100% (seed-004 一(二) 目标1, 三(一) 第3项, 三(五) 第24项).
- **Drills**: 紧急撤离和逃生避险应急演练 at least every half year (seed-004 三(一) 第6项). "Half year"
  = 6 calendar months: a drill is due on :func:`drill_due_date` (last drill + 6 months, day
  clamped to the month's end) and overdue from the day after.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from .hazards import add_months
from .mine_attributes import COAL, METAL_OPEN_PIT, METAL_UNDERGROUND, TAILINGS, UNDERGROUND_SECTORS
from .sources import cite
from .types import Citation, Reason, Verdict

__all__ = [
    "CERTIFICATE_STATES",
    "CONSEQUENCE_LABELS",
    "DRILL_INTERVAL_MONTHS",
    "EDUCATION_LABELS",
    "EMPLOYMENT_TYPE_LABELS",
    "EXPIRY_WARNING_DAYS",
    "FIVE_POSTS",
    "FIVE_SECTIONS",
    "ID_AREA_PREFIXES",
    "ID_WEIGHTS",
    "POST_LABELS",
    "QUALIFICATION_RULES",
    "REQUIRED_POSTS",
    "RULE_VERSION",
    "SECTION_MIN_EDUCATION",
    "SEVERITY_LABELS",
    "SPECIAL_OPERATOR_HIGH_SCHOOL_FROM",
    "Consequence",
    "Education",
    "EmploymentType",
    "Finding",
    "MineFacts",
    "PersonFacts",
    "PostFacts",
    "PostKind",
    "QualificationRule",
    "Severity",
    "Subject",
    "TrainingFacts",
    "annual_training_rate",
    "birth_date_of",
    "certificate_status",
    "check_drills",
    "check_mine",
    "check_post",
    "check_training",
    "drill_due_date",
    "id_check_char",
    "mask_id_number",
    "normalize_id_number",
    "untrained",
    "validate_id_number",
]

RULE_VERSION = "people-2024.1"

# --- enums -------------------------------------------------------------------------------


class Education(enum.StrEnum):
    """Highest completed education, lowest first; compare with :attr:`rank` / :meth:`at_least`.

    高中 ranks below 中专/技校 only because a 中专 carries a major (专业) and 高中 does not; both
    satisfy "高中以上文化程度". ``primary_or_below`` exists so the coal "初中及以上" bar
    (DOMAIN §11) can be checked; ``junior_high_or_below`` then means 初中.
    """

    primary_or_below = "primary_or_below"
    junior_high_or_below = "junior_high_or_below"
    high_school = "high_school"
    secondary_vocational = "secondary_vocational"
    college = "college"
    bachelor = "bachelor"
    master_or_above = "master_or_above"

    @property
    def rank(self) -> int:
        """0 for 小学及以下 … 6 for 研究生."""
        return _EDUCATION_ORDER.index(self)

    @property
    def label(self) -> str:
        """Chinese label."""
        return EDUCATION_LABELS[self]

    @property
    def has_major(self) -> bool:
        """True for 中专/技校 and above: a programme with a 专业 (major)."""
        return self.rank >= Education.secondary_vocational.rank

    def at_least(self, other: Education) -> bool:
        """True when this level is ``other`` or higher."""
        return self.rank >= other.rank


_EDUCATION_ORDER: tuple[Education, ...] = tuple(Education)

EDUCATION_LABELS: dict[Education, str] = {
    Education.primary_or_below: "小学及以下",
    Education.junior_high_or_below: "初中",
    Education.high_school: "高中",
    Education.secondary_vocational: "中专/技校",
    Education.college: "大专",
    Education.bachelor: "本科",
    Education.master_or_above: "研究生",
}


class EmploymentType(enum.StrEnum):
    """How a person is employed at the mine."""

    regular = "regular"
    dispatched = "dispatched"
    flexible = "flexible"
    intern = "intern"
    contractor = "contractor"

    @property
    def label(self) -> str:
        """Chinese label."""
        return EMPLOYMENT_TYPE_LABELS[self]


EMPLOYMENT_TYPE_LABELS: dict[EmploymentType, str] = {
    EmploymentType.regular: "正式",
    EmploymentType.dispatched: "劳务派遣",
    EmploymentType.flexible: "灵活用工",
    EmploymentType.intern: "实习生",
    EmploymentType.contractor: "外包单位",
}


class PostKind(enum.StrEnum):
    """A post at a mine."""

    principal = "principal"
    actual_controller = "actual_controller"
    mine_manager = "mine_manager"
    chief_engineer = "chief_engineer"
    safety_deputy = "safety_deputy"
    production_deputy = "production_deputy"
    electromech_deputy = "electromech_deputy"
    deputy_chief_engineer = "deputy_chief_engineer"
    section_mining = "section_mining"
    section_development = "section_development"
    section_electromech = "section_electromech"
    section_ventilation = "section_ventilation"
    section_geology_water = "section_geology_water"
    safety_department_head = "safety_department_head"
    safety_manager = "safety_manager"
    special_operator = "special_operator"
    chairman = "chairman"
    general_manager = "general_manager"
    worker = "worker"

    @property
    def label(self) -> str:
        """Chinese label."""
        return POST_LABELS[self]


POST_LABELS: dict[PostKind, str] = {
    PostKind.principal: "主要负责人",
    PostKind.actual_controller: "实际控制人",
    PostKind.mine_manager: "矿长",
    PostKind.chief_engineer: "总工程师",
    PostKind.safety_deputy: "安全副矿长",
    PostKind.production_deputy: "生产副矿长",
    PostKind.electromech_deputy: "机电副矿长",
    PostKind.deputy_chief_engineer: "副总工程师",
    PostKind.section_mining: "采煤/采矿科",
    PostKind.section_development: "掘进科",
    PostKind.section_electromech: "机电运输科",
    PostKind.section_ventilation: "通风科",
    PostKind.section_geology_water: "地测防治水科",
    PostKind.safety_department_head: "安全管理机构负责人",
    PostKind.safety_manager: "安全管理人员",
    PostKind.special_operator: "特种作业人员",
    PostKind.chairman: "董事长",
    PostKind.general_manager: "总经理",
    PostKind.worker: "其他从业人员",
}

FIVE_POSTS: tuple[PostKind, ...] = (
    PostKind.mine_manager,
    PostKind.chief_engineer,
    PostKind.safety_deputy,
    PostKind.production_deputy,
    PostKind.electromech_deputy,
)
FIVE_SECTIONS: tuple[PostKind, ...] = (
    PostKind.section_mining,
    PostKind.section_development,
    PostKind.section_electromech,
    PostKind.section_ventilation,
    PostKind.section_geology_water,
)


class Consequence(enum.StrEnum):
    """What the regulator orders (or the system raises) for a finding."""

    warning = "warning"
    verify = "verify"
    rectify = "rectify"
    rectify_up_to_halt = "rectify_up_to_halt"
    replace = "replace"
    halt_operation = "halt_operation"
    halt_production = "halt_production"

    @property
    def label(self) -> str:
        """Chinese label."""
        return CONSEQUENCE_LABELS[self]


CONSEQUENCE_LABELS: dict[Consequence, str] = {
    Consequence.warning: "预警",
    Consequence.verify: "核查确认",
    Consequence.rectify: "责令限期改正",
    Consequence.rectify_up_to_halt: "责令限期改正直至停产整顿",
    Consequence.replace: "立即变更（不得参加考试）",
    Consequence.halt_operation: "停止作业",
    Consequence.halt_production: "责令停产整顿",
}


class Severity(enum.StrEnum):
    """How serious a finding is, lowest first."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        """0 for low … 3 for critical."""
        return tuple(Severity).index(self)

    @property
    def label(self) -> str:
        """Chinese label."""
        return SEVERITY_LABELS[self]


SEVERITY_LABELS: dict[Severity, str] = {
    Severity.low: "提示",
    Severity.medium: "一般",
    Severity.high: "严重",
    Severity.critical: "重大",
}


class Subject(enum.StrEnum):
    """What a finding is about; :attr:`Finding.subject_ref` is the caller's id of that thing."""

    person = "person"
    post = "post"
    mine = "mine"


# --- facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know about a person.

    ``core_discipline``: the person's major is the mine's 主体专业. ``years_experience``: years
    of front-line mining work (矿山一线从业经历). ``employer_is_contractor_parent_entity``: for
    外包单位 staff, whether they are 正式职工 of the contractor's parent legal entity (None =
    not recorded). ``person_id`` is an opaque id used to recognise the same person in two
    roster rows (e.g. the 矿长 who is also 董事长); empty = unknown.
    """

    education: Education
    core_discipline: bool = False
    years_experience: float = 0.0
    employment_type: EmploymentType = EmploymentType.regular
    employer_is_contractor_parent_entity: bool | None = None
    person_id: str = ""


@dataclass(frozen=True)
class PostFacts:
    """A post a person holds at a mine.

    ``first_underground_special_op``: a special operator taking their first certificate for
    underground work. ``first_certified``: date of the person's first special-operation
    certificate, if known (coal: 高中+ from 2018-06-01). ``also_holds``: titles held
    concurrently, e.g. the 矿长 who is also 董事长.
    """

    kind: PostKind
    underground: bool = False
    certificate_type: str = ""
    certificate_no: str = ""
    certificate_issued: date | None = None
    certificate_expires: date | None = None
    first_underground_special_op: bool = False
    also_holds: tuple[PostKind, ...] = ()
    first_certified: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.also_holds, tuple):
            object.__setattr__(self, "also_holds", tuple(self.also_holds))

    def holds(self, kind: PostKind) -> bool:
        """True when this post is ``kind`` or holds it concurrently."""
        return self.kind == kind or kind in self.also_holds


@dataclass(frozen=True)
class MineFacts:
    """The mine a post belongs to. ``sector`` is a code of :mod:`minesafe.rules.mine_attributes`
    (``coal``, ``metal_underground``, ``metal_open_pit``, ``tailings``). ``underground`` None =
    derive from the sector."""

    sector: str
    underground: bool | None = None
    blasting_outsourced_separately: bool = False

    @property
    def is_coal(self) -> bool:
        """煤矿."""
        return self.sector == COAL

    @property
    def is_underground(self) -> bool:
        """地下矿山: ``underground`` when given, else from the sector."""
        if self.underground is not None:
            return self.underground
        return self.sector in UNDERGROUND_SECTORS

    @property
    def is_metal_underground(self) -> bool:
        """金属非金属地下矿山."""
        return self.sector == METAL_UNDERGROUND or (self.sector != COAL and self.is_underground)


@dataclass(frozen=True)
class TrainingFacts:
    """One mine's (or division's) roster and training attendance for one year."""

    year: int
    employee_ids: tuple[str, ...]
    trained_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.employee_ids, tuple):
            object.__setattr__(self, "employee_ids", tuple(self.employee_ids))
        if not isinstance(self.trained_ids, frozenset):
            object.__setattr__(self, "trained_ids", frozenset(self.trained_ids))


@dataclass(frozen=True)
class Finding:
    """One violation (or warning) found by a people rule.

    ``rule_id`` is stable (e.g. ``people.five_posts.experience``); ``citation`` is the source
    that decided the finding (the stricter one), ``also_cited`` the other sources that ask for
    the same thing. ``subject_ref`` is the caller's opaque id of the person/post/mine.
    """

    rule_id: str
    message: str
    citation: Citation
    consequence: Consequence
    severity: Severity
    subject: Subject
    subject_ref: str = ""
    post_kind: PostKind | None = None
    also_cited: tuple[Citation, ...] = ()

    @property
    def consequence_label(self) -> str:
        """Chinese label of :attr:`consequence`."""
        return CONSEQUENCE_LABELS[self.consequence]

    @property
    def severity_label(self) -> str:
        """Chinese label of :attr:`severity`."""
        return SEVERITY_LABELS[self.severity]

    @property
    def citations(self) -> tuple[Citation, ...]:
        """The deciding citation first, then :attr:`also_cited`."""
        return (self.citation, *self.also_cited)


# --- citations ---------------------------------------------------------------------------

_C_FIVE_POSTS = cite(
    "seed-004", "三(一)", "非煤矿山方案 第1项：“五职”矿长主体专业大专及以上学历且10年以上矿山一线从业经历"
)
_C_FIVE_SECTIONS = cite(
    "seed-004", "三(一)", "非煤矿山方案 第2项：“五科”专业技术人员主体专业毕业且5年以上矿山一线从业经历"
)
_C_SPECIAL_OP = cite(
    "seed-004",
    "三(一)",
    "非煤矿山方案 第2项：首次取证的地下矿山特种作业人员高中以上文化程度；无证上岗限期整改直至停产整顿",
)
_C_TRAINING_ALL = cite("seed-004", "三(一)", "非煤矿山方案 第3项：全员安全教育培训，含劳务派遣、灵活用工人员")
_C_DRILL = cite("seed-004", "三(一)", "非煤矿山方案 第6项：每半年至少组织开展一次紧急撤离和逃生避险应急演练")
_C_TRAINING_TARGET = cite("seed-004", "一(二)", "非煤矿山方案 工作目标1：从业人员每年安全培训率达到100%")
_C_RESPONSIBILITY_ALL = cite("seed-004", "三(五)", "非煤矿山方案 第24项：全员含劳务派遣人员、灵活就业人员、实习生")
_C_OUTSOURCING = cite(
    "seed-004",
    "三(五)",
    "非煤矿山方案 第21项：取消井下劳务派遣工；金属非金属地下矿山爆破作业专项外包责令改正直至停产整顿",
)
_C_CONTRACTOR = cite(
    "seed-004", "三(五)", "非煤矿山方案 第22项：项目部人员必须是上级法人单位的正式职工（原文针对非煤采掘施工队伍）"
)
_C_STAFFING = cite("seed-002", "六", "晋安办发〔2024〕94号 六：五职/五科要求；配备不满足规定要求的依法责令停产整顿")
_C_LEADERSHIP = cite(
    "seed-002", "二", "晋安办发〔2024〕94号 二：一座矿山一套以矿长为首的领导班子，不得在矿长之上设董事长、总经理"
)
_C_ASSESSMENT = cite(
    "seed-002", "六", "晋安办发〔2024〕94号 六：严格安全生产知识和管理能力考核审查；证书过期视为未持有效证明"
)
_C_COAL_TRAINING = cite("DOMAIN", "§11", "煤矿安全培训规定（92号令，2018-03-01施行），据官方新闻摘要 [V] S12")
_C_COAL_DISPATCH = cite(
    "国务院令第774号", "第二十四条", "[U] 全文未取得；据 DOMAIN §1.1 [V] S1：煤矿井下工作岗位不得使用劳务派遣用工"
)
_C_EXPIRY_POLICY = cite(
    "seed-004",
    "三(一)",
    "非煤矿山方案 第2项（特种作业人员持证上岗）；到期预警天数为 MineSafe 管理设定（issue 4），非法规数值",
)
_C_ID_LAYOUT = cite("GB 11643-1999", "§4", "[U] general knowledge (号码结构), confirm against official text")
_C_ID_CHECK = cite(
    "GB 11643-1999", "§8", "[U] general knowledge (ISO 7064 MOD 11-2 校验码), confirm against official text"
)
_C_ID_AREA = cite(
    "GB/T 2260", "省级代码", "[U] general knowledge (省级行政区划代码前两位), confirm against official text"
)


# --- thresholds (module-level data; change here, bump RULE_VERSION) -----------------------

# Days before a certificate's expiry from which it is "expiring" (issue 4; a MineSafe policy figure).
EXPIRY_WARNING_DAYS = 60
# Escape drill at least every half year = 6 calendar months (seed-004 三(一) 第6项).
DRILL_INTERVAL_MONTHS = 6
# Lowest education that counts as "主体专业毕业" for a 五科 head (our reading, see module docstring) [U].
SECTION_MIN_EDUCATION = Education.secondary_vocational
# Coal: special operators newly certified from this date need 高中+ (DOMAIN §11, 92号令).
SPECIAL_OPERATOR_HIGH_SCHOOL_FROM = date(2018, 6, 1)
# The 硬措施 (安委〔2024〕1号, DOMAIN §1.1) were issued 2024-01-16; the seed-004 five-post and
# five-section figures implement them. [U] the seeds give no separate start date.
_HARD_MEASURES_FROM = date(2024, 1, 16)
_COAL_TRAINING_RULES_FROM = date(2018, 3, 1)


@dataclass(frozen=True)
class QualificationRule:
    """A qualification bar for some posts: any of its requirements may be None (not asked).

    ``sectors`` None = every sector. A rule applies from ``effective`` on.
    """

    id: str  # rule-id prefix, e.g. "people.five_posts"
    posts: frozenset[PostKind]
    citation: Citation
    effective: date
    min_education: Education | None = None
    core_discipline: bool = False
    min_years: float | None = None
    sectors: frozenset[str] | None = None
    consequence: Consequence = Consequence.replace
    severity: Severity = Severity.high


_COAL = frozenset({COAL})

QUALIFICATION_RULES: tuple[QualificationRule, ...] = (
    QualificationRule(
        "people.five_posts",
        frozenset(FIVE_POSTS),
        _C_FIVE_POSTS,
        _HARD_MEASURES_FROM,
        min_education=Education.college,
        core_discipline=True,
        min_years=10,
    ),
    QualificationRule(
        "people.five_sections",
        frozenset(FIVE_SECTIONS),
        _C_FIVE_SECTIONS,
        _HARD_MEASURES_FROM,
        min_education=SECTION_MIN_EDUCATION,
        core_discipline=True,
        min_years=5,
    ),
    # 煤矿安全培训规定: 矿长、副矿长、总工程师、副总工程师 煤矿相关专业大专+ and ≥ 3 years (DOMAIN §11).
    QualificationRule(
        "people.coal_managers",
        frozenset({*FIVE_POSTS, PostKind.deputy_chief_engineer}),
        _C_COAL_TRAINING,
        _COAL_TRAINING_RULES_FROM,
        min_education=Education.college,
        core_discipline=True,
        min_years=3,
        sectors=_COAL,
    ),
    # 安全生产管理机构负责人: 煤矿相关专业中专+ and ≥ 2 years (DOMAIN §11).
    QualificationRule(
        "people.coal_safety_head",
        frozenset({PostKind.safety_department_head}),
        _C_COAL_TRAINING,
        _COAL_TRAINING_RULES_FROM,
        min_education=Education.secondary_vocational,
        core_discipline=True,
        min_years=2,
        sectors=_COAL,
    ),
    # All coal workers: 初中及以上 (DOMAIN §11).
    QualificationRule(
        "people.coal_all",
        frozenset(PostKind),
        _C_COAL_TRAINING,
        _COAL_TRAINING_RULES_FROM,
        min_education=Education.junior_high_or_below,
        sectors=_COAL,
        consequence=Consequence.rectify,
        severity=Severity.medium,
    ),
)

# Posts a mine must staff, by sector (decisions in the module docstring). Sectors not listed: none.
REQUIRED_POSTS: dict[str, tuple[PostKind, ...]] = {
    COAL: FIVE_POSTS + FIVE_SECTIONS,
    METAL_UNDERGROUND: FIVE_POSTS + FIVE_SECTIONS,
    METAL_OPEN_PIT: (PostKind.mine_manager,),
    TAILINGS: (),
}

# Posts that need a certificate to work at all, and posts whose recorded certificate is watched.
_CERTIFICATE_REQUIRED = frozenset({PostKind.special_operator})

CERTIFICATE_STATES = ("missing", "expired", "expiring", "valid")


# --- ID numbers (GB 11643-1999) -----------------------------------------------------------

# Weight of position i (0-based) is 2**(17 - i) mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by weighted sum mod 11
# Province-level prefixes of GB/T 2260 (11–65), plus 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民
# 居住证). [U] from memory; only the province part of the area code is checked.
ID_AREA_PREFIXES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
_ID_EARLIEST_BIRTH = date(1900, 1, 1)


def normalize_id_number(raw: str) -> str:
    """Strip all whitespace (including full-width spaces) and upper-case a trailing ``x``."""
    return "".join(raw.split()).upper()


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) over 17 digits; GB 11643-1999 [U].

    Raises ValueError unless ``first17`` is 17 ASCII digits.
    """
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _parse_birth(value: str) -> date | None:
    digits = value[6:14]
    if len(digits) != 8 or not (digits.isascii() and digits.isdigit()):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def validate_id_number(value: str, today: date, *, field: str = "id_number") -> Verdict:
    """Validate a normalised 18-character resident ID number (GB 11643-1999).

    Mirrors :func:`minesafe.rules.uscc.validate_uscc`: the caller normalises first
    (:func:`normalize_id_number`); whitespace or a lower-case ``x`` is refused with
    ``id_number.not_normalized``. Checks: 17 digits + digit/``X``; province prefix of the area
    code; birth date a real date, not before 1900-01-01 and not after ``today``; check char.

    Reason codes: id_number.empty, id_number.not_normalized, id_number.length,
    id_number.charset, id_number.area, id_number.birth_date, id_number.birth_future,
    id_number.check_char.
    """
    if value == "":
        return Verdict.deny(Reason("id_number.empty", "请填写身份证号码", field, _C_ID_LAYOUT))
    if value != normalize_id_number(value):
        return Verdict.deny(
            Reason("id_number.not_normalized", "身份证号码不得包含空格，末位 x 请使用大写 X", field, _C_ID_LAYOUT)
        )
    if len(value) != 18:
        return Verdict.deny(
            Reason("id_number.length", f"身份证号码应为18位，当前为{len(value)}位", field, _C_ID_LAYOUT)
        )
    body, last = value[:17], value[17]
    if not (body.isascii() and body.isdigit()) or not (last == "X" or (last.isascii() and last.isdigit())):
        return Verdict.deny(
            Reason("id_number.charset", "身份证号码前17位应为数字，末位应为数字或 X", field, _C_ID_LAYOUT)
        )
    reasons: list[Reason] = []
    if value[:2] not in ID_AREA_PREFIXES:
        reasons.append(
            Reason("id_number.area", f"身份证号码前6位地址码无效（省级代码“{value[:2]}”不存在）", field, _C_ID_AREA)
        )
    birth = _parse_birth(value)
    if birth is None or birth < _ID_EARLIEST_BIRTH:
        reasons.append(
            Reason("id_number.birth_date", f"身份证号码第7–14位出生日期“{value[6:14]}”无效", field, _C_ID_LAYOUT)
        )
    elif birth > today:
        reasons.append(
            Reason(
                "id_number.birth_future",
                f"身份证号码中的出生日期 {birth.isoformat()} 晚于今天",
                field,
                _C_ID_LAYOUT,
            )
        )
    expected = id_check_char(body)
    if last != expected:
        reasons.append(Reason("id_number.check_char", f"身份证号码校验位错误，应为 {expected}", field, _C_ID_CHECK))
    return Verdict(tuple(reasons))


def mask_id_number(value: str) -> str:
    """Keep the first 6 and last 4 characters, star the rest: ``210102********123X``.

    Values of 10 characters or fewer are starred completely (nothing would be hidden otherwise).
    """
    value = normalize_id_number(value)
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def birth_date_of(value: str) -> date:
    """Birth date in an 18-character ID number (positions 7–14). Raises ValueError when absent or invalid.

    Does not check the check char; call :func:`validate_id_number` for that.
    """
    value = normalize_id_number(value)
    birth = _parse_birth(value) if len(value) == 18 else None
    if birth is None:
        raise ValueError(f"no valid birth date in ID number {mask_id_number(value)!r}")
    return birth


# --- certificates ----------------------------------------------------------------------------


def certificate_status(expires: date | None, today: date, warn_days: int = EXPIRY_WARNING_DAYS) -> str:
    """``"missing"`` (no expiry recorded), ``"expired"`` (``expires < today``), ``"expiring"``
    (``today <= expires <= today + warn_days``: the expiry day itself is still valid) or ``"valid"``.

    Same boundaries as :func:`minesafe.rules.licences.licence_state`.
    """
    if warn_days < 0:
        raise ValueError("warn_days must not be negative")
    if expires is None:
        return "missing"
    if expires < today:
        return "expired"
    if expires <= today + timedelta(days=warn_days):
        return "expiring"
    return "valid"


# --- post checks -------------------------------------------------------------------------


def _applicable_rules(kind: PostKind, mine: MineFacts, today: date) -> list[QualificationRule]:
    return [
        r
        for r in QUALIFICATION_RULES
        if kind in r.posts and (r.sectors is None or mine.sector in r.sectors) and r.effective <= today
    ]


def _fmt_years(years: float) -> str:
    return f"{years:g}"


def _qualification_findings(
    person: PersonFacts, post: PostFacts, mine: MineFacts, today: date, ref: str
) -> list[Finding]:
    rules = _applicable_rules(post.kind, mine, today)
    label = POST_LABELS[post.kind]
    findings: list[Finding] = []

    # Education: the rule asking for the highest level decides.
    edu_rules = sorted(
        (r for r in rules if r.min_education is not None),
        key=lambda r: -(r.min_education.rank if r.min_education is not None else -1),
    )
    if edu_rules:
        top = edu_rules[0]
        assert top.min_education is not None
        if not person.education.at_least(top.min_education):
            findings.append(
                Finding(
                    f"{top.id}.education",
                    f"{label}学历为{person.education.label}，应为{top.min_education.label}及以上",
                    top.citation,
                    top.consequence,
                    top.severity,
                    Subject.post,
                    ref,
                    post.kind,
                    _others(edu_rules, top),
                )
            )

    core_rules = [r for r in rules if r.core_discipline]
    if core_rules and not person.core_discipline:
        top = core_rules[0]
        findings.append(
            Finding(
                f"{top.id}.core_discipline",
                f"{label}所学专业不是本矿主体专业",
                top.citation,
                top.consequence,
                top.severity,
                Subject.post,
                ref,
                post.kind,
                _others(core_rules, top),
            )
        )

    year_rules = sorted((r for r in rules if r.min_years is not None), key=lambda r: -(r.min_years or 0))
    if year_rules:
        top = year_rules[0]
        assert top.min_years is not None
        if person.years_experience < top.min_years:
            findings.append(
                Finding(
                    f"{top.id}.experience",
                    f"{label}矿山一线从业经历{_fmt_years(person.years_experience)}年，"
                    f"应为{_fmt_years(top.min_years)}年以上",
                    top.citation,
                    top.consequence,
                    top.severity,
                    Subject.post,
                    ref,
                    post.kind,
                    _others(year_rules, top),
                )
            )
    return findings


def _others(rules: Sequence[QualificationRule], top: QualificationRule) -> tuple[Citation, ...]:
    return tuple(dict.fromkeys(r.citation for r in rules if r is not top and r.citation != top.citation))


def _special_operator_findings(
    person: PersonFacts, post: PostFacts, mine: MineFacts, today: date, ref: str
) -> list[Finding]:
    findings: list[Finding] = []
    label = POST_LABELS[post.kind]
    is_special = post.holds(PostKind.special_operator)
    if is_special:
        # 高中以上: first-time underground certificate (seed-004), or coal first certified from 2018-06-01.
        cites: list[Citation] = []
        if post.first_underground_special_op:
            cites.append(_C_SPECIAL_OP)
        if (
            mine.is_coal
            and post.first_certified is not None
            and post.first_certified >= SPECIAL_OPERATOR_HIGH_SCHOOL_FROM
        ):
            cites.append(_C_COAL_TRAINING)
        if cites and not person.education.at_least(Education.high_school):
            findings.append(
                Finding(
                    "people.special_operator.education",
                    f"首次取证的特种作业人员学历为{person.education.label}，应为高中及以上",
                    cites[0],
                    Consequence.halt_operation,
                    Severity.high,
                    Subject.post,
                    ref,
                    post.kind,
                    tuple(cites[1:]),
                )
            )

    required = post.kind in _CERTIFICATE_REQUIRED or is_special
    recorded = bool(post.certificate_no.strip()) or post.certificate_expires is not None
    if not required and not recorded:
        return findings
    # A required certificate counts only with both a number and an expiry date; otherwise "missing".
    expires = post.certificate_expires if (post.certificate_no.strip() or not required) else None
    state = certificate_status(expires, today)
    if state in ("missing", "expired") and required:
        what = "无有效证件" if state == "missing" else f"证件已于 {expires} 过期"
        findings.append(
            Finding(
                f"people.certificate.{state}",
                f"{label}{what}，不得上岗作业",
                _C_SPECIAL_OP,
                Consequence.rectify_up_to_halt,
                Severity.high,
                Subject.post,
                ref,
                post.kind,
            )
        )
    elif state == "expired":
        findings.append(
            Finding(
                "people.certificate.expired",
                f"{label}的{post.certificate_type or '资格'}证书已于 {expires} 过期",
                _C_ASSESSMENT,
                Consequence.rectify,
                Severity.medium,
                Subject.post,
                ref,
                post.kind,
            )
        )
    elif state == "expiring":
        assert expires is not None
        days = (expires - today).days
        findings.append(
            Finding(
                "people.certificate.expiring",
                f"{label}的{post.certificate_type or '资格'}证书将于 {expires} 到期（剩余{days}天），请及时复审换证",
                _C_EXPIRY_POLICY,
                Consequence.warning,
                Severity.low,
                Subject.post,
                ref,
                post.kind,
                (_C_SPECIAL_OP,) if required else (),
            )
        )
    return findings


def _employment_findings(person: PersonFacts, post: PostFacts, mine: MineFacts, ref: str) -> list[Finding]:
    findings: list[Finding] = []
    label = POST_LABELS[post.kind]
    if person.employment_type == EmploymentType.dispatched and post.underground:
        also = (_C_COAL_DISPATCH,) if mine.is_coal else ()
        findings.append(
            Finding(
                "people.employment.dispatched_underground",
                f"{label}为劳务派遣人员，不得在井下岗位作业",
                _C_OUTSOURCING,
                Consequence.halt_operation,
                Severity.high,
                Subject.post,
                ref,
                post.kind,
                also,
            )
        )
    if person.employment_type == EmploymentType.contractor:
        if person.employer_is_contractor_parent_entity is False:
            findings.append(
                Finding(
                    "people.employment.contractor_not_regular",
                    f"外包单位{label}不是项目部上级法人单位的正式职工",
                    _C_CONTRACTOR,
                    Consequence.rectify,
                    Severity.high,
                    Subject.post,
                    ref,
                    post.kind,
                )
            )
        elif person.employer_is_contractor_parent_entity is None:
            findings.append(
                Finding(
                    "people.employment.contractor_unverified",
                    f"外包单位{label}未登记是否为项目部上级法人单位的正式职工",
                    _C_CONTRACTOR,
                    Consequence.verify,
                    Severity.low,
                    Subject.post,
                    ref,
                    post.kind,
                )
            )
    return findings


def check_post(
    person: PersonFacts, post: PostFacts, mine: MineFacts, today: date, subject_ref: str = ""
) -> list[Finding]:
    """Findings for one person in one post at ``mine`` on ``today`` (seed-004 三(一)/三(五), seed-002 六, DOMAIN §11).

    Covers the qualification bars of :data:`QUALIFICATION_RULES` (one finding per failed
    requirement — education, core discipline, experience — naming the stricter source),
    special operators (高中+ for first-time underground / coal from 2018-06-01, certificate
    missing/expired/expiring), certificates recorded for other posts, 劳务派遣 underground and
    外包 staff not employed by the contractor's parent entity. ``subject_ref`` is passed through.
    """
    return [
        *_qualification_findings(person, post, mine, today, subject_ref),
        *_special_operator_findings(person, post, mine, today, subject_ref),
        *_employment_findings(person, post, mine, subject_ref),
    ]


# --- mine checks -------------------------------------------------------------------------


def _required_posts(mine: MineFacts) -> tuple[PostKind, ...]:
    posts = REQUIRED_POSTS.get(mine.sector, ())
    if mine.is_underground and not posts:
        # An underground mine of a sector without its own entry: the underground requirement.
        posts = FIVE_POSTS + FIVE_SECTIONS
    return posts


def _staffing_also(kind: PostKind) -> tuple[Citation, ...]:
    if kind in FIVE_POSTS:
        return (_C_FIVE_POSTS,)
    if kind in FIVE_SECTIONS:
        return (_C_FIVE_SECTIONS,)
    return ()


def _is_qualified(person: PersonFacts, post: PostFacts, mine: MineFacts, today: date) -> bool:
    return not _qualification_findings(person, post, mine, today, "")


def check_mine(mine: MineFacts, staff: Sequence[tuple[PersonFacts, PostFacts, str]], today: date) -> list[Finding]:
    """Findings for a whole mine: staffing of the required posts, the leadership team,
    separate blasting contracts (seed-002 二/六, seed-004 三(五)), then :func:`check_post` for every
    ``(person, post, ref)``.

    - a required post (:data:`REQUIRED_POSTS`) with no holder → ``people.staffing.missing``;
      one whose holders all fail a qualification bar → ``people.staffing.unqualified``; both
      责令停产整顿 (seed-002 六);
    - more than one 矿长 → ``people.leadership.multiple_managers``; a 董事长/总经理 who is not
      the 矿长 → ``people.leadership.above_manager`` (seed-002 二). The same person is
      recognised by a non-empty :attr:`PersonFacts.person_id` or by ``also_holds`` on the 矿长's
      post;
    - 金属非金属地下矿山 with ``blasting_outsourced_separately`` → ``people.outsourcing.blasting``.
    """
    findings: list[Finding] = []

    for kind in _required_posts(mine):
        holders = [(p, post) for p, post, _ in staff if post.kind == kind]
        label = POST_LABELS[kind]
        group = "五职矿长" if kind in FIVE_POSTS else ("五科" if kind in FIVE_SECTIONS else "领导班子")
        if not holders:
            findings.append(
                Finding(
                    "people.staffing.missing",
                    f"未配备{label}（{group}），安全管理机构和人员配备不满足规定要求",
                    _C_STAFFING,
                    Consequence.halt_production,
                    Severity.critical,
                    Subject.mine,
                    "",
                    kind,
                    _staffing_also(kind),
                )
            )
        elif not any(_is_qualified(p, post, mine, today) for p, post in holders):
            findings.append(
                Finding(
                    "people.staffing.unqualified",
                    f"{label}（{group}）人员不符合任职条件，安全管理机构和人员配备不满足规定要求",
                    _C_STAFFING,
                    Consequence.halt_production,
                    Severity.critical,
                    Subject.mine,
                    "",
                    kind,
                    _staffing_also(kind),
                )
            )

    findings.extend(_leadership_findings(staff))

    if mine.blasting_outsourced_separately and mine.is_metal_underground:
        findings.append(
            Finding(
                "people.outsourcing.blasting",
                "金属非金属地下矿山不得将爆破作业专项外包",
                _C_OUTSOURCING,
                Consequence.rectify_up_to_halt,
                Severity.high,
                Subject.mine,
            )
        )

    for person, post, ref in staff:
        findings.extend(check_post(person, post, mine, today, ref))
    return findings


def _leadership_findings(staff: Sequence[tuple[PersonFacts, PostFacts, str]]) -> list[Finding]:
    findings: list[Finding] = []
    managers = [(p, post, ref) for p, post, ref in staff if post.kind == PostKind.mine_manager]
    # Distinct people: rows with the same non-empty person_id are one person; unknown ids count apart.
    distinct = len({p.person_id or f"#row{i}" for i, (p, _, _) in enumerate(managers)})
    if distinct > 1:
        findings.append(
            Finding(
                "people.leadership.multiple_managers",
                f"一座矿山只能配备一套以矿长为首的领导班子，现登记矿长{distinct}人",
                _C_LEADERSHIP,
                Consequence.rectify,
                Severity.high,
                Subject.mine,
                "",
                PostKind.mine_manager,
            )
        )
    manager_ids = {p.person_id for p, _, _ in managers if p.person_id}
    for title in (PostKind.chairman, PostKind.general_manager):
        for person, post, ref in staff:
            if post.kind != title:
                continue
            if person.person_id and person.person_id in manager_ids:
                continue  # the 矿长 recorded a second time with this title
            findings.append(
                Finding(
                    "people.leadership.above_manager",
                    f"不得在矿长之上另设{POST_LABELS[title]}，确需设置的应由矿长兼任",
                    _C_LEADERSHIP,
                    Consequence.rectify,
                    Severity.high,
                    Subject.post,
                    ref,
                    title,
                )
            )
    return findings


# --- training and drills -----------------------------------------------------------------


def annual_training_rate(employee_ids: Collection[str], trained_ids: Collection[str]) -> float | None:
    """Share of ``employee_ids`` found in ``trained_ids``, in percent with one decimal.

    Every employee counts, whatever the employment type (dispatched, flexible, intern…);
    trained ids that are not employees are ignored. Rounded **down** so that 100.0 means
    everyone was trained (9999 of 10000 is 99.9, not 100.0). None when there are no employees.
    """
    employees = set(employee_ids)
    if not employees:
        return None
    trained = len(employees & set(trained_ids))
    rate = (Decimal(trained) * 100 / Decimal(len(employees))).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    return float(rate)


def untrained(employee_ids: Collection[str], trained_ids: Collection[str]) -> list[str]:
    """Employees without training, in roster order, each once."""
    trained = set(trained_ids)
    return [e for e in dict.fromkeys(employee_ids) if e not in trained]


def check_training(facts: TrainingFacts) -> list[Finding]:
    """One ``people.training.untrained`` finding per employee not trained in ``facts.year``
    (target 100%, every employee incl. dispatched/flexible/intern staff; seed-004 一(二), 三(五) 第24项).
    ``subject_ref`` is the employee id."""
    also = (_C_TRAINING_ALL, _C_RESPONSIBILITY_ALL)
    return [
        Finding(
            "people.training.untrained",
            f"{facts.year}年度未参加安全培训（全员每年安全培训率应达100%）",
            _C_TRAINING_TARGET,
            Consequence.rectify,
            Severity.medium,
            Subject.person,
            employee,
            None,
            also,
        )
        for employee in untrained(facts.employee_ids, facts.trained_ids)
    ]


def drill_due_date(last_drill: date) -> date:
    """Last day the next escape drill may be held: ``last_drill`` + 6 calendar months, clamped
    to the month's end (2024-08-31 → 2025-02-28)."""
    return add_months(last_drill, DRILL_INTERVAL_MONTHS)


def check_drills(last_drill: date | None, today: date, subject_ref: str = "") -> list[Finding]:
    """``people.drill.none`` when no escape drill is recorded, ``people.drill.overdue`` when
    ``today`` is after :func:`drill_due_date` (a drill on the due date is in time); seed-004 三(一) 第6项."""
    if last_drill is None:
        return [
            Finding(
                "people.drill.none",
                "未组织紧急撤离和逃生避险应急演练（每半年至少一次）",
                _C_DRILL,
                Consequence.rectify,
                Severity.medium,
                Subject.mine,
                subject_ref,
            )
        ]
    due = drill_due_date(last_drill)
    if today > due:
        return [
            Finding(
                "people.drill.overdue",
                f"上次应急演练为 {last_drill}，应于 {due} 前再次组织（每半年至少一次），已逾期{(today - due).days}天",
                _C_DRILL,
                Consequence.rectify,
                Severity.medium,
                Subject.mine,
                subject_ref,
            )
        ]
    return []
