"""Official major-accident-hazard determination standards (重大事故隐患判定标准) as versioned data.

Each :class:`HazardStandard` is one effective-dated version for one sector; its categories and
items are what the hazard ledger (重大事故隐患台账) records a hazard against. Codes are stable
ids: ``<standard>.<category>.<item>``, e.g. ``coal-2020.8.9`` = 应急管理部令第4号 第八条第(九)项.

Versions held (DOMAIN §0 alerts 0.1, 0.2, 0.5):

- ``coal-2020``: 煤矿重大事故隐患判定标准 (应急管理部令第4号), 2021-01-01 .. 2024-04-30; the 15
  categories Art. 4–18 [V] S4/S5 with the sub-conditions of DOMAIN §2.1 [V2] S3.
- ``coal-2024``: the 17 categories of 煤矿安全生产条例 Art. 36 (国务院令第774号) [V] S1, in force
  2024-05-01 (DOMAIN §2.2). Sub-conditions are the 2020 ones mapped onto the new list (see
  :data:`ITEM_PREDECESSORS`); the new categories (11) 监控与通讯 and (12) 露天煤矿边坡 and the
  widened (16) carry [U] items. The 2026 revision (应急管理部令第21号, in force 2026-07-01) is
  [U]: its text was not obtained, so ``coal-2024`` stays open-ended until it is added.
- ``metal-ug-2022`` / ``metal-op-2022`` / ``tailings-2022``: 金属非金属矿山重大事故隐患判定标准
  (矿安〔2022〕88号), in force 2022-09-01 (DOMAIN §3). Only fragments are verified; categories
  whose text we lack hold a single ``其他重大事故隐患（以标准原文为准）`` item marked [U]. The 2017
  trial list (安监总管一〔2017〕98号) appears as [U] carry-over items where DOMAIN records it.

An item is unverified when its citation note carries ``[U]`` (:attr:`HazardItem.verified`).
Item texts are concise Chinese renderings; for anything legal, the official text prevails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .sources import cite
from .types import Citation

__all__ = [
    "ALL_STANDARDS",
    "CATEGORY_FAMILIES",
    "ITEM_PREDECESSORS",
    "OTHER_UNVERIFIED_TEXT",
    "HazardCategory",
    "HazardItem",
    "HazardStandard",
    "categories_for",
    "category_family",
    "find_category",
    "find_item",
    "standard_for",
]

# Text of the placeholder item that stands for categories we cannot verify.
OTHER_UNVERIFIED_TEXT = "其他重大事故隐患（以标准原文为准）"


@dataclass(frozen=True)
class HazardItem:
    """One sub-condition: on its own it makes a 重大事故隐患."""

    code: str
    text: str
    citation: Citation

    @property
    def verified(self) -> bool:
        """False when the citation marks the item as unverified ([U])."""
        return "[U]" not in self.citation.note


@dataclass(frozen=True)
class HazardCategory:
    """A category (类别) of the standard with its items."""

    code: str
    title: str
    items: tuple[HazardItem, ...]
    citation: Citation


@dataclass(frozen=True)
class HazardStandard:
    """One version of a determination standard for one or more sectors.

    ``effective_to`` is the last day in force (inclusive); None = still in force.
    """

    code: str
    title: str
    document: str  # a SOURCES id, e.g. "应急管理部令第4号"
    version: str
    effective_from: date
    effective_to: date | None
    sectors: frozenset[str]
    categories: tuple[HazardCategory, ...] = field(repr=False)

    def in_force(self, on: date) -> bool:
        """True when this version applies on ``on`` (both ends inclusive)."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


_Entry = str | tuple[str, Citation]  # item text, or (text, own citation) for [U] items


def _category(code: str, title: str, citation: Citation, entries: tuple[_Entry, ...]) -> HazardCategory:
    items = []
    for number, entry in enumerate(entries, start=1):
        text, item_citation = (entry, citation) if isinstance(entry, str) else entry
        items.append(HazardItem(f"{code}.{number}", text, item_citation))
    return HazardCategory(code, title, tuple(items), citation)


# === coal 2020: 应急管理部令第4号 ==========================================================

_C2020 = {
    4: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第四条；类别 [V] S4/S5，子项 [V2] S3"),
    5: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第五条；类别 [V] S4/S5，子项 [V2] S3"),
    6: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第六条；类别 [V] S4/S5，子项 [V2] S3"),
    7: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第七条；类别 [V] S4/S5，子项 [V2] S3"),
    8: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第八条；类别 [V] S4/S5，子项 [V2] S3"),
    9: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第九条；类别 [V] S4/S5，子项 [V2] S3"),
    10: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十条；类别 [V] S4/S5，子项 [V2] S3"),
    11: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十一条；类别 [V] S4/S5，子项 [V2] S3"),
    12: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十二条；类别 [V] S4/S5，子项 [V2] S3"),
    13: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十三条；类别 [V] S4/S5，子项 [V2] S3"),
    14: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十四条；类别 [V] S4/S5，子项 [V2] S3"),
    15: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十五条；类别 [V] S4/S5，子项 [V2] S3"),
    16: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十六条；类别 [V] S4/S5，子项 [V2] S3"),
    17: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十七条；类别 [V] S4/S5，子项 [V2] S3"),
    18: cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准（应急管理部令第4号）第十八条；类别 [V] S4/S5，子项 [V2] S3"),
}

