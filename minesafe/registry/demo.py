"""Demo jurisdiction: 辽宁省 with ~300 mines, ~80 enterprises and one login per role.

``manage.py demo`` calls :func:`build_demo`; ``manage.py demo_logins`` prints :data:`DEMO_USERS`.

Every registry write goes through ``registry.services`` (``create_enterprise``, ``create_mine``,
``change_mine_status``) with the province leader as actor, so the audit chain records the whole
build. Organisations, users and the enterprise ↔ organisation link have no service yet; they are
saved directly, each with one audit entry (actor "system"). The build runs in one transaction and
is deterministic for a given seed and "today" (licence and status dates are relative to today).

Enterprise and group names are invented (plausible, not real companies); county codes, town names
and the regional mix of sectors follow Liaoning's actual mining districts.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from minesafe.accounts.choices import OrgKind, Role
from minesafe.accounts.models import Division, Organisation, User
from minesafe.core import audit
from minesafe.registry.models import Enterprise, Mine, MineStatusChange
from minesafe.registry.services import change_mine_status, create_enterprise, create_mine
from minesafe.rules import (
    USCC_ALPHABET,
    check_password_policy,
    licence_state,
    make_uscc,
    org_code_check_char,
    tailings_grade,
)

__all__ = [
    "CITY_CODE",
    "CITY_ORG",
    "COUNTY_CODE",
    "COUNTY_ORG",
    "DEMO_DISPLAY_NAMES",
    "DEMO_ENTERPRISE",
    "DEMO_GROUP",
    "DEMO_PASSWORD",
    "DEMO_URL",
    "DEMO_USERS",
    "OTHER_COUNTY_CODE",
    "OTHER_COUNTY_ORG",
    "PLATFORM_ORG",
    "PROVINCE_CODE",
    "PROVINCE_ORG",
    "build_demo",
    "demo_blocker",
]

# Published on purpose: printed by ``manage.py demo_logins`` for the local demo.
DEMO_PASSWORD = "Minesafe@2024"  # noqa: S105
DEMO_URL = "http://127.0.0.1:8000/"

PROVINCE_CODE = "21"  # 辽宁省
CITY_CODE = "2103"  # 鞍山市
COUNTY_CODE = "210323"  # 岫岩满族自治县
OTHER_COUNTY_CODE = "210921"  # 阜新蒙古族自治县 (the cross-scope neighbour)

PROVINCE_ORG = "辽宁省应急管理厅"
CITY_ORG = "鞍山市应急管理局"
COUNTY_ORG = "岫岩满族自治县应急管理局"
OTHER_COUNTY_ORG = "阜新蒙古族自治县应急管理局"
PLATFORM_ORG = "矿安治本监管平台运维中心"
DEMO_GROUP = "辽宁岫鑫矿业集团有限公司"
DEMO_ENTERPRISE = "岫岩满族自治县鑫岫镁业有限公司"

# (username, role, organisation name) — one login for every role at every level.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("province_leader", Role.REG_LEADER.value, PROVINCE_ORG),
    ("province_inspector", Role.REG_INSPECTOR.value, PROVINCE_ORG),
    ("city_leader", Role.REG_LEADER.value, CITY_ORG),
    ("city_inspector", Role.REG_INSPECTOR.value, CITY_ORG),
    ("county_leader", Role.REG_LEADER.value, COUNTY_ORG),
    ("county_inspector", Role.REG_INSPECTOR.value, COUNTY_ORG),
    ("other_county_inspector", Role.REG_INSPECTOR.value, OTHER_COUNTY_ORG),
    ("ent_principal", Role.ENT_PRINCIPAL.value, DEMO_ENTERPRISE),
    ("ent_safety", Role.ENT_SAFETY.value, DEMO_ENTERPRISE),
    ("sys_admin", Role.SYS_ADMIN.value, PLATFORM_ORG),
    ("sec_admin", Role.SEC_ADMIN.value, PLATFORM_ORG),
    ("audit_admin", Role.AUDIT_ADMIN.value, PLATFORM_ORG),
]
DEMO_DISPLAY_NAMES: dict[str, str] = {
    "province_leader": "省厅分管领导 王建国",
    "province_inspector": "省厅检查员 张伟",
    "city_leader": "市局领导 刘志强",
    "city_inspector": "市局检查员 李娜",
    "county_leader": "县局领导 关振东",
    "county_inspector": "县局检查员 佟丽",
    "other_county_inspector": "阜新县局检查员 包海龙",
    "ent_principal": "企业主要负责人 孙立新",
    "ent_safety": "企业安全管理人员 赵敏",
    "sys_admin": "系统管理员 陈晨",
    "sec_admin": "安全管理员 周洁",
    "audit_admin": "审计管理员 吴昊",
}
_ACTOR_USERNAME = "province_leader"

# County-level regulators besides 岫岩 and 阜新县 (every city gets one too).
_EXTRA_COUNTY_REGULATORS = (
    "210381", "210882", "210311", "211005", "210521", "210624", "210682", "210423", "211281", "211381",
    "211321", "211322", "211404",
)

COAL, UNDERGROUND, OPEN_PIT, TAILINGS = "coal", "metal_underground", "metal_open_pit", "tailings"
_ALL = frozenset({COAL, UNDERGROUND, OPEN_PIT, TAILINGS})
_NON_COAL = frozenset({UNDERGROUND, OPEN_PIT, TAILINGS})
_SECTOR_KEYS = {"C": COAL, "U": UNDERGROUND, "P": OPEN_PIT, "T": TAILINGS}
_COAL_MINE = "煤矿"

# --- geography -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _County:
    """A mining county: rough centre, half-width of its mining area (degrees), sector mix at ~340
    mines, minerals per sector (repeats weight the draw), real towns, optional coal gas weights."""

    code: str
    lat: float
    lon: float
    spread: float
    mix: str
    ug: tuple[str, ...] = ()
    pit: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    gas: tuple[int, int, int] = (6, 3, 1)  # low / high / outburst

    def weights(self) -> dict[str, int]:
        return {_SECTOR_KEYS[part[0]]: int(part[1:]) for part in self.mix.split()}

    def minerals(self, sector: str) -> tuple[str, ...]:
        if sector == COAL:
            return (_COAL_MINE,)
        return {UNDERGROUND: self.ug, OPEN_PIT: self.pit, TAILINGS: self.tail}[sector] or ("铁矿",)


_LS = "建筑石料用灰岩矿"
_CEM = "水泥用灰岩矿"
_GRANITE = "饰面用花岗岩矿"

_COUNTIES: tuple[_County, ...] = (
    # 鞍山: 岫岩 magnesite, talc and 岫玉; 海城 magnesite and talc; 千山 iron.
    _County("210323", 40.29, 123.28, 0.22, "U13 P28 T8",
            ug=("菱镁矿", "菱镁矿", "滑石矿", "玉石矿", "铁矿"),
            pit=("菱镁矿", "菱镁矿", "菱镁矿", "滑石矿", "玉石矿", "饰面用大理岩矿", _LS),
            tail=("铁矿", "铁矿", "铅锌矿", "金矿"),
            towns=("岫岩镇", "偏岭镇", "哈达碑镇", "三家子镇", "石庙子镇", "黄花甸镇", "大营子镇", "兴隆镇",
                   "苏子沟镇", "杨家堡镇", "洋河镇", "前营镇", "龙潭镇", "朝阳镇", "新甸镇", "雅河乡",
                   "大房身乡", "药山镇", "牧牛镇", "哨子河乡")),
    _County("210381", 40.80, 122.92, 0.12, "U6 P14 T3",
            ug=("菱镁矿", "菱镁矿", "菱镁矿", "滑石矿"), pit=("菱镁矿", "菱镁矿", "菱镁矿", "滑石矿", _LS),
            tail=("菱镁矿", "铁矿"),
            towns=("牌楼镇", "八里镇", "马风镇", "析木镇", "孤山镇", "接文镇", "岔沟镇", "英落镇", "王石镇")),
    _County("210311", 41.03, 123.07, 0.06, "U2 P5 T5", ug=("铁矿",), pit=("铁矿", "铁矿", "铁矿", _CEM),
            tail=("铁矿",), towns=("大孤山镇", "东鞍山镇", "宁远镇", "齐大山镇")),
    # 营口: 大石桥 magnesite, 盖州 talc and boron.
    _County("210882", 40.63, 122.58, 0.10, "U5 P9 T2", ug=("菱镁矿",), pit=("菱镁矿", "菱镁矿", "滑石矿"),
            tail=("菱镁矿",), towns=("官屯镇", "虎庄镇", "黄土岭镇", "周家镇", "汤池镇", "博洛铺镇", "建一镇")),
    _County("210881", 40.40, 122.45, 0.12, "U2 P4 T1", ug=("滑石矿", "硼矿"),
            pit=("滑石矿", "硼矿", _GRANITE, _LS), tail=("硼矿",),
            towns=("双台子镇", "卧龙泉镇", "杨运镇", "梁屯镇", "什字街镇")),
    # 辽阳: 弓长岭 iron, 辽阳县 iron and limestone, 灯塔 coal.
    _County("211005", 41.15, 123.45, 0.05, "U3 P3 T3", ug=("铁矿",), pit=("铁矿",), tail=("铁矿",),
            towns=("汤河镇", "安平乡", "弓长岭街道")),
    _County("211021", 41.05, 123.35, 0.12, "U2 P5 T3", ug=("铁矿",), pit=("铁矿", _CEM, _LS),
            tail=("铁矿",), towns=("首山镇", "刘二堡镇", "甜水乡", "吉洞峪乡", "下达河乡", "寒岭镇")),
    _County("211081", 41.43, 123.34, 0.07, "C3 P1", pit=(_LS,), gas=(3, 4, 2),
            towns=("西马峰镇", "铧子镇", "柳河子镇", "张台子镇", "沈旦堡镇")),
    # 本溪: 南芬 and 本溪县 iron, 溪湖 coal, 桓仁 lead-zinc and gold.
    _County("210505", 41.10, 123.75, 0.05, "U1 P3 T3", ug=("铁矿",), pit=("铁矿",), tail=("铁矿",),
            towns=("思山岭街道", "下马塘街道", "郭家街道")),
    _County("210521", 41.30, 124.12, 0.18, "C2 U6 P5 T4", ug=("铁矿", "铁矿", "铅锌矿"),
            pit=("铁矿", _CEM, "硅石矿"), tail=("铁矿",),
            towns=("小市镇", "草河口镇", "连山关镇", "田师付镇", "南甸镇", "碱厂镇", "高官镇", "东营坊乡")),
    _County("210503", 41.35, 123.75, 0.04, "C3", towns=("彩屯街道", "石桥子街道", "火连寨街道")),
    _County("210522", 41.27, 125.36, 0.18, "U4 P2 T2", ug=("铅锌矿", "金矿"), pit=(_LS, "硅石矿"),
            tail=("铅锌矿",),
            towns=("桓仁镇", "二棚甸子镇", "沙尖子镇", "五里甸子镇", "华来镇", "八里甸子镇", "黑沟乡")),
    # 丹东: 宽甸 boron, 凤城 (青城子) lead-zinc, gold and silver.
    _County("210624", 40.73, 124.78, 0.20, "U4 P4 T2", ug=("硼矿", "金矿", "钼矿"),
            pit=("硼矿", _LS, _GRANITE), tail=("硼矿", "金矿"),
            towns=("宽甸镇", "灌水镇", "硼海镇", "红石镇", "毛甸子镇", "长甸镇", "永甸镇", "太平哨镇",
                   "青山沟镇", "牛毛坞镇", "杨木川镇", "振江镇")),
    _County("210682", 40.45, 124.07, 0.16, "U6 P3 T3", ug=("铅锌矿", "金矿", "银矿"), pit=(_LS, _GRANITE),
            tail=("铅锌矿", "金矿"),
            towns=("青城子镇", "通远堡镇", "鸡冠山镇", "刘家河镇", "赛马镇", "弟兄山镇", "爱阳镇", "石城镇")),
    _County("210604", 40.17, 124.38, 0.06, "U1 P2", ug=("金矿",), pit=(_LS, _GRANITE),
            towns=("五龙背镇", "汤山城镇", "同兴镇", "九连城镇", "楼房镇")),
    # 抚顺: coal and oil shale in 东洲, metal ores in 抚顺县, 清原 (红透山 copper-zinc) and 新宾.
    _County("210403", 41.86, 124.05, 0.05, "C3 P1", pit=("油页岩矿",), gas=(1, 4, 3),
            towns=("搭连街道", "碾盘乡", "兰山乡", "章党镇")),
    _County("210421", 41.75, 124.15, 0.12, "U2 P3", ug=("铁矿",), pit=("铁矿", _LS),
            towns=("石文镇", "后安镇", "救兵镇", "马圈子乡", "汤图满族乡")),
    _County("210423", 42.10, 124.92, 0.18, "U3 P2 T2", ug=("铜矿", "铁矿", "金矿"), pit=("铁矿",),
            tail=("铜矿", "铁矿"), towns=("红透山镇", "清原镇", "南口前镇", "草市镇", "湾甸子镇", "英额门镇")),
    _County("210422", 41.73, 125.04, 0.18, "U2 P2 T1", ug=("金矿", "铁矿"), pit=("铁矿", _LS),
            tail=("金矿",), towns=("新宾镇", "永陵镇", "旺清门镇", "平顶山镇", "木奇镇", "红升乡")),
    # 铁岭 and 沈阳 coalfields.
    _County("211281", 42.47, 123.55, 0.05, "C6", gas=(5, 4, 1), towns=("大明镇", "晓南镇", "晓明镇", "小青镇")),
    _County("211221", 42.22, 123.73, 0.08, "C2 P2", pit=(_LS, _GRANITE),
            towns=("阿吉镇", "新台子镇", "镇西堡镇", "腰堡镇")),
    _County("211282", 42.55, 124.04, 0.14, "U1 P3", ug=("金矿",), pit=(_LS, _GRANITE, "萤石矿"),
            towns=("八棵树镇", "中固镇", "庆云堡镇", "威远堡镇", "松山堡乡", "靠山镇")),
    _County("210123", 42.74, 123.35, 0.08, "C2", towns=("张强镇", "方家屯镇", "郝官屯镇", "小城子镇")),
    _County("210124", 42.50, 123.41, 0.08, "C2 P2", pit=("萤石矿", _LS),
            towns=("大孤家子镇", "三面船镇", "秀水河子镇", "叶茂台镇", "五台子乡")),
    _County("210111", 41.66, 123.34, 0.05, "C2", gas=(1, 4, 3), towns=("林盛街道", "红菱街道", "八一街道")),
    _County("210113", 42.05, 123.52, 0.05, "C2", gas=(3, 4, 1), towns=("蒲河街道", "清水台街道", "马刚街道")),
    # 阜新 coalfield; 阜新县 also fluorite, bentonite, zeolite and gold.
    _County("210902", 42.02, 121.65, 0.03, "C2", towns=("平安街道", "东梁街道", "五龙街道")),
    _County("210904", 41.99, 121.68, 0.03, "C3", towns=("高德街道", "城南街道", "孙家湾街道")),
    _County("210903", 42.09, 121.79, 0.03, "C2 P1", pit=(_LS,), towns=("长营子镇", "新邱街道")),
    _County("210905", 41.78, 121.42, 0.03, "C2", towns=("河西镇", "乌龙坝镇", "清河街道")),
    _County("210921", 42.15, 121.70, 0.22, "C4 U2 P4 T1", ug=("金矿", "萤石矿"),
            pit=("萤石矿", "膨润土矿", "沸石矿", _LS), tail=("金矿",),
            towns=("王府镇", "建设镇", "大巴镇", "泡子镇", "十家子镇", "伊吗图镇", "旧庙镇", "佛寺镇",
                   "紫都台镇", "沙拉镇")),
    _County("210922", 42.39, 122.54, 0.18, "C2 P2", pit=(_LS, "膨润土矿"),
            towns=("大四家子镇", "哈尔套镇", "五峰镇", "兴隆山镇", "四合城镇")),
    # 朝阳: 北票 coal and gold; many small iron mines and tailings ponds elsewhere.
    _County("211381", 41.80, 120.77, 0.18, "C4 U2 P4 T3", ug=("金矿", "铁矿"), pit=("铁矿", "膨润土矿", _LS),
            tail=("铁矿", "金矿"), gas=(3, 4, 3),
            towns=("台吉镇", "冠山街道", "三宝街道", "宝国老镇", "北塔镇", "大板镇", "黑城子镇")),
    _County("211321", 41.50, 120.40, 0.22, "U3 P6 T5", ug=("铁矿", "金矿"), pit=("铁矿",), tail=("铁矿",),
            towns=("羊山镇", "六家子镇", "古山子镇", "木头城子镇", "波罗赤镇", "大平房镇", "瓦房子镇")),
    _County("211322", 41.40, 119.64, 0.22, "U2 P5 T3", ug=("铁矿", "钼矿", "金矿"), pit=("铁矿",),
            tail=("铁矿", "钼矿"),
            towns=("深井镇", "朱碌科镇", "黑水镇", "奎德素镇", "沙海镇", "哈拉道口镇", "万寿街道")),
    _County("211382", 41.24, 119.40, 0.18, "U2 P4 T3", ug=("铁矿", "金矿"), pit=("铁矿",), tail=("铁矿",),
            towns=("刀尔登镇", "三十家子镇", "四合当镇", "宋杖子镇", "沟门子镇")),
    _County("211324", 41.13, 119.74, 0.14, "U1 P3 T2", ug=("铁矿",), pit=("铁矿", "萤石矿"), tail=("铁矿",),
            towns=("南公营子镇", "公营子镇", "甘招镇", "老爷庙镇", "六官营子镇")),
    # 葫芦岛: 南票 coal, 杨家杖子 molybdenum, 建昌 (八家子) lead-zinc.
    _County("211404", 41.10, 120.75, 0.07, "C3 P1", pit=(_LS,),
            towns=("沙锅屯乡", "暖池塘镇", "虹螺岘镇", "缸窑岭镇", "黄土坎乡")),
    _County("211402", 40.77, 120.87, 0.06, "U1 P1 T2", ug=("钼矿",), pit=("钼矿",), tail=("钼矿",),
            towns=("杨家杖子街道", "钢屯镇", "寺儿堡镇", "塔山乡", "山神庙子乡")),
    _County("211422", 40.82, 119.84, 0.18, "U2 P4 T2", ug=("铅锌矿", "金矿"), pit=("铁矿", _LS),
            tail=("铅锌矿", "铁矿"),
            towns=("八家子镇", "汤神庙镇", "碱厂乡", "要路沟乡", "喇嘛洞镇", "玲珑塔镇", "谷杖子乡")),
    _County("211421", 40.33, 120.34, 0.12, "P2", pit=(_GRANITE, _LS),
            towns=("高岭镇", "西甸子镇", "沙河镇", "王宝镇", "宽邦镇")),
    # 锦州 bentonite and zeolite; 大连 limestone, gold and granite.
    _County("210727", 41.53, 121.24, 0.12, "P4", pit=("膨润土矿", "沸石矿", _LS),
            towns=("七里河镇", "九道岭镇", "头道河镇", "张家堡镇", "大榆树堡镇")),
    _County("210782", 41.60, 121.80, 0.08, "P2", pit=(_LS, _GRANITE), towns=("正安镇", "闾阳镇", "常兴店镇")),
    _County("210281", 39.63, 122.00, 0.12, "U1 P2", ug=("金矿",), pit=(_LS, _CEM),
            towns=("复州城镇", "老虎屯镇", "得利寺镇", "许屯镇", "松树镇")),
    _County("210211", 38.95, 121.52, 0.04, "P2", pit=(_CEM,), towns=("营城子街道", "大连湾街道", "泉水街道")),
    _County("210283", 39.68, 122.97, 0.15, "U1 P2", ug=("金矿",), pit=(_GRANITE, _LS),
            towns=("塔岭镇", "仙人洞镇", "桂云花满族乡", "太平岭满族乡", "步云山乡")),
)
_COUNTY_BY_CODE = {c.code: c for c in _COUNTIES}

_CITY_ABBR = {
    "2101": "沈", "2102": "大", "2103": "鞍", "2104": "抚", "2105": "本", "2106": "丹", "2107": "锦",
    "2108": "营", "2109": "阜", "2110": "辽", "2111": "盘", "2112": "铁", "2113": "朝", "2114": "葫",
}
_AREA_CODES = {
    "2101": "024", "2102": "0411", "2103": "0412", "2104": "024", "2105": "024", "2106": "0415",
    "2107": "0416", "2108": "0417", "2109": "0418", "2110": "0419", "2111": "0427", "2112": "024",
    "2113": "0421", "2114": "0429",
}
_COUNTY_SHORT = {"211324": "喀左", "210727": "义县", "210921": "阜新县", "210521": "本溪县", "210421": "抚顺县"}

# --- enterprises -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """A group company (parent) registered in ``county``, with subsidiaries in its territory."""

    name: str
    county: str
    sub_prefix: str  # subsidiaries are named "{sub_prefix}{place}{industry}有限公司"
    mine_prefix: str  # their mines "{mine_prefix}{place}{mineral}"
    controller: str  # actual controller; "" = a person
    territory: tuple[tuple[str, frozenset[str]], ...]  # (division code prefix, sectors)
    share: float  # chance that a mine in the territory belongs to the group
    per_sub: tuple[int, ...]  # mines per subsidiary
    big: bool = False  # large state-owned operations (bigger, deeper mines)


_GROUPS: tuple[_Group, ...] = (
    _Group("辽宁阜兴煤业集团有限责任公司", "210902", "阜新阜兴", "阜兴煤业", "阜新市人民政府国有资产监督管理委员会",
           (("2109", frozenset({COAL})),), 1.0, (2, 3, 4), big=True),
    _Group("辽宁铁煤能源集团有限责任公司", "211281", "辽宁铁煤", "铁煤能源", "辽宁省人民政府国有资产监督管理委员会",
           (("211281", frozenset({COAL})), ("211221", frozenset({COAL})), ("210123", frozenset({COAL})),
            ("210124", frozenset({COAL}))), 1.0, (2, 3, 4), big=True),
    _Group("沈阳红煤能源集团有限公司", "210111", "沈阳红煤", "红煤能源", "沈阳市人民政府国有资产监督管理委员会",
           (("210111", frozenset({COAL})), ("210113", frozenset({COAL})), ("211081", frozenset({COAL}))),
           1.0, (2, 3), big=True),
    _Group("抚顺东煤矿业集团有限公司", "210403", "抚顺东煤", "东煤矿业", "抚顺市人民政府国有资产监督管理委员会",
           (("210403", _ALL),), 1.0, (2, 3), big=True),
    _Group("鞍山钢联矿业集团有限公司", "210311", "鞍山钢联", "钢联矿业", "鞍山市人民政府国有资产监督管理委员会",
           (("210311", _ALL), ("211005", _ALL), ("211021", _NON_COAL)), 0.7, (4, 5, 6), big=True),
    _Group("本溪华钢矿业集团有限公司", "210505", "本溪华钢", "华钢矿业", "本溪市人民政府国有资产监督管理委员会",
           (("210505", _ALL), ("210521", _NON_COAL)), 0.6, (4, 5), big=True),
    _Group(DEMO_GROUP, COUNTY_CODE, "辽宁岫鑫", "岫鑫矿业", "",
           ((COUNTY_CODE, _NON_COAL), ("210381", _NON_COAL), ("210882", frozenset({UNDERGROUND, OPEN_PIT}))),
           0.3, (3, 4, 5)),
    _Group("朝阳金鼎矿业集团有限公司", "211321", "朝阳金鼎", "金鼎矿业", "",
           (("2113", _NON_COAL),), 0.4, (4, 5, 6)),
    _Group("丹东青峰有色金属集团有限公司", "210682", "丹东青峰", "青峰有色", "",
           (("210682", _NON_COAL), ("210624", _NON_COAL), ("210522", frozenset({UNDERGROUND, TAILINGS}))),
           0.5, (3, 4, 5)),
)
_DEMO_GROUP_INDEX = 6
_INDEPENDENT_SIZES = (2, 3, 3, 4, 4, 5, 5, 6, 7, 8)

_INDUSTRY = {
    _COAL_MINE: "煤业", "铁矿": "矿业", "菱镁矿": "镁业", "滑石矿": "滑石", "玉石矿": "玉石矿业",
    "铅锌矿": "有色矿业", "铜矿": "铜业", "银矿": "有色矿业", "金矿": "黄金矿业", "硼矿": "硼业",
    "钼矿": "钼业", "萤石矿": "萤石矿业", "膨润土矿": "膨润土", "沸石矿": "沸石", "硅石矿": "硅业",
    _CEM: "水泥建材", _LS: "建材", _GRANITE: "石材", "饰面用大理岩矿": "石材", "油页岩矿": "页岩油",
}
_BRAND_CHARS = "鑫源盛达华泰宏丰隆兴昌鼎恒瑞金益通安远正宇新旭祥福嘉和永裕汇聚晟弘发利凯顺天海"
_SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林于董宋曲姜韩邢关佟吕苏包白金崔冯蔡谭郑尹付鲁"
             "王李张刘")
_GIVEN_ONE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊旭宁龙林阳丽敏静艳娜芳红霞梅玲"
_GIVEN_TWO = (
    "建华", "建国", "志强", "国庆", "立新", "海涛", "德胜", "长春", "宝山", "振东", "玉龙", "文斌", "晓东",
    "春雷", "永刚", "秀英", "桂兰", "淑华", "凤山", "庆丰", "福贵", "洪亮", "继伟", "铁军", "宏伟", "东升",
    "春林", "雪梅", "晓光", "德明", "殿臣", "树林", "玉华", "成林", "金山", "国富", "红军", "连生",
)
_VILLAGES = (
    "东沟", "西沟", "南沟", "北沟", "大岭", "小岭", "石门", "黄土坎", "红石", "青石岭", "双岭", "杨木", "柳河",
    "马家店", "王家堡", "李家堡", "刘家沟", "张家沟", "孙家岭", "高家堡", "大营", "小营", "老爷岭", "龙王庙",
    "金厂", "银厂", "二道沟", "三道沟", "四道沟", "五道岭", "八家子", "砬子山", "黑石", "白石", "红旗",
    "前进", "胜利", "永安", "长岭", "三家", "大甸", "小甸", "南台", "北台", "东山", "西山", "后堡", "前堡",
)
_VALLEYS = (
    "风水沟", "黄沟", "大西沟", "小西沟", "羊草沟", "石门沟", "王家沟", "二道沟", "三道沟", "杨树沟", "柳树沟",
    "梨树沟", "榆树沟", "核桃沟", "黑石沟", "红土沟", "白家沟", "砬子沟", "大黑沟", "狼洞沟", "獾子沟", "鹰嘴沟",
    "后沟", "前沟", "东大沟", "西大沟", "蛤蟆沟", "葫芦峪", "蔡家峪", "干沟", "冰沟", "老鸹沟", "椴木沟",
)

# --- mine attributes -------------------------------------------------------------------------

# mineral -> (large from, medium from, capacity low, capacity high), 10,000 t/a; underground / open pit.
_UG_SIZES: dict[str, tuple[float, float, float, float]] = {
    "铁矿": (100, 30, 5, 300), "菱镁矿": (100, 30, 5, 80), "滑石矿": (10, 5, 1, 15), "玉石矿": (10, 5, 0.5, 3),
    "铅锌矿": (100, 30, 3, 120), "金矿": (15, 6, 1.5, 30), "铜矿": (100, 30, 5, 100), "银矿": (100, 30, 3, 40),
    "硼矿": (10, 5, 1, 15), "钼矿": (100, 30, 5, 150), "萤石矿": (10, 5, 1, 12),
}
_PIT_SIZES: dict[str, tuple[float, float, float, float]] = {
    "铁矿": (200, 60, 10, 1700), "菱镁矿": (100, 30, 10, 200), "滑石矿": (10, 5, 1, 20),
    "玉石矿": (10, 5, 0.3, 2), _CEM: (100, 50, 20, 400), _LS: (100, 50, 10, 200), "硅石矿": (20, 10, 2, 40),
    "膨润土矿": (10, 5, 1, 20), "沸石矿": (10, 5, 1, 15), "萤石矿": (10, 5, 1, 12), _GRANITE: (10, 5, 0.5, 8),
    "饰面用大理岩矿": (10, 5, 0.5, 8), "硼矿": (10, 5, 1, 15), "油页岩矿": (200, 60, 50, 800),
    "钼矿": (100, 30, 10, 300),
}
_COAL_SMALL = (15, 21, 30, 30, 45, 45, 60, 90)
_COAL_BIG = (60, 90, 120, 120, 150, 180, 240, 300, 400, 500)
_SULFIDE = frozenset({"铜矿", "铅锌矿", "银矿"})

_STATUS_WEIGHTS = {
    COAL: (("production", 64), ("construction", 5), ("rectification", 10), ("suspended", 11), ("closed", 10)),
    UNDERGROUND: (("production", 70), ("construction", 7), ("rectification", 9), ("suspended", 10),
                  ("closed", 4)),
    OPEN_PIT: (("production", 70), ("construction", 8), ("rectification", 8), ("suspended", 9), ("closed", 5)),
    TAILINGS: (("production", 76), ("construction", 5), ("rectification", 3), ("suspended", 10),
               ("closed", 6)),
}
# status -> (P(expired), P(expiring within 90 days)) for the safety licence; mining licence below.
_SAFETY_RISK = {"production": (0.04, 0.12), "rectification": (0.2, 0.15), "suspended": (0.45, 0.1),
                "closed": (0.9, 0.0), "construction": (0.0, 0.0)}
_MINING_RISK = {"production": (0.02, 0.06), "rectification": (0.05, 0.08), "suspended": (0.15, 0.08),
                "closed": (0.5, 0.0), "construction": (0.0, 0.1)}

_HALT_REASONS = {
    COAL: ("检查发现重大事故隐患：超能力、超强度组织生产", "检查发现重大事故隐患：安全监控系统不能正常运行",
           "检查发现重大事故隐患：瓦斯超限作业", "检查发现重大事故隐患：井下作业人员超过核定限员",
           "检查发现重大事故隐患：未按规定进行探放水"),
    UNDERGROUND: ("检查发现重大事故隐患：超层越界开采", "检查发现重大事故隐患：井下作业人员超过核定限员",
                  "检查发现重大事故隐患：安全出口不符合要求", "检查发现重大事故隐患：使用国家明令禁止的淘汰设备"),
    OPEN_PIT: ("检查发现重大事故隐患：未按设计要求分台阶开采", "检查发现重大事故隐患：边坡出现滑移迹象未采取措施",
               "检查发现重大事故隐患：超范围开采"),
    TAILINGS: ("检查发现重大事故隐患：坝体出现贯穿性裂缝", "检查发现重大事故隐患：浸润线埋深小于控制浸润线埋深",
               "检查发现重大事故隐患：安全超高和干滩长度不满足要求"),
}
_SUSPEND_REASONS = ("资源接近枯竭，企业申请长期停产", "市场原因，企业申请长期停产", "矿业权整合，停产待批",
                    "环保督察整改，企业申请长期停产")
_CLOSE_REASONS = {
    COAL: ("列入煤矿关闭退出计划，依法关闭", "资源枯竭，依法关闭"),
    TAILINGS: ("尾矿库闭库工程完成并通过验收", "列入尾矿库治理计划，依法闭库销号"),
}
_CLOSE_REASONS_DEFAULT = ("资源枯竭，依法关闭", "列入非煤矿山整合关闭计划，依法关闭", "无证照生产，依法提请关闭")


# --- helpers ---------------------------------------------------------------------------------


def demo_blocker() -> str:
    """Why the demo cannot be built into this database ("" = it can)."""
    mines = Mine.objects.count()
    if mines:
        return f"{mines} mines already exist"
    existing = list(User.objects.filter(username__in=[u for u, _r, _o in DEMO_USERS])
                    .order_by("username").values_list("username", flat=True)[:3])
    if existing:
        return f"demo users already exist ({', '.join(existing)})"
    return ""


def _dec(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")


def _strip_town(town: str) -> str:
    for suffix in ("满族乡", "蒙古族乡", "街道", "镇", "乡"):
        if town.endswith(suffix) and len(town) > len(suffix) + 1:
            return town[: -len(suffix)]
    return town


def _county_prefix(division: Division) -> str:
    """How an enterprise name starts: "海城市", "岫岩满族自治县", districts with their city."""
    if division.name.endswith("区") and division.parent is not None:
        return division.parent.name + division.name
    return division.name


def _county_short(division: Division) -> str:
    if division.code in _COUNTY_SHORT:
        return _COUNTY_SHORT[division.code]
    name = division.name
    for suffix in ("满族自治县", "蒙古族自治县", "自治县", "县", "市", "区"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass
class _EntSpec:
    county: str
    group: _Group | None
    town: str
    homes: dict[str, tuple[float, float]] = field(default_factory=dict)  # county -> where its mines cluster
    mines: list[_MineSpec] = field(default_factory=list)
    name: str = ""
    short: str = ""  # short form of the name, prefix of its tailings ponds' names
    is_demo: bool = False
    obj: Enterprise | None = None


@dataclass
class _MineSpec:
    county: str
    sector: str
    mineral: str
    enterprise: _EntSpec | None = None


class _Builder:
    def __init__(self, *, seed: int, mines: int, today: dt.date, stdout: Any) -> None:
        self.rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not security
        self.n_mines = mines
        self.today = today
        self.stdout = stdout
        self.divisions: dict[str, Division] = {}
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.used_names: set[str] = set()
        self.used_usccs: set[str] = set()
        self.status_changes = 0

    # -- output -------------------------------------------------------------------------------

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    # -- random helpers -----------------------------------------------------------------------

    def weighted(self, pairs: tuple[tuple[str, int], ...]) -> str:
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def person(self) -> str:
        rng = self.rng
        given = rng.choice(_GIVEN_TWO) if rng.random() < 0.6 else rng.choice(_GIVEN_ONE)
        return rng.choice(_SURNAMES) + given

    def phone(self, county: str) -> str:
        area = _AREA_CODES[county[:4]]
        digits = 8 if area == "024" else 7
        first = self.rng.choice("3456789")
        return f"{area}-{first}{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"

    def uscc(self, county: str, *, old_style: bool) -> str:
        while True:
            if old_style:
                body = "".join(self.rng.choice("0123456789") for _ in range(8))
            else:
                body = "MA" + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(6))
            code = make_uscc("9", "1", county, body + org_code_check_char(body))
            if code not in self.used_usccs:
                self.used_usccs.add(code)
                return code

    def unique(self, candidates: list[str]) -> str:
        for name in candidates:
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        base = candidates[-1]
        n = 2
        while f"{base}（{n}）" in self.used_names:
            n += 1
        name = f"{base}（{n}）"
        self.used_names.add(name)
        return name

    def location(self, ent: _EntSpec, county: _County) -> tuple[float, float]:
        """A point in the county's mining area, near the enterprise's other mines there.

        An enterprise's mines cluster within 30 % of the county's half-width around a home point
        drawn within 70 % of it, so every mine stays inside the county's box (1 degree of longitude is
        about 1/1.3 of a degree of latitude at these latitudes).
        """
        if county.code not in ent.homes:
            ent.homes[county.code] = (county.lat + self.rng.uniform(-0.7, 0.7) * county.spread,
                                      county.lon + self.rng.uniform(-0.7, 0.7) * county.spread * 1.3)
        lat, lon = ent.homes[county.code]
        radius = county.spread * 0.3
        return lat + self.rng.uniform(-radius, radius), lon + self.rng.uniform(-radius, radius) * 1.3

    # -- organisations and users --------------------------------------------------------------

    def load_divisions(self) -> None:
        self.divisions = {d.code: d for d in Division.objects.filter(code__startswith=PROVINCE_CODE)
                          .select_related("parent")}
        needed = {PROVINCE_CODE, CITY_CODE, *_COUNTY_BY_CODE, *_EXTRA_COUNTY_REGULATORS, OTHER_COUNTY_CODE}
        missing = sorted(needed - set(self.divisions))
        if missing:
            raise RuntimeError(f"administrative divisions missing ({', '.join(missing[:5])}); run migrate first")

    def organisation(self, kind: str, name: str, division: Division | None) -> Organisation:
        org = Organisation.objects.create(kind=kind, name=name, division=division)
        audit.record(actor=None, action="accounts.organisation.create", obj=org, after=audit.snapshot(org),
                     message="demo data")
        self.orgs[name] = org
        return org

    def create_organisations(self) -> None:
        self.organisation(OrgKind.REGULATOR, PROVINCE_ORG, self.divisions[PROVINCE_CODE])
        cities = sorted(code for code, d in self.divisions.items() if d.level == "city")
        for code in cities:
            self.organisation(OrgKind.REGULATOR, f"{self.divisions[code].name}应急管理局", self.divisions[code])
        for code in (COUNTY_CODE, OTHER_COUNTY_CODE, *_EXTRA_COUNTY_REGULATORS):
            self.organisation(OrgKind.REGULATOR, f"{self.divisions[code].name}应急管理局", self.divisions[code])
        self.organisation(OrgKind.PLATFORM, PLATFORM_ORG, None)

    def create_users(self, usernames: list[str]) -> None:
        for username, role, org_name in DEMO_USERS:
            if username not in usernames:
                continue
            verdict = check_password_policy(DEMO_PASSWORD, username=username)
            if not verdict.ok:
                raise RuntimeError(f"DEMO_PASSWORD fails the password policy for {username}")
            user = User.objects.create_user(
                username, password=DEMO_PASSWORD, organisation=self.orgs[org_name], role=role,
                display_name=DEMO_DISPLAY_NAMES[username],
            )
            audit.record(actor=None, action="accounts.user.create", obj=user, after=audit.snapshot(user),
                         message="demo data")
            self.users[username] = user

    # -- plan ---------------------------------------------------------------------------------

    def apportion(self) -> list[_MineSpec]:
        """Spread ``n_mines`` over (county, sector) by the table's weights (largest remainder)."""
        cells = [(c, sector, w) for c in _COUNTIES for sector, w in c.weights().items()]
        total = sum(w for _c, _s, w in cells)
        exact = [w * self.n_mines / total for _c, _s, w in cells]
        counts = [math.floor(x) for x in exact]
        order = sorted(range(len(cells)), key=lambda i: (-(exact[i] - counts[i]), i))
        for i in order[: self.n_mines - sum(counts)]:
            counts[i] += 1
        specs: list[_MineSpec] = []
        for (county, sector, _w), n in zip(cells, counts, strict=True):
            minerals = county.minerals(sector)
            specs.extend(_MineSpec(county.code, sector, self.rng.choice(minerals)) for _ in range(n))
        return specs

    def new_enterprise(self, county_code: str, group: _Group | None, mines: list[_MineSpec]) -> _EntSpec:
        county = _COUNTY_BY_CODE[county_code]
        ent = _EntSpec(county=county_code, group=group, town=self.rng.choice(county.towns))
        for mine in mines:
            mine.enterprise = ent
            ent.mines.append(mine)
        return ent

    def chunk(self, mines: list[_MineSpec], sizes: tuple[int, ...]) -> list[list[_MineSpec]]:
        mines = sorted(mines, key=lambda m: (m.county, m.mineral, m.sector))
        chunks: list[list[_MineSpec]] = []
        while mines:
            size = self.rng.choice(sizes)
            chunks.append(mines[:size])
            mines = mines[size:]
        return chunks

    def plan(self) -> list[_EntSpec]:
        specs = self.apportion()
        by_county: dict[str, list[_MineSpec]] = {}
        for spec in specs:
            by_county.setdefault(spec.county, []).append(spec)
        enterprises: list[_EntSpec] = []

        # The demo enterprise: several 岫岩 magnesite/talc mines and, in a full build, a tailings pond.
        xiuyan = by_county.get(COUNTY_CODE, [])
        k = max(2, round(len(xiuyan) * 0.14))
        preferred = [m for m in xiuyan if m.sector != TAILINGS and m.mineral in ("菱镁矿", "滑石矿")]
        preferred += [m for m in xiuyan if m.sector != TAILINGS and m not in preferred]
        demo_mines = preferred[:k]
        if len(xiuyan) >= 20:
            demo_mines += [m for m in xiuyan if m.sector == TAILINGS][:1]
        if demo_mines:
            demo = self.new_enterprise(COUNTY_CODE, _GROUPS[_DEMO_GROUP_INDEX], demo_mines)
            demo.is_demo = True
            enterprises.append(demo)

        # Group subsidiaries may run mines in several counties of their group's territory, other
        # enterprises in several counties of one city.
        group_pools: dict[int, list[_MineSpec]] = {}
        independent: dict[str, list[_MineSpec]] = {}
        for county in _COUNTIES:
            for mine in by_county.get(county.code, []):
                if mine.enterprise is not None:
                    continue
                owner = None
                for index, group in enumerate(_GROUPS):
                    if any(county.code.startswith(prefix) and mine.sector in sectors
                           for prefix, sectors in group.territory):
                        owner = index
                        break
                if owner is not None and self.rng.random() < _GROUPS[owner].share:
                    group_pools.setdefault(owner, []).append(mine)
                else:
                    independent.setdefault(county.code[:4], []).append(mine)
        pools = [(None, pool, _INDEPENDENT_SIZES) for _city, pool in sorted(independent.items())]
        pools += [(_GROUPS[i], pool, _GROUPS[i].per_sub) for i, pool in sorted(group_pools.items())]
        for group, pool, sizes in pools:
            for chunk in self.chunk(pool, sizes):
                registered = Counter(m.county for m in chunk).most_common(1)[0][0]
                enterprises.append(self.new_enterprise(registered, group, chunk))
        return enterprises

    # -- enterprises --------------------------------------------------------------------------

    def name_enterprise(self, ent: _EntSpec) -> None:
        division = self.divisions[ent.county]
        minerals = Counter(m.mineral for m in ent.mines)
        industry = _INDUSTRY[minerals.most_common(1)[0][0]]
        coal = industry == "煤业"
        if ent.is_demo:
            ent.name = self.unique([DEMO_ENTERPRISE])
            ent.short = "鑫岫镁业"
            return
        if ent.group is not None:
            place = _strip_town(ent.town)
            suffix = "有限责任公司" if coal else "有限公司"
            candidates = [f"{ent.group.sub_prefix}{place}{industry}{suffix}"]
            candidates += [f"{ent.group.sub_prefix}{place}{v}{industry}{suffix}"
                           for v in self.rng.sample(_VILLAGES, 8)]
            ent.name = self.unique(candidates)
            ent.short = ent.name.removesuffix(suffix)
            return
        prefix = _county_prefix(division)
        suffix = "有限责任公司" if self.rng.random() < 0.2 else "有限公司"
        candidates = []
        for _ in range(20):
            brand = "".join(self.rng.sample(_BRAND_CHARS, 2))
            candidates.append(f"{prefix}{brand}{industry}{suffix}")
        ent.name = self.unique(candidates)
        ent.short = _county_short(division) + ent.name.removeprefix(prefix).removesuffix(suffix)

    def create_enterprises(self, plan: list[_EntSpec]) -> tuple[dict[_Group, Enterprise], list[Enterprise]]:
        actor = self.users[_ACTOR_USERNAME]
        parents: dict[_Group, Enterprise] = {}
        for group in _GROUPS:
            if not any(ent.group is group for ent in plan):
                continue
            self.used_names.add(group.name)
            division = self.divisions[group.county]
            legal = self.person()
            parents[group] = create_enterprise(actor=actor, data={
                "name": group.name, "uscc": self.uscc(group.county, old_style=bool(group.controller)),
                "division": division, "parent": None,
                "actual_controller": group.controller or legal,
                "legal_representative": legal,
                "address": f"辽宁省{_county_prefix(division)}{self.rng.choice(_COUNTY_BY_CODE[group.county].towns)}",
                "phone": self.phone(group.county),
            })
        created: list[Enterprise] = []
        for ent in plan:
            self.name_enterprise(ent)
            division = self.divisions[ent.county]
            legal = self.person()
            if ent.group is not None:
                controller = ent.group.controller or parents[ent.group].actual_controller
            else:
                controller = legal if self.rng.random() < 0.5 else self.person()
            village = self.rng.choice(_VILLAGES)
            ent.obj = create_enterprise(actor=actor, data={
                "name": ent.name, "uscc": self.uscc(ent.county, old_style=self.rng.random() < 0.3),
                "division": division, "parent": parents[ent.group] if ent.group is not None else None,
                "actual_controller": controller, "legal_representative": legal,
                "address": f"辽宁省{_county_prefix(division)}{ent.town}{village}村",
                "phone": self.phone(ent.county),
            })
            created.append(ent.obj)
        return parents, created

    def link_demo_enterprise(self, plan: list[_EntSpec]) -> Enterprise | None:
        demo = next((ent.obj for ent in plan if ent.is_demo), None)
        if demo is None:
            return None
        org = self.organisation(OrgKind.ENTERPRISE, DEMO_ENTERPRISE, demo.division)
        demo.organisation = org
        demo.save(update_fields=["organisation", "updated_at"])
        audit.record(actor=None, action="registry.enterprise.link_organisation", obj=demo,
                     before={"organisation_id": None}, after={"organisation_id": org.pk}, message="demo data")
        return demo

    # -- mines --------------------------------------------------------------------------------

    def mine_name(self, mine: _MineSpec, town: str) -> str:
        ent = mine.enterprise
        assert ent is not None
        division = self.divisions[mine.county]
        villages = self.rng.sample(_VILLAGES, 12)
        prefix = ent.group.mine_prefix if ent.group is not None and not ent.is_demo else ent.short
        if mine.sector == TAILINGS:
            return self.unique([f"{prefix}{v}尾矿库" for v in self.rng.sample(_VALLEYS, 12)])
        if ent.group is not None:
            place = _strip_town(town)
            return self.unique([f"{prefix}{place}{mine.mineral}"]
                               + [f"{prefix}{place}{v}{mine.mineral}" for v in villages])
        prefix = _county_prefix(division)
        return self.unique([f"{prefix}{town}{mine.mineral}"] + [f"{prefix}{town}{v}{mine.mineral}" for v in villages])

    def capacity(self, mine: _MineSpec, big: bool) -> tuple[Decimal, str]:
        rng = self.rng
        if mine.sector == COAL:
            value = float(rng.choice(_COAL_BIG if big else _COAL_SMALL))
            scale = "large" if value >= 120 else "medium" if value >= 45 else "small"
            return _dec(value, 2), scale
        table = _UG_SIZES if mine.sector == UNDERGROUND else _PIT_SIZES
        large, medium, low, high = table.get(mine.mineral, (100, 30, 3, 60))
        if big and mine.mineral == "铁矿":
            low = max(low, medium * 0.8)
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
        if value < 10:
            value = max(0.5, round(value * 2) / 2)
        elif value < 100:
            value = float(round(value))
        else:
            value = float(round(value, -1))
        scale = "large" if value >= large else "medium" if value >= medium else "small"
        return _dec(value, 2), scale

    def licence_date(self, risk: tuple[float, float], valid_days: tuple[int, int]) -> dt.date:
        roll = self.rng.random()
        expired, expiring = risk
        if roll < expired:
            offset = -self.rng.randint(1, 500)
        elif roll < expired + expiring:
            offset = self.rng.randint(0, 90)
        else:
            offset = self.rng.randint(*valid_days)
        return self.today + dt.timedelta(days=offset)

    def attributes(self, mine: _MineSpec, status: str) -> dict[str, Any]:
        rng = self.rng
        ent = mine.enterprise
        assert ent is not None
        county = _COUNTY_BY_CODE[mine.county]
        big = ent.group is not None and ent.group.big
        home_county = mine.county == ent.county
        town = ent.town if home_county and rng.random() < 0.6 else rng.choice(county.towns)
        lat, lon = self.location(ent, county)
        data: dict[str, Any] = {
            "name": self.mine_name(mine, town), "enterprise": ent.obj, "county": self.divisions[mine.county],
            "sector": mine.sector, "latitude": _dec(lat, 6), "longitude": _dec(lon, 6),
        }

        if mine.sector == TAILINGS:
            grade_target = self.weighted((("5", 30), ("4", 45), ("3", 20), ("2", 20 if big else 0)))
            height_range, volume_range = {
                "5": ((8, 29.9), (10, 99)), "4": ((30, 59.9), (100, 999)), "3": ((60, 99.9), (1000, 9999)),
                "2": ((100, 160), (10000, 30000)),
            }[grade_target]
            height = _dec(rng.uniform(*height_range), 1)
            volume = _dec(math.exp(rng.uniform(math.log(volume_range[0]), math.log(volume_range[1]))), 1)
            grade = tailings_grade(height, volume)
            data.update(
                dam_height_m=height, tailings_capacity=volume, tailings_grade=grade,
                scale="large" if grade is not None and grade <= 2 else "medium" if grade == 3 else "small",
                downstream_population=rng.random() < 0.2,
                standardization_grade=self.weighted((("grade2", 25), ("grade3", 60), ("none", 15))),
            )
        else:
            capacity, scale = self.capacity(mine, big)
            data.update(approved_capacity=capacity, scale=scale)
            if mine.sector == COAL:
                depth = rng.uniform(700, 1250) if big else rng.uniform(300, 800)
                low, high, outburst = county.gas
                data.update(
                    depth_m=_dec(depth, 1),
                    gas_grade=self.weighted((("low", low), ("high", high), ("outburst", outburst))),
                    hydrogeology=self.weighted((("simple", 25), ("medium", 50), ("complex", 20),
                                                ("very_complex", 5))),
                    spontaneous_combustion=self.weighted((("easy", 35), ("prone", 45), ("not_prone", 20))),
                    rock_burst=depth >= 800 and rng.random() < 0.45,
                    production_levels=1 if rng.random() < 0.75 else 2,
                    headcount_cap=self.headcount(scale, coal=True),
                    standardization_grade=self.weighted(
                        (("grade1", 30 if big else 5), ("grade2", 50), ("grade3", 20), ("none", 5))),
                )
            elif mine.sector == UNDERGROUND:
                depth = rng.uniform(150, 1100) if big else rng.uniform(100, 700)
                max_levels = 4 if scale == "large" else 3
                data.update(
                    depth_m=_dec(depth, 1),
                    hydrogeology=self.weighted((("simple", 40), ("medium", 45), ("complex", 15))),
                    spontaneous_combustion="prone" if mine.mineral in _SULFIDE and rng.random() < 0.3 else "",
                    rock_burst=depth >= 700 and rng.random() < 0.35,
                    production_levels=rng.randint(1, max_levels),
                    headcount_cap=self.headcount(scale, coal=False),
                    standardization_grade=self.weighted((("grade2", 30), ("grade3", 55), ("none", 15))),
                )
            else:
                depth = rng.uniform(30, 450) if scale == "large" else rng.uniform(20, 150)
                data.update(
                    depth_m=_dec(depth, 1),
                    hydrogeology=self.weighted((("simple", 60), ("medium", 30), ("", 10))),
                    standardization_grade=self.weighted((("grade2", 25), ("grade3", 55), ("none", 20))),
                )
            if rng.random() < 0.35:
                data["boundary"] = self.boundary(lat, lon, 0.02 if scale == "large" else 0.008)
            valid_until = self.licence_date(_MINING_RISK[status], (91, 365 * 12))
            term = max(rng.choice((5, 10, 10, 15, 20)), valid_until.year - self.today.year)
            data["mining_licence_no"] = (  # C + issuing authority + year/month issued + kind + serial
                f"C{mine.county[:4]}00{valid_until.year - term}{valid_until.month:02d}"
                f"{rng.choice(('11', '12', '21'))}{rng.randrange(10**8):08d}"
            )
            data["mining_licence_valid_until"] = valid_until

        if status != "construction":  # safety production licences run three years
            kind = "MK" if mine.sector == COAL else "FM"
            valid_until = self.licence_date(_SAFETY_RISK[status], (91, 365 * 3))
            data["safety_licence_no"] = f"（辽）{kind}安许证字〔{valid_until.year - 3}〕{rng.randint(1, 2999):04d}"
            data["safety_licence_valid_until"] = valid_until
        return data

    def headcount(self, scale: str, *, coal: bool) -> int:
        ranges = {
            True: {"large": (300, 800), "medium": (150, 300), "small": (60, 120)},
            False: {"large": (150, 500), "medium": (60, 200), "small": (20, 80)},
        }[coal]
        low, high = ranges[scale]
        return self.rng.randint(low // 5, high // 5) * 5

    def boundary(self, lat: float, lon: float, radius: float) -> list[list[float]]:
        """A small star-shaped (hence simple) polygon around the mine, [lon, lat] pairs."""
        n = self.rng.randint(4, 6)
        step = 2 * math.pi / n
        points = []
        for i in range(n):
            angle = step * i + self.rng.uniform(0.1, 0.9) * step
            r = radius * self.rng.uniform(0.6, 1.0)
            points.append([round(lon + r * 1.3 * math.cos(angle), 6), round(lat + r * math.sin(angle), 6)])
        return points

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def doc(self, county: str, kind: str, when: dt.date) -> str:
        abbr = _CITY_ABBR[county[:4]]
        n = self.rng.randint(1, 180)
        if kind == "halt":
            return f"（{abbr}）应急责停〔{when.year}〕{n:03d}号"
        if kind == "resume":
            return f"（{abbr}）应急复产验〔{when.year}〕{n:03d}号"
        return f"{abbr}政办发〔{when.year}〕{n}号"

    def licences_valid_on(self, data: dict[str, Any], when: dt.date) -> bool:
        """Licences valid on ``when`` and today, as the status rule requires for entering production."""
        return all(
            licence_state(data.get(key), day) not in ("missing", "expired")
            for key in ("mining_licence_valid_until", "safety_licence_valid_until")
            for day in (when, self.today)
        )

    def create_mines(self, plan: list[_EntSpec]) -> list[Mine]:
        actor = self.users[_ACTOR_USERNAME]
        rng = self.rng
        created: list[Mine] = []
        for ent in plan:
            for spec in ent.mines:
                status = self.weighted(_STATUS_WEIGHTS[spec.sector])
                data = self.attributes(spec, status)
                # (target, effective date, reason, document) steps after registration
                steps: list[tuple[str, dt.date, str, str]] = []
                initial = status
                registered = self.days_ago(400, 15 * 365)
                if status in ("rectification", "suspended", "closed"):
                    initial = "production"
                    span = {"rectification": (3, 180), "suspended": (60, 900), "closed": (30, 1500)}[status]
                    when = self.days_ago(*span)
                    registered = min(registered, when - dt.timedelta(days=365))
                    if status == "rectification":
                        reason, document = rng.choice(_HALT_REASONS[spec.sector]), self.doc(spec.county, "halt",
                                                                                               when)
                    elif status == "suspended":
                        reason, document = rng.choice(_SUSPEND_REASONS), ""
                    else:
                        reason = rng.choice(_CLOSE_REASONS.get(spec.sector, _CLOSE_REASONS_DEFAULT))
                        document = self.doc(spec.county, "close", when)
                    steps.append((status, when, reason, document))
                elif status == "construction":
                    registered = self.days_ago(30, 900)
                elif status == "production" and spec.sector != TAILINGS:
                    roll = rng.random()
                    if roll < 0.12:  # built and commissioned on the platform's watch
                        when = self.days_ago(60, 2000)
                        if self.licences_valid_on(data, when):
                            initial = "construction"
                            registered = when - dt.timedelta(days=rng.randint(300, 900))
                            steps.append(("production", when, "联合试运转结束，安全设施竣工验收合格，投入生产", ""))
                    elif roll < 0.2:  # halted and resumed after acceptance
                        halted = self.days_ago(120, 500)
                        resumed = min(halted + dt.timedelta(days=rng.randint(20, 100)), self.today)
                        if self.licences_valid_on(data, resumed):
                            registered = min(registered, halted - dt.timedelta(days=365))
                            steps.append(("rectification", halted, rng.choice(_HALT_REASONS[spec.sector]),
                                          self.doc(spec.county, "halt", halted)))
                            steps.append(("production", resumed, "隐患整改完成，经复产验收合格恢复生产",
                                          self.doc(spec.county, "resume", resumed)))
                mine = create_mine(actor=actor, data=data, status=initial, status_reason="矿山基础信息首次登记",
                                   today=registered)
                for target, when, reason, document in steps:
                    mine = change_mine_status(actor=actor, mine=mine, target=target, reason=reason,
                                              document_no=document, effective_date=when, today=self.today)
                    self.status_changes += 1
                created.append(mine)
        return created

    # -- run ----------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.load_divisions()
        self.say("Regulators, platform operator and demo users …")
        self.create_organisations()
        usernames = [u for u, _r, org in DEMO_USERS if org != DEMO_ENTERPRISE]
        self.create_users(usernames)
        plan = self.plan()
        self.say(f"{len(plan)} enterprises (with group parents) …")
        parents, enterprises = self.create_enterprises(plan)
        demo = self.link_demo_enterprise(plan)
        if demo is not None:
            self.create_users([u for u, _r, org in DEMO_USERS if org == DEMO_ENTERPRISE])
        self.say(f"{self.n_mines} mines and tailings ponds …")
        mines = self.create_mines(plan)

        safety = Counter(licence_state(m.safety_licence_valid_until, self.today) for m in mines)
        return {
            "organisations": len(self.orgs),
            "regulators": sum(1 for o in self.orgs.values() if o.kind == OrgKind.REGULATOR),
            "users": len(self.users),
            "enterprises": len(parents) + len(enterprises),
            "groups": len(parents),
            "mines": len(mines),
            "by_sector": dict(Counter(m.sector for m in mines)),
            "by_status": dict(Counter(m.status for m in mines)),
            "safety_licences": dict(safety),
            "status_changes": self.status_changes,
            "with_boundary": sum(1 for m in mines if m.boundary),
            "county_mines": sum(1 for m in mines if m.county_id == COUNTY_CODE),
            "other_county_mines": sum(1 for m in mines if m.county_id == OTHER_COUNTY_CODE),
            "demo_enterprise_mines": sum(1 for m in mines if demo is not None and m.enterprise_id == demo.pk),
        }


def build_demo(*, seed: int = 2024, mines: int = 300, stdout: Any = None,
               today: dt.date | None = None) -> dict[str, Any]:
    """Build the demo jurisdiction in one transaction and return counts of what was created.

    Raises RuntimeError when the database already holds mines or demo users, or lacks the divisions.
    """
    if mines < 1:
        raise ValueError("mines must be at least 1")
    blocker = demo_blocker()
    if blocker:
        raise RuntimeError(f"cannot build the demo: {blocker}")
    builder = _Builder(seed=seed, mines=mines, today=today or timezone.localdate(), stdout=stdout)
    with transaction.atomic():
        counts = builder.run()
    counts["status_history_rows"] = MineStatusChange.objects.count()
    return counts
