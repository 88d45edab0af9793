"""统一社会信用代码 (Unified Social Credit Code), GB 32100-2015, and its embedded
组织机构代码 (organisation code), GB 11714-1997.

Layout of the 18 characters (GB 32100-2015 §4):

====== =========================================================
pos    meaning
====== =========================================================
1      登记管理部门代码 (registration authority)
2      机构类别代码 (organisation category within that authority)
3–8    登记管理机关行政区划码 (six-digit administrative division)
9–17   主体标识码 = 组织机构代码, itself with a GB 11714 check char
18     校验码 (check char over positions 1–17)
====== =========================================================
"""

from __future__ import annotations

from .sources import cite
from .types import Reason, Verdict

__all__ = [
    "ORG_CODE_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_REGISTRATION_AUTHORITIES",
    "USCC_WEIGHTS",
    "make_uscc",
    "normalize_uscc",
    "org_code_check_char",
    "uscc_check_char",
    "validate_uscc",
]

# 31 characters: digits and upper-case letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight of position i (0-based) is 3**i mod 31.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997: weights of the eight body characters of an organisation code.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_ORG_CODE_BODY_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# 登记管理部门代码 -> (label, {机构类别代码: label}).
# Position 1 is enforced; the category lists are kept for display only, because our
# copy of the table (and its later amendments, e.g. A and N) is from memory.
USCC_REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {}),
}

_CITE_LAYOUT = cite("GB 32100-2015", "§4", "[U] general knowledge, confirm against official text")
_CITE_AUTHORITIES = cite(
    "GB 32100-2015",
    "附录A",
    "[U] general knowledge (登记管理部门代码表, incl. later additions A/N), confirm against official text",
)
_CITE_CHECK = cite("GB 32100-2015", "§5", "[U] general knowledge (校验码计算), confirm against official text")
_CITE_ORG_CODE = cite(
    "GB 11714-1997", "§4", "[U] general knowledge (校验码计算), confirm against official text"
)


def _uscc_checksum(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) for the first 17 characters; GB 32100-2015 §5 [U].

    Raises ValueError unless ``first17`` is 17 characters from :data:`USCC_ALPHABET`.
    """
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    bad = sorted({ch for ch in first17 if ch not in USCC_ALPHABET})
    if bad:
        raise ValueError(f"characters not allowed in a USCC: {''.join(bad)!r}")
    return _uscc_checksum(first17)


def org_code_check_char(first8: str) -> str:
    """Check character of a GB 11714-1997 organisation code (its 9th character).

    Sum of char value × weight (3,7,9,10,5,8,4,2), digits 0–9 and A–Z = 10–35;
    check = 11 − sum mod 11, written "X" for 10 and "0" for 11.
    Raises ValueError unless ``first8`` is 8 digits / upper-case letters.
    """
    if len(first8) != 8:
        raise ValueError(f"expected 8 characters, got {len(first8)}")
    bad = sorted({ch for ch in first8 if ch not in _ORG_CODE_BODY_CHARS})
    if bad:
        raise ValueError(f"characters not allowed in an organisation code: {''.join(bad)!r}")
    total = sum(_ORG_CODE_BODY_CHARS.index(ch) * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def normalize_uscc(raw: str) -> str:
    """Strip, drop all whitespace (including full-width spaces) and upper-case user input."""
    return "".join(raw.split()).upper()


def validate_uscc(code: str, *, field: str = "uscc") -> Verdict:
    """Validate a normalised USCC against GB 32100-2015 (layout §4, check char §5) and the
    embedded GB 11714-1997 organisation code. The caller normalises first (:func:`normalize_uscc`);
    lower-case letters or whitespace are refused with code ``uscc.not_normalized``.

    Reason codes: uscc.empty, uscc.not_normalized, uscc.length, uscc.charset,
    uscc.registration_authority, uscc.division, uscc.org_code, uscc.check_char.
    """
    if code == "":
        return Verdict.deny(Reason("uscc.empty", "请填写统一社会信用代码", field, _CITE_LAYOUT))
    if code != normalize_uscc(code):
        return Verdict.deny(
            Reason(
                "uscc.not_normalized",
                "统一社会信用代码不得包含空格或小写字母，请去除空格并使用大写字母",
                field,
                _CITE_LAYOUT,
            )
        )
    if len(code) != 18:
        return Verdict.deny(
            Reason("uscc.length", f"统一社会信用代码应为18位，当前为{len(code)}位", field, _CITE_LAYOUT)
        )
    bad = "".join(dict.fromkeys(ch for ch in code if ch not in USCC_ALPHABET))
    if bad:
        return Verdict.deny(
            Reason(
                "uscc.charset",
                f"统一社会信用代码含有非法字符“{bad}”（只能使用数字和除 I、O、Z、S、V 以外的大写字母）",
                field,
                _CITE_LAYOUT,
            )
        )

    reasons: list[Reason] = []
    if code[0] not in USCC_REGISTRATION_AUTHORITIES:
        reasons.append(
            Reason(
                "uscc.registration_authority",
                f"统一社会信用代码第1位登记管理部门代码“{code[0]}”无效",
                field,
                _CITE_AUTHORITIES,
            )
        )
    if not code[2:8].isdigit() or not code[2:8].isascii():
        reasons.append(
            Reason(
                "uscc.division",
                "统一社会信用代码第3–8位应为6位数字的登记管理机关行政区划码",
                field,
                _CITE_LAYOUT,
            )
        )
    org_expected = org_code_check_char(code[8:16])
    if code[16] != org_expected:
        reasons.append(
            Reason(
                "uscc.org_code",
                f"统一社会信用代码第9–17位主体标识码（组织机构代码）校验位错误，应为 {org_expected}",
                field,
                _CITE_ORG_CODE,
            )
        )
    expected = _uscc_checksum(code[:17])
    if code[17] != expected:
        reasons.append(
            Reason("uscc.check_char", f"统一社会信用代码校验位错误，应为 {expected}", field, _CITE_CHECK)
        )
    return Verdict(tuple(reasons))


def make_uscc(registration: str, category: str, division6: str, org_code9: str) -> str:
    """Assemble a USCC with the correct check char, e.g. for demo data (GB 32100-2015 §4/§5).

    ``org_code9`` must be a valid GB 11714-1997 organisation code (8 body chars + check char);
    build one as ``body8 + org_code_check_char(body8)``. Raises ValueError on any bad part.
    """
    if registration not in USCC_REGISTRATION_AUTHORITIES:
        raise ValueError(f"unknown registration authority code {registration!r}")
    if len(category) != 1 or category not in USCC_ALPHABET:
        raise ValueError(f"category must be one USCC character, got {category!r}")
    if len(division6) != 6 or not (division6.isascii() and division6.isdigit()):
        raise ValueError(f"division6 must be six digits, got {division6!r}")
    if len(org_code9) != 9:
        raise ValueError(f"org_code9 must be 9 characters, got {org_code9!r}")
    if org_code_check_char(org_code9[:8]) != org_code9[8]:
        raise ValueError(f"org_code9 {org_code9!r} has a wrong GB 11714 check character")
    first17 = registration + category + division6 + org_code9
    return first17 + uscc_check_char(first17)
