"""xlsx export of the hazard ledger and import of an enterprise's self-check list.

Export (:func:`export_ledger`): one row per hazard in the layout a regulator keeps (隐患台账, with
the 五落实 columns, supervision and close-out), from a queryset the caller has already scoped
with ``Hazard.objects.visible_to(user)`` and filtered.

Import (:func:`import_self_check`): the whole sheet is parsed first, so a file rejected as a whole
(unreadable, missing columns, too many rows) writes nothing; then every row goes through
``services.register_hazard`` in its own savepoint. A bad row is reported with its spreadsheet row
number, column and a reason and leaves nothing behind; good rows are kept. Sheet headers and
labels are Chinese whatever the UI language (as in ``registry.io``). The pages run it as a background
``core.ImportJob`` of kind :data:`SELF_CHECK_IMPORT_KIND` (registered in ``HazardsConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from minesafe.accounts.models import User
from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors
from minesafe.core.querysets import scope_of
from minesafe.core.xlsx import (
    Column,
    RowError,
    SheetError,
    choice,
    date_or_none,
    int_or_none,
    read_sheet,
    text,
    write_row,
    write_workbook,
)
from minesafe.hazards import services
from minesafe.hazards.choices import HazardSource, ProductionStop
from minesafe.hazards.models import Hazard, Listing
from minesafe.registry.models import Mine
from minesafe.rules import hazards as rules
from minesafe.rules.hazard_standards import (
    ALL_STANDARDS,
    HazardCategory,
    categories_for,
    find_category,
    find_item,
    standard_for,
)

__all__ = [
    "IMPORT_COLUMNS",
    "LEDGER_COLUMNS",
    "SELF_CHECK_IMPORT_KIND",
    "ImportResult",
    "Result",
    "export_ledger",
    "import_self_check",
    "template_workbook",
]

# The sheet always uses Chinese labels, whatever the UI language.
ZH = {
    "sector": {"coal": "煤矿", "metal_underground": "金属非金属地下矿山", "metal_open_pit": "金属非金属露天矿山",
               "tailings": "尾矿库"},
    "source": {HazardSource.SELF_CHECK.value: "企业自查", HazardSource.INSPECTION.value: "执法检查",
               HazardSource.TIP_OFF.value: "群众举报", HazardSource.MONITORING.value: "监测预警"},
    "production_stop": {ProductionStop.NONE.value: "未停产", ProductionStop.PARTIAL.value: "部分停产",
                        ProductionStop.FULL.value: "全部停产"},
    "status": dict(rules.HAZARD_STATUS_LABELS),
    "verification_method": dict(rules.VERIFICATION_METHODS),
}
SELF_CHECK_IMPORT_KIND = "hazards.self_check"
SHEET_TITLE = "重大事故隐患台账"
IMPORT_SHEET_TITLE = "重大事故隐患自查清单"
CODES_SHEET_TITLE = "隐患类别代码表"


def _yes_no(value: Any) -> str:
    return "是" if value else "否"


def _label(key: str) -> Callable[[Any], str]:
    labels = ZH[key]
    return lambda v: labels.get(v, v or "")


# --- export ---------------------------------------------------------------------------------

LEDGER_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", text, width=6),
    Column("id", "隐患编号", text, width=9),
    Column("city", "所在市", text, width=10),
    Column("county", "所在区县", text, width=16),
    Column("enterprise", "企业名称", text, width=28),
    Column("mine", "矿山名称", text, width=28),
    Column("sector", "行业类别", text, export=_label("sector"), width=18),
    Column("category", "隐患类别", text, width=30),
    Column("item", "判定依据条款", text, width=40),
    Column("description", "隐患描述", text, width=40),
    Column("location", "隐患部位", text, width=18),
    Column("found_on", "发现日期", date_or_none, width=11),
    Column("found_by", "发现人", text, width=10),
    Column("source", "来源", text, export=_label("source"), width=10),
    Column("production_stop", "停产情况", text, export=_label("production_stop"), width=10),
    Column("responsible_person", "整改责任人", text, width=10),
    Column("measures", "整改措施", text, width=36),
    Column("funds_yuan", "整改资金(元)", text, width=12),
    Column("original_deadline", "整改时限", date_or_none, width=11),
    Column("deadline", "现整改期限", date_or_none, width=11),
    Column("contingency_plan", "应急预案", text, width=30),
    Column("status", "状态", text, export=_label("status"), width=11),
    Column("listed", "是否挂牌督办", text, export=_yes_no, width=8),
    Column("document_no", "督办文号", text, width=24),
    Column("overdue", "是否逾期", text, export=_yes_no, width=8),
    Column("closed_on", "销号日期", date_or_none, width=11),
    Column("verification_method", "验收方式", text, export=_label("verification_method"), width=10),
)


def _category_title(code: str) -> str:
    try:
        return find_category(code)[1].title
    except KeyError:
        return code


def _item_text(code: str) -> str:
    if not code:
        return ""
    try:
        return find_item(code)[2].text
    except KeyError:
        return code


def _city_name(county: Any) -> str:
    parent = county.parent
    return parent.name if parent is not None and parent.level == "city" else ""


def ledger_rows(hazards: Iterable[Hazard], today: dt.date) -> Iterator[dict[str, Any]]:
    """Row dicts of :data:`LEDGER_COLUMNS` for the given hazards (listings prefetched as ``all_listings``)."""
    titles: dict[str, str] = {}
    items: dict[str, str] = {}
    for seq, h in enumerate(hazards, start=1):
        if h.category_code not in titles:
            titles[h.category_code] = _category_title(h.category_code)
        if h.item_code not in items:
            items[h.item_code] = _item_text(h.item_code)
        listings = getattr(h, "all_listings", None)
        if listings is None:
            listings = list(h.listings.order_by("listed_at", "id"))
        mine = h.mine
        yield {
            "seq": seq, "id": h.pk, "city": _city_name(mine.county), "county": mine.county.name,
            "enterprise": mine.enterprise.name, "mine": mine.name, "sector": mine.sector,
            "category": titles[h.category_code], "item": items[h.item_code], "description": h.description,
            "location": h.location, "found_on": h.found_on, "found_by": h.found_by, "source": h.source,
            "production_stop": h.production_stop, "responsible_person": h.responsible_person,
            "measures": h.measures, "funds_yuan": h.funds_yuan, "original_deadline": h.original_deadline,
            "deadline": h.deadline, "contingency_plan": h.contingency_plan, "status": h.status,
            "listed": h.listed, "document_no": "；".join(lst.document_no for lst in listings),
            "overdue": h.is_overdue(today), "closed_on": h.closed_on,
            "verification_method": h.verification_method,
        }


def export_ledger(hazards_qs: QuerySet, *, today: dt.date | None = None) -> bytes:
    """The given (already scoped and filtered) hazards as the regulator's ledger workbook."""
    today = today or timezone.localdate()
    qs = hazards_qs.select_related("mine", "mine__enterprise", "mine__county", "mine__county__parent").prefetch_related(
        Prefetch("listings", queryset=Listing.objects.order_by("listed_at", "id"), to_attr="all_listings"))
    return write_workbook(LEDGER_COLUMNS, ledger_rows(qs.iterator(chunk_size=1000), today), title=SHEET_TITLE)