# Article -> (category title, item texts). Wording after the riskDcode copy of the 2020 text (S3).
_COAL_2020_TEXT: dict[int, tuple[str, tuple[str, ...]]] = {
    4: (
        "超能力、超强度或者超定员组织生产",
        (
            "煤矿全年原煤产量超过核定（设计）生产能力幅度在10%以上，或者月原煤产量大于核定（设计）生产能力的10%",
            "煤矿或者其上级公司超过煤矿核定（设计）生产能力下达生产计划或者经营指标",
            "煤矿开拓、准备、回采煤量可采期小于国家规定的最短时间，未主动采取限产或者停产措施，仍然组织生产"
            "（衰老煤矿和地方人民政府计划停产关闭煤矿除外）",
            "煤矿井下同时生产的水平超过2个，或者一个采（盘）区内同时作业的采煤、煤（半煤岩）巷掘进工作面个数"
            "超过《煤矿安全规程》规定",
            "瓦斯抽采不达标组织生产",
            "煤矿未制定或者未严格执行井下劳动定员制度，或者采掘作业地点单班作业人数超过国家有关限员规定20%以上",
        ),
    ),
    5: (
        "瓦斯超限作业",
        (
            "瓦斯检查存在漏检、假检情况且进行作业",
            "井下瓦斯超限后继续作业或者未按照国家规定处置继续进行作业",
            "井下排放积聚瓦斯未按照国家规定制定并实施安全技术措施进行作业",
        ),
    ),
    6: (
        "煤与瓦斯突出矿井，未依照规定实施防突出措施",
        (
            "未设立防突机构并配备相应专业人员",
            "未建立地面永久瓦斯抽采系统或者系统不能正常运行",
            "未按照国家规定进行区域或者工作面突出危险性预测（直接认定为突出危险区域或者突出危险工作面的除外）",
            "未按照国家规定采取防治突出措施",
            "未按照国家规定进行防突措施效果检验和验证，或者防突措施效果检验和验证不达标仍然组织生产建设，"
            "或者防突措施效果检验和验证数据造假",
            "未按照国家规定采取安全防护措施",
            "使用架线式电机车",
        ),
    ),
    7: (
        "高瓦斯矿井未建立瓦斯抽采系统和监控系统，或者系统不能正常运行",
        (
            "按照《煤矿安全规程》规定应当建立而未建立瓦斯抽采系统或者系统不正常使用",
            "未按照国家规定安设、调校甲烷传感器，人为造成甲烷传感器失效，或者瓦斯超限后不能报警、断电"
            "或者断电范围不符合国家规定",
        ),
    ),
    8: (
        "通风系统不完善、不可靠",
        (
            "矿井总风量不足或者采掘工作面等主要用风地点风量不足",
            "没有备用主要通风机，或者两台主要通风机不具有同等能力",
            "违反《煤矿安全规程》规定采用串联通风",
            "未按照设计形成通风系统，或者生产水平和采（盘）区未实现分区通风",
            "高瓦斯、煤与瓦斯突出矿井的任一采（盘）区，开采容易自燃煤层、低瓦斯矿井开采煤层群和分层开采"
            "采用联合布置的采（盘）区，未设置专用回风巷，或者突出煤层工作面没有独立的回风系统",
            "进、回风井之间和主要进、回风巷之间联络巷中的风墙、风门不符合《煤矿安全规程》规定，造成风流短路",
            "采区进、回风巷未贯穿整个采区，或者虽贯穿整个采区但一段进风、一段回风，或者采用倾斜长壁布置，"
            "大巷未超前至少2个区段构成通风系统即开掘其他巷道",
            "煤巷、半煤岩巷和有瓦斯涌出的岩巷掘进未按照国家规定装备甲烷电、风电闭锁装置或者有关装置不能正常使用",
            "高瓦斯、煤（岩）与瓦斯（二氧化碳）突出矿井的煤巷、半煤岩巷和有瓦斯涌出的岩巷掘进工作面采用局部通风时，"
            "不能实现双风机、双电源且自动切换",
            "高瓦斯、煤（岩）与瓦斯（二氧化碳）突出建设矿井进入二期工程前，其他建设矿井进入三期工程前，"
            "没有形成地面主要通风机供风的全风压通风系统",
        ),
    ),
    9: (
        "有严重水患，未采取有效措施",
        (
            "未查明矿井水文地质条件和井田范围内采空区、废弃老窑积水等情况而组织生产建设",
            "水文地质类型复杂、极复杂的矿井未设置专门的防治水机构、未配备专门的探放水作业队伍，"
            "或者未配齐专用探放水设备",
            "在需要探放水的区域进行采掘作业未按照国家规定进行探放水",
            "未按照国家规定留设或者擅自开采（破坏）各种防隔水煤（岩）柱",
            "有突（透、溃）水征兆未撤出井下所有受水患威胁地点人员",
            "受地表水倒灌威胁的矿井在强降雨天气或者其来水上游发生洪水期间未实施停产撤人",
            "建设矿井进入三期工程前，未按照设计建成永久排水系统，或者生产矿井延深到设计水平时，"
            "未建成防、排水系统而违规开拓掘进",
            "矿井主要排水系统水泵排水能力、管路和水仓容量不符合《煤矿安全规程》规定",
            "开采地表水体、老空水淹区域或者强含水层下急倾斜煤层，未按照国家规定消除水患威胁",
        ),
    ),
    10: (
        "超层越界开采",
        (
            "超出采矿许可证载明的开采煤层层位或者标高进行开采",
            "超出采矿许可证载明的坐标控制范围进行开采",
            "擅自开采（破坏）安全煤柱",
        ),
    ),
    11: (
        "有冲击地压危险，未采取有效措施",
        (
            "未按照国家规定进行煤层（岩层）冲击倾向性鉴定，或者开采有冲击倾向性煤层未进行冲击危险性评价，"
            "或者开采冲击地压煤层，未进行采区、采掘工作面冲击危险性评价",
            "有冲击地压危险的矿井未设置专门的防冲机构、未配备专业人员或者未编制专门设计",
            "未进行冲击地压危险性预测，或者未进行防冲措施效果检验以及防冲措施效果检验不达标仍组织生产建设",
            "开采冲击地压煤层时，违规开采孤岛煤柱，采掘工作面位置、间距不符合国家规定，或者开采顺序不合理、"
            "采掘速度不符合国家规定、违反国家规定布置巷道或者留设煤（岩）柱造成应力集中",
            "未制定或者未严格执行冲击地压危险区域人员准入制度",
        ),
    ),
    12: (
        "自然发火严重，未采取有效措施",
        (
            "开采容易自燃和自燃煤层的矿井，未编制防灭火专项设计或者未采取综合防灭火措施",
            "高瓦斯矿井采用放顶煤采煤法不能有效防治煤层自然发火",
            "有自然发火征兆没有采取相应的安全防范措施继续生产建设",
            "违反《煤矿安全规程》规定启封火区",
        ),
    ),
    13: (
        "使用明令禁止使用或者淘汰的设备、工艺",
        (
            "使用被列入国家禁止井工煤矿使用的设备及工艺目录的产品或者工艺",
            "井下电气设备、电缆未取得煤矿矿用产品安全标志",
            "井下电气设备选型与矿井瓦斯等级不符，或者采（盘）区内防爆型电气设备存在失爆，"
            "或者井下使用非防爆无轨胶轮车",
            "未按照矿井瓦斯等级选用相应的煤矿许用炸药和雷管、未使用专用发爆器，或者裸露爆破",
            "采煤工作面不能保证2个畅通的安全出口",
            "高瓦斯矿井、煤与瓦斯突出矿井、开采容易自燃和自燃煤层（薄煤层除外）矿井，采煤工作面采用前进式采煤方法",
        ),
    ),
    14: (
        "煤矿没有双回路供电系统",
        (
            "单回路供电",
            "有两回路电源线路但取自一个区域变电所同一母线段",
            "进入二期工程的高瓦斯、煤与瓦斯突出、水文地质类型为复杂和极复杂的建设矿井，以及进入三期工程的"
            "其他建设矿井，未形成两回路供电",
        ),
    ),
    15: (
        "新建煤矿边建设边生产，煤矿改扩建期间，在改扩建的区域生产，或者在其他区域的生产超出安全设施设计"
        "规定的范围和规模",
        (
            "建设项目安全设施设计未经审查批准，或者审查批准后作出重大变更未经再次审查批准擅自组织施工",
            "新建煤矿在建设期间组织采煤（经批准的联合试运转除外）",
            "改扩建矿井在改扩建区域生产",
            "改扩建矿井在非改扩建区域超出设计规定范围和规模生产",
        ),
    ),
    16: (
        "煤矿实行整体承包生产经营后，未重新取得或者及时变更安全生产许可证而从事生产，或者承包方再次转包，"
        "以及将井下采掘工作面和井巷维修作业进行劳务承包",
        (
            "煤矿未采取整体承包形式进行发包，或者将煤矿整体发包给不具有法人资格或者未取得合法有效营业执照的单位或者个人",
            "实行整体承包的煤矿，未签订安全生产管理协议，或者未按照国家规定约定双方安全生产管理职责而进行生产",
            "实行整体承包的煤矿，未重新取得或者变更安全生产许可证进行生产",
            "实行整体承包的煤矿，承包方再次将煤矿转包给其他单位或者个人",
            "井工煤矿将井下采掘作业或者井巷维修作业（井筒及井下新水平延深的井底车场、主运输、主通风、主排水、"
            "主要机电硐室开拓工程除外）作为独立工程发包给其他企业或者个人，以及转包井下新水平延深开拓工程",
        ),
    ),
    17: (
        "煤矿改制期间，未明确安全生产责任人和安全管理机构，或者在完成改制后，未重新取得或者变更采矿许可证、"
        "安全生产许可证和营业执照",
        (
            "改制期间，未明确安全生产责任人进行生产建设",
            "改制期间，未健全安全生产管理机构和配备安全管理人员进行生产建设",
            "完成改制后，未重新取得或者变更采矿许可证、安全生产许可证、营业执照而进行生产建设",
        ),
    ),
    18: (
        "其他重大事故隐患",
        (
            "未分别配备专职的矿长、总工程师和分管安全、生产、机电的副矿长，以及负责采煤、掘进、机电运输、通风、"
            "地测、防治水工作的专业技术人员",
            "未按照国家规定足额提取或者未按照国家规定范围使用安全生产费用",
            "未按照国家规定进行瓦斯等级鉴定，或者瓦斯等级鉴定弄虚作假",
            "出现瓦斯动力现象，或者相邻矿井开采的同一煤层发生了突出事故，或者被鉴定、认定为突出煤层，以及煤层瓦斯"
            "压力达到或者超过0.74MPa的非突出矿井，未立即按照突出煤层管理并在国家规定期限内进行突出危险性鉴定"
            "（直接认定为突出矿井的除外）",
            "图纸作假、隐瞒采掘工作面，提供虚假信息、隐瞒下井人数，或者矿长、总工程师（技术负责人）履行安全生产"
            "岗位责任制及管理制度时伪造记录，弄虚作假",
            "矿井未安装安全监控系统、人员位置监测系统或者系统不能正常运行，以及对系统数据进行修改、删除及屏蔽，"
            "或者煤与瓦斯突出矿井存在第七条第二项情形",
            "提升（运送）人员的提升机未按照《煤矿安全规程》规定安装保护装置，或者保护装置失效，或者超员运行",
            "带式输送机的输送带入井前未经过第三方阻燃和抗静电性能试验，或者试验不合格入井，或者输送带防打滑、"
            "跑偏、堆煤等保护装置或者温度、烟雾监测装置失效",
            "掘进工作面后部巷道或者独头巷道维修（着火点、高温点处理）时，维修（处理）点以里继续掘进或者有人员进入，"
            "或者采掘工作面未按照国家规定安设压风、供水、通信线路及装置",
            "露天煤矿边坡角大于设计最大值，或者边坡发生严重变形未及时采取措施进行治理",
        ),
    ),
}

