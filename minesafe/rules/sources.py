"""Registry of the documents rules may cite, and :func:`cite`, the only way to build a Citation.

Seed documents are the requirement texts in ``shared/seeds/`` (``seed-002`` is
``seeds/002_*.txt``); their ``sections`` list the headings actually present in the
text (``"二"`` for ``二、``, ``"二(一)"`` for ``（一）`` under ``二、``). Several seeds
bundle more than one document, so a section id may occur in more than one of
them; the citation note then says which one is meant.

``DOMAIN`` is the project's regulatory reference (``shared/DOMAIN.md``); its
sections are the § headings and the HM-* rule ids of §1.2.

External documents (national standards) have ``sections=None``: their section
strings are free-form because we do not hold their full text. Rules that lean on
them without a verified copy say so in the citation note with ``[U]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .types import Citation

__all__ = ["SOURCES", "Source", "cite"]


@dataclass(frozen=True)
class Source:
    """A citable document."""

    id: str
    title: str
    sections: frozenset[str] | None  # None = free-form section strings


def _sections(*ids: str) -> frozenset[str]:
    return frozenset(ids)


def _numbered(top: str, *subs: str) -> tuple[str, ...]:
    """("二", "一", "二") -> ("二", "二(一)", "二(二)")."""
    return (top, *(f"{top}({sub})" for sub in subs))


_SEEDS = (
    Source(
        id="seed-000",
        title=(
            "辽宁省安委办公室关于学习贯彻《国务院安委会关于防范遏制矿山领域重特大事故的工作方案》的通知"
            "（辽安委办〔2024〕9号）"
        ),
        sections=_sections("一", *_numbered("二", "一", "二", "三"), "附件", "附件2"),
    ),
    Source(
        id="seed-001",
        title=(
            "国家矿山安全监察局关于深入学习宣传贯彻《国务院安委会关于防范遏制矿山领域重特大生产安全事故的硬措施》"
            "的通知（《硬措施》解读）"
        ),
        sections=_sections("一", "二", "三", "四", "五"),
    ),
    Source(
        # Covering notice 晋市安委办发[2024]52号 (一–三) plus its attachment
        # 晋安办发〔2024〕94号 (一–八); 一–三 occur in both.
        id="seed-002",
        title=(
            "晋城市安全生产委员会办公室关于进一步贯彻落实《关于防范遏制矿山领域重特大生产安全事故的硬措施》的通知"
            "（晋市安委办发[2024]52号，附晋安办发〔2024〕94号）"
        ),
        sections=_sections("一", "二", "三", "四", "五", "六", "七", "八", "附件"),
    ),
    Source(
        # A news bulletin without numbered headings: its "sections" are the
        # headline keywords of the individual news items.
        id="seed-003",
        title="矿山安全生产治本攻坚三年行动进展情况（工作简报）",
        sections=_sections(
            "视频培训班",
            "尾矿库安全生产工作视频会议",
            "任务目标分解表",
            "审核各地实施方案",
            "山东省",
            "河南省",
            "云南省",
            "吉林省",
            "福建省",
        ),
    ),
    Source(
        # Three plans in one file: 非煤矿山 (一–五), 工贸 (一–三), 化工和危险化学品 (一–三).
        # The ids below are their union; the numbered tasks (1.–36. in the 非煤矿山
        # plan) are named in the citation note, e.g. "非煤矿山方案 第15项".
        id="seed-004",
        title=(
            "岫岩县应急管理局安全生产治本攻坚三年行动方案（2024-2026年）"
            "（岫应急发〔2024〕34号：非煤矿山、工贸、化工和危险化学品）"
        ),
        sections=_sections(
            *_numbered("一", "一", "二"),
            *_numbered("二", "一", "二", "三", "四", "五", "六"),
            *_numbered("三", "一", "二", "三", "四", "五", "六", "七", "八"),
            *_numbered("四", "一", "二", "三"),
            *_numbered("五", "一", "二", "三", "四", "五", "六"),
        ),
    ),
)

_DOMAIN = Source(
    id="DOMAIN",
    title="MineSafe 监管领域参考（shared/DOMAIN.md）",
    sections=_sections(
        *(f"§{n}" for n in range(13)),
        "§1.1",
        "§1.2",
        "§2.1",
        "§2.2",
        "§3.1",
        "§3.2",
        "§3.3",
        "§4.1",
        "§4.2",
        "§4.3",
        "§7.1",
        "§7.2",
        "§7.3",
        "§9.1",
        "§9.2",
        "HM-1a",
        "HM-1b",
        "HM-2a",
        "HM-2b",
        "HM-2c",
        "HM-2d",
        "HM-2e",
        "HM-3a",
        "HM-3b",
        "HM-4",
        "HM-5",
        "HM-6",
        "HM-7",
        "HM-8",
    ),
)

_EXTERNAL = (
    Source("GB 32100-2015", "法人和其他组织统一社会信用代码编码规则", None),
    Source("GB 11714-1997", "全国组织机构代码编制规则", None),
    Source("GB/T 22239-2019", "信息安全技术 网络安全等级保护基本要求", None),
    Source("GB 39496-2020", "尾矿库安全规程", None),
    Source("GB 50863-2013", "尾矿设施设计规范", None),
)

SOURCES: dict[str, Source] = {s.id: s for s in (*_SEEDS, _DOMAIN, *_EXTERNAL)}


def cite(source: str, section: str, note: str = "") -> Citation:
    """Build a :class:`Citation` after checking the source and section exist.

    Raises ValueError for an unknown source, an empty section, or (when the
    source lists its sections) a section that is not listed.
    """
    try:
        src = SOURCES[source]
    except KeyError:
        raise ValueError(f"unknown citation source {source!r}") from None
    if not section.strip():
        raise ValueError(f"empty section for citation source {source!r}")
    if src.sections is not None and section not in src.sections:
        raise ValueError(f"unknown section {section!r} for citation source {source!r}")
    return Citation(source, section, note)


# --- hazard-ledger documents (added for hazard_standards / hazards) ----------------------
# Official texts behind the major-hazard standards. We hold none of them in full, so a direct
# citation must carry an [U] note; content checked against a copy is cited through DOMAIN
# (§2.1, §2.2, §3.x), which records where it was verified.
_HAZARD_DOCUMENTS = (
    Source("应急管理部令第4号", "煤矿重大事故隐患判定标准（2020年11月20日公布，2021年1月1日起施行）", None),
    Source("应急管理部令第21号", "煤矿重大事故隐患判定标准（2026年修订，2026年7月1日起施行；全文未取得）", None),
    Source("国务院令第774号", "煤矿安全生产条例（2024年1月24日公布，2024年5月1日起施行）", None),
    Source("矿安〔2022〕88号", "金属非金属矿山重大事故隐患判定标准（2022年9月1日起施行）", None),
    Source("安监总管一〔2017〕98号", "金属非金属矿山重大生产安全事故隐患判定标准（试行）（2017年）", None),
)
SOURCES.update({s.id: s for s in _HAZARD_DOCUMENTS})

# How periods are counted (the "within three months" of the closure rule).
_LAW = (Source("民法典", "中华人民共和国民法典（2021年1月1日起施行）第二百零一条、第二百零二条（期间的计算）", None),)
SOURCES.update({s.id: s for s in _LAW})


# --- people and qualifications (added for people) -----------------------------------------
# Content of 92号令 checked against an official summary is cited through DOMAIN §11; a direct
# citation of these documents must carry an [U] note.
_PEOPLE_DOCUMENTS = (
    Source("GB 11643-1999", "公民身份号码", None),
    Source("GB/T 2260", "中华人民共和国行政区划代码", None),
    Source("安监总局令第92号", "煤矿安全培训规定（2018年3月1日起施行）", None),
)
SOURCES.update({s.id: s for s in _PEOPLE_DOCUMENTS})