# --- import ---------------------------------------------------------------------------------


def _mine_id(value: Any) -> int | None:
    number = int_or_none(value)
    if number is not None and not 0 < number < 2**63:
        raise ValueError(f"矿山编号无效：{value}")
    return number


def _code(value: Any) -> str:
    return text(value).replace(" ", "")


IMPORT_COLUMNS: tuple[Column, ...] = (
    Column("mine_id", "矿山编号", _mine_id, width=10),
    Column("mine_name", "矿山名称", text, width=28),
    Column("uscc", "企业统一社会信用代码", lambda v: _code(v).upper(), width=22),
    Column("category_code", "隐患类别代码", _code, width=18),
    Column("category_title", "隐患类别", text, width=30),
    Column("item_code", "判定依据条款代码", _code, width=18),
    Column("description", "隐患描述", text, required=True, width=40),
    Column("location", "隐患部位", text, required=True, width=18),
    Column("found_on", "发现日期", date_or_none, required=True, width=12),
    Column("found_by", "发现人", text, required=True, width=10),
    Column("production_stop", "停产情况", choice(ZH["production_stop"]), width=10),
    Column("source", "来源", choice(ZH["source"]), width=10),
)
HEADERS = {c.key: c.header for c in IMPORT_COLUMNS}
_SOURCE_HEADER = HEADERS["source"]
# Service field names → the sheet column the user has to fix.
_SERVICE_TO_COLUMN = {"mine": "mine_id", "evidence": "", "__all__": ""}


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    hazard_ids: list[int] = field(default_factory=list)
    total_rows: int = 0

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


Result = ImportResult


def _is_enterprise(actor: User) -> bool:
    return scope_of(actor).is_enterprise


def _header_names(data: bytes) -> set[str]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise SheetError(f"无法读取 xlsx 文件：{exc.__class__.__name__}") from None
    try:
        if not wb.worksheets:
            raise SheetError("工作表为空")
        first = next(wb.worksheets[0].iter_rows(min_row=1, max_row=1, values_only=True), None)
    finally:
        wb.close()
    if first is None:
        raise SheetError("工作表为空")
    return {text(h) for h in first if text(h)}