_COAL_2020_CATEGORIES = tuple(
    _category(f"coal-2020.{article}", title, _C2020[article], texts)
    for article, (title, texts) in _COAL_2020_TEXT.items()
)

COAL_2020 = HazardStandard(
    code="coal-2020",
    title="煤矿重大事故隐患判定标准",
    document="应急管理部令第4号",
    version="2020",
    effective_from=date(2021, 1, 1),
    # Superseded in MineSafe's model by the 条例 Art. 36 list from 2024-05-01 (DOMAIN §0 alert 0.1).
    effective_to=date(2024, 4, 30),
    sectors=frozenset({"coal"}),
    categories=_COAL_2020_CATEGORIES,
)

# === coal 2024: 煤矿安全生产条例 Art. 36 ====================================================

_C2024 = {
    1: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（一）项 [V] S1；子项沿用2020版第四条"),
    2: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（二）项 [V] S1；子项沿用2020版第五条"),
    3: cite(
        "DOMAIN",
        "§2.2",
        "煤矿安全生产条例 第三十六条第（三）项 [V] S1；子项沿用2020版第六条（地面永久瓦斯抽采系统一项归入第（四）项，"
        "MineSafe 映射）",
    ),
    4: cite(
        "DOMAIN",
        "§2.2",
        "煤矿安全生产条例 第三十六条第（四）项 [V] S1；"
        "子项取自2020版第七条第（一）项、第六条第（二）项（MineSafe 映射）",
    ),
    5: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（五）项 [V] S1；子项沿用2020版第八条"),
    6: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（六）项 [V] S1；子项沿用2020版第十条"),
    7: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（七）项 [V] S1；子项沿用2020版第九条"),
    8: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（八）项 [V] S1；子项沿用2020版第十一条"),
    9: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（九）项 [V] S1；子项沿用2020版第十二条"),
    10: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（十）项 [V] S1；子项沿用2020版第十三条"),
    11: cite(
        "DOMAIN",
        "§2.2",
        "煤矿安全生产条例 第三十六条第（十一）项（新增类别）[V] S1；子项取自2020版第七条第（二）项、第十八条第（六）项"
        "（MineSafe 映射）",
    ),
    12: cite(
        "DOMAIN",
        "§2.2",
        "煤矿安全生产条例 第三十六条第（十二）项（新增类别）[V] S1；子项取自2020版第十八条第（十）项（MineSafe 映射）",
    ),
    13: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（十三）项 [V] S1；子项沿用2020版第十四条"),
    14: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（十四）项 [V] S1；子项沿用2020版第十五条"),
    15: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（十五）项 [V] S1；子项沿用2020版第十六条"),
    16: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（十六）项 [V] S1；子项沿用2020版第十七条"),
    17: cite("DOMAIN", "§2.2", "煤矿安全生产条例 第三十六条第（十七）项 [V] S1；子项沿用2020版第十八条其余各项"),
}

