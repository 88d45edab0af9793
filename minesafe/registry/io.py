"""xlsx import and export of the mine registry.

Import: every row is parsed, then written in its own savepoint through the same services the
forms use. A bad row is reported with its spreadsheet row number and reason and leaves nothing
behind (not even the enterprise it would have created); good rows are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from minesafe.accounts.models import Division, User
from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors
from minesafe.core.xlsx import (
    Column,
    RowError,
    bool_or_none,
    choice,
    date_or_none,
    decimal_or_none,
    int_or_none,
    read_sheet,
    text,
    write_row,
    write_workbook,
)
from minesafe.registry import services
from minesafe.registry.choices import (
    GasGrade,
    Hydrogeology,
    MineStatus,
    Scale,
    Sector,
    SpontaneousCombustion,
    StandardizationGrade,
)
from minesafe.registry.models import Enterprise, Mine

__all__ = ["MINE_COLUMNS", "ImportResult", "export_mines", "import_mines"]

ZH = {  # the sheet always uses Chinese headers and labels, whatever the UI language
    "sector": {"coal": "煤矿", "metal_underground": "金属非金属地下矿山", "metal_open_pit": "金属非金属露天矿山",
               "tailings": "尾矿库"},
    "status": {"construction": "建设", "production": "生产", "rectification": "停产整顿", "suspended": "长期停产",
               "closed": "关闭"},
    "scale": {"large": "大型", "medium": "中型", "small": "小型"},
    "gas_grade": {"low": "低瓦斯", "high": "高瓦斯", "outburst": "突出"},
    "hydrogeology": {"simple": "简单", "medium": "中等", "complex": "复杂", "very_complex": "极复杂"},
    "spontaneous_combustion": {"easy": "容易自燃", "prone": "自燃", "not_prone": "不易自燃"},
    "standardization_grade": {"grade1": "一级", "grade2": "二级", "grade3": "三级", "none": "未达标"},
}
_CHOICES = {
    "sector": Sector, "status": MineStatus, "scale": Scale, "gas_grade": GasGrade, "hydrogeology": Hydrogeology,
    "spontaneous_combustion": SpontaneousCombustion, "standardization_grade": StandardizationGrade,
}


def _choice_column(key: str, header: str, required: bool = False, width: int = 14) -> Column:
    labels = ZH[key]
    english = {str(v): str(lbl) for v, lbl in _CHOICES[key].choices}
    parser = choice(labels)
    fallback = choice(english)

    def parse(value: Any) -> str:
        try:
            return parser(value)
        except ValueError:
            try:
                return fallback(value)
            except ValueError:
                pass
            raise

    return Column(key, header, parse, required=required, export=lambda v: labels.get(v, v or ""), width=width)


def _yes_no(value: Any) -> str:
    return "" if value is None else ("是" if value else "否")


def _tailings_grade(value: Any) -> int | None:
    raw = text(value).rstrip("等")
    mapping = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
    if raw in mapping:
        return mapping[raw]
    number = int_or_none(raw)
    if number is not None and not 1 <= number <= 5:
        raise ValueError("尾矿库等别应为 1~5")
    return number


def _mine_id(value: Any) -> int | None:
    number = int_or_none(value)
    if number is not None and not 0 < number < 2**63:
        raise ValueError(f"矿山编号无效：{value}")
    return number


MINE_COLUMNS: tuple[Column, ...] = (
    Column("id", "矿山编号", _mine_id, width=10),
    Column("name", "矿山名称", text, required=True, width=28),
    Column("enterprise_uscc", "企业统一社会信用代码", text, required=True, width=22),
    Column("enterprise_name", "企业名称", text, width=28),
    Column("county_code", "区县代码", text, required=True, width=10),
    Column("county_name", "所在区县", text, width=24),
    _choice_column("sector", "行业类别", required=True, width=18),
    _choice_column("status", "状态"),
    _choice_column("scale", "规模", required=True, width=8),
    Column("approved_capacity", "核定生产能力(万吨/年)", decimal_or_none),
    Column("longitude", "经度", decimal_or_none),
    Column("latitude", "纬度", decimal_or_none),
    Column("depth_m", "开采深度(米)", decimal_or_none),
    _choice_column("gas_grade", "瓦斯等级"),
    _choice_column("hydrogeology", "水文地质类型"),
    Column("rock_burst", "冲击地压", bool_or_none, export=_yes_no, width=8),
    _choice_column("spontaneous_combustion", "自燃倾向性"),
    _choice_column("standardization_grade", "标准化等级"),
    Column("production_levels", "同时生产水平数", int_or_none),
    Column("headcount_cap", "井下定员", int_or_none),
    Column("mining_licence_no", "采矿许可证号", text, width=22),
    Column("mining_licence_valid_until", "采矿许可证有效期至", date_or_none),
    Column("safety_licence_no", "安全生产许可证号", text, width=22),
    Column("safety_licence_valid_until", "安全生产许可证有效期至", date_or_none),
    Column("dam_height_m", "坝高(米)", decimal_or_none),
    Column("tailings_capacity", "全库容(万立方米)", decimal_or_none),
    Column("tailings_grade", "尾矿库等别", _tailings_grade),
    Column("downstream_population", "下游有居民", bool_or_none, export=_yes_no, width=8),
)
HEADERS = {c.key: c.header for c in MINE_COLUMNS}
_NON_MINE_KEYS = {"id", "enterprise_uscc", "enterprise_name", "county_code", "county_name", "status"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


def export_rows(mines: Iterable[Mine]) -> Iterable[dict[str, Any]]:
    for m in mines:
        row = {f: getattr(m, f) for f in services.MINE_FIELDS if f not in ("enterprise", "county", "boundary")}
        row.update(
            id=m.pk, status=m.status, enterprise_uscc=m.enterprise.uscc, enterprise_name=m.enterprise.name,
            county_code=m.county_id, county_name=m.county.full_name,
        )
        yield row


def export_mines(mines: Any) -> bytes:
    """The given (already scoped and filtered) mines as an xlsx that :func:`import_mines` reads back."""
    return write_workbook(MINE_COLUMNS, export_rows(mines.select_related("enterprise", "county")), title="矿山台账")


def template_workbook() -> bytes:
    return write_workbook(MINE_COLUMNS, [], title="矿山台账")


# Service field names → the sheet column the user has to fix.
_SERVICE_TO_COLUMN = {"county": "county_code", "division": "county_code", "enterprise": "enterprise_uscc",
                      "uscc": "enterprise_uscc"}


def _row_errors(row: int, exc: FieldErrors) -> list[RowError]:
    out = []
    for key, messages in exc.errors.items():
        key = _SERVICE_TO_COLUMN.get(key, key)
        header = HEADERS.get(key, "" if key == "__all__" else key)
        for message in messages:
            out.append(RowError(row, header, message))
    return out


def _import_row(actor: User, values: dict[str, Any], request_id: str) -> str:
    """Create or update one mine; returns "created" or "updated". Raises FieldErrors."""
    county = Division.objects.filter(code=values["county_code"], level="county").first()
    if county is None:
        raise FieldErrors.single("county_code", _("Unknown county code."))
    uscc = values["enterprise_uscc"].upper().replace(" ", "")
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        if not values["enterprise_name"]:
            raise FieldErrors.single("enterprise_name", _("New enterprise: its name is required."))
        try:
            enterprise = services.create_enterprise(
                actor=actor, data={"name": values["enterprise_name"], "uscc": uscc, "division": county},
                request_id=request_id,
            )
        except FieldErrors as exc:
            raise FieldErrors({("enterprise_name" if k == "name" else k): v for k, v in exc.errors.items()}) from None
    elif not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise FieldErrors.single("enterprise_uscc", _("This enterprise is outside your jurisdiction."))
    data = {k: v for k, v in values.items() if k not in _NON_MINE_KEYS}
    data.update(enterprise=enterprise, county=county)
    visible = Mine.objects.visible_to(actor)
    if values.get("id") is not None:
        # An exported row carries the mine's id, so a renamed mine is updated, not duplicated.
        existing = visible.filter(pk=values["id"]).first()
        if existing is None:
            raise FieldErrors.single("id", _("No mine with this number in your jurisdiction."))
    else:
        existing = visible.filter(enterprise=enterprise, name=values["name"]).first()
    if existing is not None:
        if values.get("status") and values["status"] != existing.status:
            raise FieldErrors.single("status", _(
                "The sheet's status differs from the registry's; change a mine's status with the "
                "status-change procedure (document number and reason), not by import."))
        services.update_mine(actor=actor, mine=existing, data=data, request_id=request_id)
        return "updated"
    services.create_mine(actor=actor, data=data, status=values.get("status") or MineStatus.CONSTRUCTION,
                         status_reason=_("Imported from spreadsheet"), request_id=request_id)
    return "created"


def import_mines(*, actor: User, data: bytes, request_id: str = "",
                 progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import mines from an xlsx; raises SheetError when the file as a whole is unusable.

    The whole sheet is parsed before the first write, so a file rejected as a whole (unreadable,
    missing columns, too many rows) leaves nothing behind. ``progress(done, total)`` is called
    after every row.
    """
    require(actor, "registry.import")
    result = ImportResult()
    parsed = list(read_sheet(data, MINE_COLUMNS, max_rows=settings.IMPORT_MAX_ROWS))
    total = len(parsed)
    for done, (number, values, errors) in enumerate(parsed, start=1):
        if progress is not None:
            progress(done - 1, total)
        if errors:
            result.errors.extend(RowError(e.row, HEADERS.get(e.field, e.field), e.message) for e in errors)
            continue
        outcome, row_errors = write_row(number, lambda values=values: _import_row(actor, values, request_id),
                                        lambda exc, number=number: _row_errors(number, exc))
        if row_errors:
            result.errors.extend(row_errors)
            continue
        if outcome == "created":
            result.created += 1
        else:
            result.updated += 1
    if progress is not None:
        progress(total, total)
    with transaction.atomic():
        audit.record(actor=actor, action="registry.mine.import", object_type="registry.mine",
                     after={"created": result.created, "updated": result.updated,
                            "rejected_rows": result.rejected_rows},
                     request_id=request_id)
    return result