def _check_headers(headers: set[str], *, enterprise: bool) -> None:
    missing = [c.header for c in IMPORT_COLUMNS if c.required and c.header not in headers]
    if not enterprise and _SOURCE_HEADER not in headers:
        missing.append(_SOURCE_HEADER)
    if missing:
        raise SheetError("缺少必填列：" + "、".join(missing))
    if HEADERS["mine_id"] not in headers and HEADERS["mine_name"] not in headers:
        raise SheetError(f"缺少矿山列：请提供“{HEADERS['mine_id']}”，或“{HEADERS['mine_name']}”"
                         f"和“{HEADERS['uscc']}”")
    if not headers & {HEADERS["category_code"], HEADERS["category_title"], HEADERS["item_code"]}:
        raise SheetError(f"缺少隐患类别列：请提供“{HEADERS['category_code']}”或“{HEADERS['category_title']}”")


class _RowProblem(FieldErrors):
    """One reason to reject a row, found before the service was called (``key`` is a sheet column)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__({key: [message]})
        self.key = key
        self.message = message


class _Rejected(FieldErrors):
    """The service refused the row; ``category_column`` is where the user named the category."""

    def __init__(self, errors: FieldErrors, category_column: str) -> None:
        super().__init__(errors.errors)
        self.category_column = category_column


def _find_mine(actor: User, values: dict[str, Any]) -> Mine:
    visible = Mine.objects.visible_to(actor).select_related("enterprise")
    name, uscc = values["mine_name"], values["uscc"]
    if values["mine_id"] is not None:
        mine = visible.filter(pk=values["mine_id"]).first()
        if mine is None:
            raise _RowProblem("mine_id", f"矿山编号 {values['mine_id']} 不存在或不在您的管辖范围内")
        if name and name != mine.name:
            raise _RowProblem("mine_name", f"矿山编号 {mine.pk} 对应的矿山是“{mine.name}”，与“{name}”不一致")
        if uscc and uscc != mine.enterprise.uscc:
            raise _RowProblem("uscc", f"矿山编号 {mine.pk} 不属于统一社会信用代码为 {uscc} 的企业")
        return mine
    if not name:
        raise _RowProblem("mine_name", f"请填写“{HEADERS['mine_id']}”或“{HEADERS['mine_name']}”")
    candidates = visible.filter(name=name)
    if uscc:
        candidates = candidates.filter(enterprise__uscc=uscc)
    found = list(candidates[:2])
    if not found:
        if uscc:
            raise _RowProblem("mine_name", f"统一社会信用代码为 {uscc} 的企业名下没有“{name}”，或不在您的管辖范围内")
        raise _RowProblem("mine_name", f"未找到矿山“{name}”，或不在您的管辖范围内")
    if len(found) > 1:
        raise _RowProblem("uscc", f"有多个名为“{name}”的矿山，请填写“{HEADERS['uscc']}”或“{HEADERS['mine_id']}”")
    return found[0]


_SPACES = re.compile(r"\s+")
_FULLWIDTH = str.maketrans("()", "（）")


def _normal_title(title: str) -> str:
    return _SPACES.sub("", title).translate(_FULLWIDTH)


def _resolve_category(mine: Mine, values: dict[str, Any]) -> tuple[str, str]:
    """(category code, the column that named it) for the row; the service checks the rest."""
    code, title, item = values["category_code"], values["category_title"], values["item_code"]
    if code:
        if title:
            try:
                _std, category = find_category(code)
            except KeyError:
                return code, "category_code"  # the service reports the unknown code
            if _normal_title(category.title) != _normal_title(title):
                raise _RowProblem("category_title", f"隐患类别代码 {code} 对应“{category.title}”，与“{title}”不一致")
        return code, "category_code"
    found_on = values["found_on"]
    if title:
        try:
            standard = standard_for(mine.sector, found_on)
        except LookupError:
            raise _RowProblem("found_on", f"{found_on} 没有适用于该矿山行业的重大事故隐患判定标准") from None
        wanted = _normal_title(title)
        matches: list[HazardCategory] = [c for c in categories_for(mine.sector, found_on)
                                         if _normal_title(c.title) == wanted]
        if not matches:
            raise _RowProblem("category_title", f"《{standard.title}》（{found_on} 施行）中没有隐患类别“{title}”；"
                                                f"可改填“{HEADERS['category_code']}”，见模板的“{CODES_SHEET_TITLE}”")
        return matches[0].code, "category_title"
    if item:
        try:
            _std, category, _item = find_item(item)
        except KeyError:
            raise _RowProblem("item_code", f"判定依据条款代码 {item} 不存在") from None
        return category.code, "item_code"
    raise _RowProblem("category_code", f"请填写“{HEADERS['category_code']}”或“{HEADERS['category_title']}”")


def _duplicate_of(mine: Mine, category_code: str, values: dict[str, Any]) -> int | None:
    return (Hazard.objects.filter(mine=mine, category_code=category_code, found_on=values["found_on"],
                                  description=values["description"]).values_list("pk", flat=True).first())


def _row_errors(row: int, exc: FieldErrors, category_column: str) -> list[RowError]:
    out = []
    for key, messages in exc.errors.items():
        key = category_column if key == "category_code" else _SERVICE_TO_COLUMN.get(key, key)
        header = HEADERS.get(key, key)
        out.extend(RowError(row, header, str(message)) for message in messages)
    return out


def _field_row_errors(number: int, exc: FieldErrors) -> list[RowError]:
    if isinstance(exc, _RowProblem):
        return [RowError(number, HEADERS.get(exc.key, exc.key), exc.message)]
    if isinstance(exc, _Rejected):
        return _row_errors(number, exc, exc.category_column)
    return _row_errors(number, exc, "category_code")


def _import_row(actor: User, values: dict[str, Any], *, enterprise: bool, request_id: str) -> Hazard:
    mine = _find_mine(actor, values)
    if enterprise:
        source = HazardSource.SELF_CHECK.value  # an enterprise registers only its own self-check findings
    else:
        source = values["source"]
        if not source:
            raise _RowProblem("source", f"“{_SOURCE_HEADER}”为必填项（可选：{'、'.join(ZH['source'].values())}）")
    category_code, category_column = _resolve_category(mine, values)
    duplicate = _duplicate_of(mine, category_code, values)
    if duplicate is not None:
        raise _RowProblem("description", f"台账中已有相同的隐患（隐患编号 {duplicate}），未重复登记")
    data = {
        "source": source, "category_code": category_code, "item_code": values["item_code"],
        "description": values["description"], "location": values["location"], "found_on": values["found_on"],
        "found_by": values["found_by"], "production_stop": values["production_stop"] or ProductionStop.NONE,
    }
    try:
        return services.register_hazard(actor=actor, mine=mine, data=data, request_id=request_id)
    except FieldErrors as exc:
        raise _Rejected(exc, category_column) from exc


def import_self_check(*, actor: User, data: bytes, request_id: str = "",
                      progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Register the hazards of a self-check list; raises SheetError when the file as a whole is unusable.

    ``progress(done, total)`` is called before every row and once at the end.
    """
    require(actor, "hazards.import")
    enterprise = _is_enterprise(actor)
    _check_headers(_header_names(data), enterprise=enterprise)
    parsed = list(read_sheet(data, IMPORT_COLUMNS, max_rows=settings.IMPORT_MAX_ROWS))
    result = ImportResult(total_rows=len(parsed))
    total = len(parsed)
    for done, (number, values, errors) in enumerate(parsed):
        if progress is not None:
            progress(done, total)
        if enterprise:
            errors = [e for e in errors if e.field != "source"]  # the column is ignored for enterprises
        if errors:
            result.errors.extend(RowError(e.row, HEADERS.get(e.field, e.field), e.message) for e in errors)
            continue
        hazard, row_errors = write_row(
            number, lambda values=values: _import_row(actor, values, enterprise=enterprise, request_id=request_id),
            lambda exc, number=number: _field_row_errors(number, exc),
        )
        if row_errors:
            result.errors.extend(row_errors)
            continue
        result.created += 1
        result.hazard_ids.append(hazard.pk)
    if progress is not None:
        progress(total, total)
    with transaction.atomic():
        audit.record(actor=actor, action="hazards.hazard.import", object_type="hazards.hazard",
                     after={"created": result.created, "hazard_ids": result.hazard_ids,
                            "rejected_rows": result.rejected_rows},
                     request_id=request_id)
    return result