_U_COAL_MONITORING = cite(
    "应急管理部令第21号",
    "监控与通讯",
    "[U] 条例新增类别的子项：2026修订版判定标准全文未取得，以现行标准原文为准（DOMAIN §0 alert 0.2）",
)
_U_COAL_SLOPE = cite(
    "应急管理部令第21号",
    "露天煤矿边坡",
    "[U] 条例新增类别的子项：2026修订版判定标准全文未取得，以现行标准原文为准（DOMAIN §0 alert 0.2）",
)
_U_COAL_MERGER = cite(
    "应急管理部令第21号",
    "改制、合并、分立",
    "[U] 条例将改制扩展到合并、分立；相应子项以现行判定标准原文为准（DOMAIN §2.2）",
)
_U_COAL_OTHER = cite(
    "应急管理部令第21号",
    "其他重大事故隐患",
    "[U] 2026修订版可能增删子项；全文未取得（DOMAIN §0 alert 0.2）",
)

_Ref = str | tuple[str, Citation]  # a 2020 item code, or (text, citation) for a new [U] item

# Art. 36 item -> (title, 2020 category it continues or None for a new category, items).
_COAL_2024_SPEC: dict[int, tuple[str, str | None, tuple[_Ref, ...]]] = {
    1: ("超能力、超强度或者超定员组织生产", "coal-2020.4", tuple(f"coal-2020.4.{n}" for n in range(1, 7))),
    2: ("瓦斯超限作业", "coal-2020.5", tuple(f"coal-2020.5.{n}" for n in range(1, 4))),
    3: (
        "煤（岩）与瓦斯（二氧化碳）突出矿井未按照规定实施防突措施",
        "coal-2020.6",
        tuple(f"coal-2020.6.{n}" for n in (1, 3, 4, 5, 6, 7)),
    ),
    4: (
        "煤（岩）与瓦斯（二氧化碳）突出矿井、高瓦斯矿井未按照规定建立瓦斯抽采系统，或者系统不能正常运行",
        "coal-2020.7",
        ("coal-2020.7.1", "coal-2020.6.2"),
    ),
    5: ("通风系统不完善、不可靠", "coal-2020.8", tuple(f"coal-2020.8.{n}" for n in range(1, 11))),
    6: ("超层、越界开采", "coal-2020.10", tuple(f"coal-2020.10.{n}" for n in range(1, 4))),
    7: ("有严重水患，未采取有效措施", "coal-2020.9", tuple(f"coal-2020.9.{n}" for n in range(1, 10))),
    8: ("有冲击地压危险，未采取有效措施", "coal-2020.11", tuple(f"coal-2020.11.{n}" for n in range(1, 6))),
    9: ("自然发火严重，未采取有效措施", "coal-2020.12", tuple(f"coal-2020.12.{n}" for n in range(1, 5))),
    10: ("使用应当淘汰的危及生产安全的设备、工艺", "coal-2020.13", tuple(f"coal-2020.13.{n}" for n in range(1, 7))),
    11: (
        "未按照规定建立监控与通讯系统，或者系统不能正常运行",
        None,
        (
            "coal-2020.7.2",
            "coal-2020.18.6",
            (
                "其他未按照规定建立监控与通讯系统或者系统不能正常运行的情形（子项以现行判定标准原文为准）",
                _U_COAL_MONITORING,
            ),
        ),
    ),
    12: (
        "露天煤矿边坡角大于设计最大值或者边坡发生严重变形，未采取有效措施",
        None,
        (
            "coal-2020.18.10",
            ("其他露天煤矿边坡重大事故隐患情形（子项以现行判定标准原文为准）", _U_COAL_SLOPE),
        ),
    ),
    13: ("未按照规定采用双回路供电系统", "coal-2020.14", tuple(f"coal-2020.14.{n}" for n in range(1, 4))),
    14: (
        "新建煤矿边建设边生产，煤矿改扩建期间，在改扩建的区域生产，或者在其他区域的生产超出设计规定的范围和规模",
        "coal-2020.15",
        tuple(f"coal-2020.15.{n}" for n in range(1, 5)),
    ),
    15: (
        "实行整体承包生产经营后，未重新取得或者及时变更安全生产许可证而从事生产，或者承包方再次转包，"
        "以及将井下采掘工作面和井巷维修作业外包",
        "coal-2020.16",
        tuple(f"coal-2020.16.{n}" for n in range(1, 6)),
    ),
    16: (
        "改制、合并、分立期间，未明确安全生产责任人和安全生产管理机构，或者在完成改制、合并、分立后，"
        "未重新取得或者及时变更安全生产许可证等",
        "coal-2020.17",
        (
            "coal-2020.17.1",
            "coal-2020.17.2",
            "coal-2020.17.3",
            ("合并、分立期间或者完成后的相应情形（子项以现行判定标准原文为准）", _U_COAL_MERGER),
        ),
    ),
    17: (
        "有其他重大事故隐患",
        "coal-2020.18",
        (
            *(f"coal-2020.18.{n}" for n in (1, 2, 3, 4, 5, 7, 8, 9)),
            (OTHER_UNVERIFIED_TEXT, _U_COAL_OTHER),
        ),
    ),
}