def template_workbook(*, enterprise: bool = False) -> bytes:
    """An empty self-check list (the 来源 column only for regulators) plus a sheet listing the
    category and item codes of every standard version held (the finding date decides which applies)."""
    columns = [c for c in IMPORT_COLUMNS if not (enterprise and c.key == "source")]
    content = write_workbook(columns, [], title=IMPORT_SHEET_TITLE)
    wb = load_workbook(io.BytesIO(content))
    ws = wb.create_sheet(CODES_SHEET_TITLE)
    headers = ("行业类别", "判定标准", "施行日期", "废止日期", "隐患类别代码", "隐患类别", "判定依据条款代码",
               "判定依据条款")
    ws.append(headers)
    for idx, width in enumerate((18, 36, 11, 11, 18, 40, 20, 60), start=1):
        ws.cell(row=1, column=idx).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = "A2"
    sector_names = ZH["sector"]
    for standard in ALL_STANDARDS:
        sectors = "、".join(sector_names.get(s, s) for s in sorted(standard.sectors))
        ended = standard.effective_to.isoformat() if standard.effective_to else ""
        for category in standard.categories:
            for item in category.items:
                ws.append((sectors, standard.title, standard.effective_from.isoformat(), ended, category.code,
                           category.title, item.code, item.text))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