_COAL_2020_ITEMS = {item.code: item for category in _COAL_2020_CATEGORIES for item in category.items}

# New item code -> the item of the previous version it continues (same text and citation).
ITEM_PREDECESSORS: dict[str, str] = {}
# Category code -> a family key shared by the same category across versions (see category_family()).
CATEGORY_FAMILIES: dict[str, str] = {}


def _coal_2024_categories() -> tuple[HazardCategory, ...]:
    categories = []
    for number, (title, family, refs) in _COAL_2024_SPEC.items():
        code = f"coal-2024.{number}"
        items = []
        for index, ref in enumerate(refs, start=1):
            item_code = f"{code}.{index}"
            if isinstance(ref, str):
                old = _COAL_2020_ITEMS[ref]
                items.append(HazardItem(item_code, old.text, old.citation))
                ITEM_PREDECESSORS[item_code] = ref
            else:
                text, citation = ref
                items.append(HazardItem(item_code, text, citation))
        categories.append(HazardCategory(code, title, tuple(items), _C2024[number]))
        CATEGORY_FAMILIES[code] = family or code
    return tuple(categories)


COAL_2024 = HazardStandard(
    code="coal-2024",
    title="煤矿安全生产条例 第三十六条 重大事故隐患",
    document="国务院令第774号",
    version="2024",
    effective_from=date(2024, 5, 1),
    effective_to=None,  # 应急管理部令第21号 (2026-07-01) not modelled: text not obtained [U]
    sectors=frozenset({"coal"}),
    categories=_coal_2024_categories(),
)

# === metal/non-metal underground: 矿安〔2022〕88号 ===========================================

_UG_EXITS = cite("DOMAIN", "§3.1", "矿安〔2022〕88号 地下矿山第（一）项 安全出口 [V] S13, S16")
_UG_BANNED = cite("DOMAIN", "§3.1", "矿安〔2022〕88号 地下矿山第（二）项 [V]")
_UG_CONNECTED = cite("DOMAIN", "§3.1", "矿安〔2022〕88号 地下矿山第（三）项 [V]")
_UG_DRAWINGS = cite("DOMAIN", "§3.1", "矿安〔2022〕88号 地下矿山第（四）项 图纸 [V] S16")
_UG_CONVERSION = cite("DOMAIN", "§3.1", "矿安〔2022〕88号 地下矿山第（五）项 露天转地下开采 [V] 部分 S16")
_UG_FRAGMENTS = cite(
    "DOMAIN",
    "§3.1",
    "矿安〔2022〕88号 地下矿山条文片段 [V] S14, S17；项号未核实，文字为 MineSafe 据片段整理，以标准原文为准",
)
_U_UG_CONVERSION = cite("矿安〔2022〕88号", "地下矿山第（五）项", "[U] 露天转地下开采的其余情形，全文未取得")
_U_UG_OTHER = cite("矿安〔2022〕88号", "地下矿山", "[U] 全文未取得（DOMAIN §3 Not found）；以标准原文为准")

_METAL_UG_CATEGORIES = (
    _category(
        "metal-ug-2022.1",
        "安全出口存在下列情形之一",
        _UG_EXITS,
        (
            "矿井直通地面的独立安全出口少于2个，或者与设计不一致",
            "只有2个独立直通地面的安全出口且安全出口的间距小于30m，或者矿体一翼走向长度超过1000m"
            "且未在此翼设置安全出口",
            "矿井的全部安全出口均为竖井且竖井内均未设置梯子间，或者作为主要安全出口的罐笼提升井只有1套提升系统"
            "且未设置梯子间",
            "主要生产中段（水平）、单个采场（采区、盘区或者矿块）的安全出口少于2个，或者未与通往地面的安全出口相通",
            "安全出口出现堵塞或者其梯子、踏步等设施不能正常使用，导致安全出口不畅通",
        ),
    ),
    _category(
        "metal-ug-2022.2",
        "使用国家明令禁止使用的设备、材料或者工艺",
        _UG_BANNED,
        ("使用国家明令禁止使用的设备、材料或者工艺",),
    ),
    _category(
        "metal-ug-2022.3",
        "井巷贯通",
        _UG_CONNECTED,
        ("不同矿权主体的相邻矿山井巷相互贯通，或者同一矿权主体相邻独立生产系统的井巷擅自贯通",),
    ),
    _category(
        "metal-ug-2022.4",
        "地下矿山现状图纸存在下列情形之一",
        _UG_DRAWINGS,
        (
            "未保存《金属非金属矿山安全规程》（GB 16423-2020）第4.1.10条规定的图纸，或者生产矿山每3个月、"
            "基建矿山每1个月未更新上述图纸",
            "岩体移动范围内的地面建（构）筑物、运输道路及沟谷河流与实际不符",
            "开拓工程和采准工程的井巷或者井下采场与实际不符",
            "相邻矿山采区位置关系与实际不符",
            "采空区和废弃井巷的位置、处理方式、现状，以及地表塌陷区的位置与实际不符",
        ),
    ),
    _category(
        "metal-ug-2022.5",
        "露天转地下开采存在下列情形之一",
        _UG_CONVERSION,
        (
            "未按设计采取防排水措施",
            "露天与地下联合开采时，回采顺序与设计不符",
            "未按设计留设或者形成安全矿柱（境界矿柱）或者岩石垫层",
            ("其他情形（以标准原文为准）", _U_UG_CONVERSION),
        ),
    ),
    _category(
        "metal-ug-2022.water",
        "防治水",
        _UG_FRAGMENTS,
        (
            "井口标高未达到当地历史最高洪水位1m以上，且未按设计采取相应防护措施",
            "受地表水倒灌威胁的矿井在强降雨天气或者其来水上游发生洪水期间，未实施停产撤人",
            "主要排水泵房通往中段巷道的出口未装设防水门，或者另一出口未高于水泵房地面7m以上",
            "水仓与水泵房之间的隔墙或者配水阀未按设计设置",
            "利用采空区或者其他废弃巷道作为水仓",
            "未设置专门防治水机构，或者未配备探放水作业队伍",
            "未进行超前探放水，或者超前钻孔的数量、深度、方位低于设计要求",
        ),
    ),
    _category(
        "metal-ug-2022.hoist",
        "提升系统",
        _UG_FRAGMENTS,
        (
            "提升人员时一次提升超过25人，或者超过罐笼（乘人设施）额定载荷",
            "罐笼提升井的井口、马头门安全门或者摇台未与提升机闭锁",
        ),
    ),
    _category("metal-ug-2022.ground", "地压防治", _UG_FRAGMENTS, ("未设置专门机构或者配备专门人员负责地压防治工作",)),
    _category("metal-ug-2022.ventilation", "通风", _UG_FRAGMENTS, ("未建立机械通风系统，或者机械通风系统不完善",)),
    _category(
        "metal-ug-2022.ppe",
        "便携式气体检测报警仪和自救器",
        _UG_FRAGMENTS,
        ("未配齐或者未随身携带具有矿用产品安全标志的便携式气体检测报警仪和自救器，或者从业人员不能正确使用自救器",),
    ),
    _category(
        "metal-ug-2022.monitoring",
        "安全监测监控系统",
        _UG_FRAGMENTS,
        (
            "安全监测监控系统不能正常运行且未及时修复",
            "关闭、破坏安全监测监控系统，或者隐瞒、篡改、销毁其相关数据、信息",
        ),
    ),
    _category("metal-ug-2022.other", OTHER_UNVERIFIED_TEXT, _U_UG_OTHER, (OTHER_UNVERIFIED_TEXT,)),
)

METAL_UNDERGROUND_2022 = HazardStandard(
    code="metal-ug-2022",
    title="金属非金属矿山重大事故隐患判定标准（地下矿山）",
    document="矿安〔2022〕88号",
    version="2022",
    effective_from=date(2022, 9, 1),
    effective_to=None,
    sectors=frozenset({"metal_underground"}),
    categories=_METAL_UG_CATEGORIES,
)

# === metal/non-metal open pit: 矿安〔2022〕88号 =============================================

_OP = cite("DOMAIN", "§3.2", "矿安〔2022〕88号 露天矿山 [V] S15, S17；项号见类别编码")
_U_OP_SLIDE = cite("矿安〔2022〕88号", "露天矿山第（八）项", "[U] 原文在位移监测数据处截断（DOMAIN §3.2）")
_U_OP_NINE = cite("矿安〔2022〕88号", "露天矿山第（九）项", "[U] 该项文字未取得（DOMAIN §3.2）")
_U_OP_2017 = cite(
    "DOMAIN",
    "§3.2",
    "安监总管一〔2017〕98号 露天矿山条目 [V] S3；2022版是否保留 [U]",
)
_U_OP_OTHER = cite("矿安〔2022〕88号", "露天矿山", "[U] 全文未取得（DOMAIN §3 Not found）；以标准原文为准")

_METAL_OP_CATEGORIES = (
    _category(
        "metal-op-2022.1",
        "地下开采转露天开采前未探明或者处理采空区",
        _OP,
        ("地下开采转露天开采前，未探明采空区和溶洞，或者未按设计处理对露天开采安全有威胁的采空区和溶洞",),
    ),
    _category(
        "metal-op-2022.2",
        "使用国家明令禁止使用的设备、材料或者工艺",
        _OP,
        ("使用国家明令禁止使用的设备、材料或者工艺",),
    ),
    _category("metal-op-2022.3", "未采用自上而下的开采顺序", _OP, ("未采用自上而下的开采顺序分台阶或者分层开采",)),
    _category(
        "metal-op-2022.4",
        "工作帮坡角或者台阶高度超过设计",
        _OP,
        ("工作帮坡角大于设计工作帮坡角，或者最终边坡台阶高度超过设计高度",),
    ),
    _category(
        "metal-op-2022.5",
        "开采或者破坏设计要求保留的矿（岩）柱或者挂帮矿体",
        _OP,
        ("开采或者破坏设计要求保留的矿（岩）柱或者挂帮矿体",),
    ),
    _category(
        "metal-op-2022.6",
        "未进行边坡稳定性分析",
        _OP,
        ("未按国家标准或者行业标准对采场边坡、排土场边坡进行稳定性分析",),
    ),
    _category(
        "metal-op-2022.7",
        "边坡监测",
        _OP,
        (
            "高度200m及以上的采场边坡未进行在线监测",
            "高度200m及以上的排土场边坡未建立边坡稳定监测系统",
            "关闭、破坏监测系统，或者隐瞒、篡改、销毁其相关数据、信息",
        ),
    ),
    _category(
        "metal-op-2022.8",
        "边坡存在下列滑移现象之一",
        _OP,
        (
            "边坡出现横向及纵向放射状裂缝",
            "坡体前缘坡脚处出现上隆（凸起）现象，后缘的裂缝急剧扩展",
            ("位移观测资料显示的水平位移等数据异常（原文截断，以标准原文为准）", _U_OP_SLIDE),
        ),
    ),
    _category("metal-op-2022.9", "第（九）项（内容待核实）", _U_OP_NINE, (OTHER_UNVERIFIED_TEXT,)),
    _category(
        "metal-op-2022.10",
        "凹陷露天矿山未按设计建设防洪、排洪设施",
        _OP,
        ("凹陷露天矿山未按照设计建设防洪、排洪设施",),
    ),
    _category(
        "metal-op-2022.other",
        OTHER_UNVERIFIED_TEXT,
        _U_OP_OTHER,
        (
            ("上山道路坡度大于设计坡度10%以上（2017试行版条目，2022版是否保留待核实）", _U_OP_2017),
            ("雷雨天气实施爆破作业（2017试行版条目，2022版是否保留待核实）", _U_OP_2017),
            ("危险级排土场（2017试行版条目，2022版是否保留待核实）", _U_OP_2017),
            OTHER_UNVERIFIED_TEXT,
        ),
    ),
)

METAL_OPEN_PIT_2022 = HazardStandard(
    code="metal-op-2022",
    title="金属非金属矿山重大事故隐患判定标准（露天矿山）",
    document="矿安〔2022〕88号",
    version="2022",
    effective_from=date(2022, 9, 1),
    effective_to=None,
    sectors=frozenset({"metal_open_pit"}),
    categories=_METAL_OP_CATEGORIES,
)

# === tailings ponds: 矿安〔2022〕88号 (partial) + 2017 trial list ===========================

_TP_2022 = cite("DOMAIN", "§3.3", "矿安〔2022〕88号 尾矿库（部分条文）[V] S15；对应2017试行版第1、3、4项")
_TP_2017 = cite(
    "DOMAIN",
    "§3.3",
    "安监总管一〔2017〕98号（试行）尾矿库12项 [V] S3, S18；项号同2017版；2022版是否保留 [U]",
)
_U_TP_OTHER = cite("矿安〔2022〕88号", "尾矿库", "[U] 全文未取得（DOMAIN §3 Not found）；以标准原文为准")

_TAILINGS_2017_REST = {
    2: "坝体出现贯穿性横向裂缝，且出现较大范围管涌、流土变形，坝体出现深层滑动迹象",
    5: "尾矿堆积坝上升速率大于设计堆积上升速率",
    6: "未按法规、国家标准或者行业标准对坝体稳定性进行评估",
    7: "浸润线埋深小于控制浸润线埋深",
    8: "安全超高和干滩长度小于设计规定",
    9: "排洪系统构筑物严重堵塞或者坍塌，导致排水能力急剧下降",
    10: "设计以外的尾矿、废料或者废水进库",
    11: "多种矿石性质不同的尾砂混合排放时，未按设计要求进行排放",
    12: "冬季未按照设计要求采用冰下放矿作业",
}

_TAILINGS_CATEGORIES = (
    _category(
        "tailings-2022.1",
        "库区或者尾矿坝上未按设计进行开采、挖掘、爆破等活动",
        _TP_2022,
        ("库区或者尾矿坝上存在未按设计进行开采、挖掘、爆破等危及尾矿库安全的活动",),
    ),
    _category(
        "tailings-2022.2",
        "坝体外坡比陡于设计坡比",
        _TP_2022,
        ("坝体（尾矿坝或者堆积子坝）平均外坡比陡于设计坡比",),
    ),
    _category(
        "tailings-2022.3",
        "超设计坝高或者超设计库容",
        _TP_2022,
        ("坝体高度超过设计总坝高，或者尾矿库超过设计库容贮存尾矿",),
    ),
    HazardCategory(
        "tailings-2022.t2017",
        "2017试行版其他条目（2022版是否保留待核实）",
        tuple(HazardItem(f"tailings-2022.t2017.{n}", text, _TP_2017) for n, text in _TAILINGS_2017_REST.items()),
        _TP_2017,
    ),
    _category("tailings-2022.other", OTHER_UNVERIFIED_TEXT, _U_TP_OTHER, (OTHER_UNVERIFIED_TEXT,)),
)

TAILINGS_2022 = HazardStandard(
    code="tailings-2022",
    title="金属非金属矿山重大事故隐患判定标准（尾矿库）",
    document="矿安〔2022〕88号",
    version="2022",
    effective_from=date(2022, 9, 1),
    effective_to=None,
    sectors=frozenset({"tailings"}),
    categories=_TAILINGS_CATEGORIES,
)

# === registry ===========================================================================

ALL_STANDARDS: tuple[HazardStandard, ...] = (
    COAL_2020,
    COAL_2024,
    METAL_UNDERGROUND_2022,
    METAL_OPEN_PIT_2022,
    TAILINGS_2022,
)

for _standard in ALL_STANDARDS:
    for _category_ in _standard.categories:
        CATEGORY_FAMILIES.setdefault(_category_.code, _category_.code)

_ITEMS: dict[str, tuple[HazardStandard, HazardCategory, HazardItem]] = {}
_CATEGORIES: dict[str, tuple[HazardStandard, HazardCategory]] = {}
for _standard in ALL_STANDARDS:
    for _category_ in _standard.categories:
        if _category_.code in _CATEGORIES:  # pragma: no cover - guarded by tests
            raise ValueError(f"duplicate hazard category code {_category_.code!r}")
        _CATEGORIES[_category_.code] = (_standard, _category_)
        for _item in _category_.items:
            if _item.code in _ITEMS:  # pragma: no cover - guarded by tests
                raise ValueError(f"duplicate hazard item code {_item.code!r}")
            _ITEMS[_item.code] = (_standard, _category_, _item)
del _standard, _category_, _item


def standard_for(sector: str, on: date) -> HazardStandard:
    """The determination standard in force for ``sector`` on ``on`` (DOMAIN §0 alert 0.5, §2, §3).

    Coal: 应急管理部令第4号 2021-01-01..2024-04-30, then 煤矿安全生产条例 Art. 36 from 2024-05-01;
    metal/non-metal and tailings: 矿安〔2022〕88号 from 2022-09-01. Raises LookupError when no
    version is in force (an unknown sector, or a date before the first version held).
    """
    matches = [s for s in ALL_STANDARDS if sector in s.sectors and s.in_force(on)]
    if not matches:
        raise LookupError(f"no major-hazard standard for sector {sector!r} on {on.isoformat()}")
    if len(matches) > 1:  # pragma: no cover - guarded by tests
        raise LookupError(f"overlapping standards for {sector!r} on {on.isoformat()}: {[s.code for s in matches]}")
    return matches[0]


def categories_for(sector: str, on: date) -> tuple[HazardCategory, ...]:
    """Categories of :func:`standard_for` (DOMAIN §2, §3); raises LookupError like it."""
    return standard_for(sector, on).categories


def find_item(code: str) -> tuple[HazardStandard, HazardCategory, HazardItem]:
    """Look up an item by code, e.g. ``"coal-2020.8.9"`` (DOMAIN §2.1); raises KeyError if unknown."""
    try:
        return _ITEMS[code]
    except KeyError:
        raise KeyError(f"unknown major-hazard item {code!r}") from None


def find_category(code: str) -> tuple[HazardStandard, HazardCategory]:
    """Look up a category by code, e.g. ``"coal-2024.11"`` (DOMAIN §2.2); raises KeyError if unknown."""
    try:
        return _CATEGORIES[code]
    except KeyError:
        raise KeyError(f"unknown major-hazard category {code!r}") from None


def category_family(code: str) -> str:
    """Key shared by the same category across standard versions (DOMAIN §2.2 mapping).

    ``coal-2024.5`` (条例 Art. 36(5) 通风) and ``coal-2020.8`` (2020 Art. 8 通风) share the family
    ``"coal-2020.8"``; the new 2024 categories (11) and (12) are their own family. Unknown codes
    are their own family, so callers may use free-form category codes.
    """
    return CATEGORY_FAMILIES.get(code, code)
