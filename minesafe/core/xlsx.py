"""xlsx import/export helpers: typed columns, row-numbered errors, streaming-friendly writing."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from minesafe.core.errors import DomainError, FieldErrors

__all__ = ["Column", "RowError", "SheetError", "read_sheet", "write_row", "write_workbook"]

T = TypeVar("T")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetError(Exception):
    """The file as a whole cannot be read (not xlsx, no header, missing required columns)."""


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number as the user sees it (header is row 1)
    field: str
    message: str


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: ``key`` in code, ``header`` shown in the sheet, and a parser."""

    key: str
    header: str
    parse: Callable[[Any], Any]
    required: bool = False
    export: Callable[[Any], Any] | None = None
    width: int = 14


# --- cell parsers: raise ValueError with a Chinese message ----------------------------------


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"不是有效的数字：{value}") from None
    if not number.is_finite():
        raise ValueError(f"不是有效的数字：{value}")
    return number


def int_or_none(value: Any) -> int | None:
    number = decimal_or_none(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"应为整数：{value}")
    return int(number)


def date_or_none(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"日期格式应为 YYYY-MM-DD：{value}") from None


def bool_or_none(value: Any) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    raw = str(value).strip().lower()
    if raw in {"是", "有", "true", "yes", "y", "1"}:
        return True
    if raw in {"否", "无", "false", "no", "n", "0"}:
        return False
    raise ValueError(f"应填“是”或“否”：{value}")


def choice(labels: dict[str, str]) -> Callable[[Any], str]:
    """Parser accepting either the code or its label (Chinese or English) of a choice."""
    lookup: dict[str, str] = {}
    for code, label in labels.items():
        lookup[str(code).lower()] = code
        lookup[str(label).lower()] = code

    def parse(value: Any) -> str:
        raw = text(value)
        if not raw:
            return ""
        try:
            return lookup[raw.lower()]
        except KeyError:
            raise ValueError(f"无效选项“{raw}”，可选：{'、'.join(str(v) for v in labels.values())}") from None

    return parse


# --- reading and writing --------------------------------------------------------------------


def read_sheet(
    data: bytes | io.BytesIO, columns: Sequence[Column], *, max_rows: int
) -> Iterator[tuple[int, dict[str, Any], list[RowError]]]:
    """Yield ``(row_number, values, errors)`` for every non-empty data row of the first sheet.

    Columns are matched by header text, so users may reorder them or add their own columns.
    Raises SheetError for a file that cannot be used at all.
    """
    try:
        wb = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True)
    except Exception as exc:
        raise SheetError(f"无法读取 xlsx 文件：{exc.__class__.__name__}") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise SheetError("工作表为空")
    positions = {text(h): i for i, h in enumerate(header) if text(h)}
    missing = [c.header for c in columns if c.required and c.header not in positions]
    if missing:
        raise SheetError("缺少必填列：" + "、".join(missing))
    count = 0
    for number, row in enumerate(rows, start=2):
        if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        count += 1
        if count > max_rows:
            raise SheetError(f"行数超过上限 {max_rows}")
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        for col in columns:
            pos = positions.get(col.header)
            raw = row[pos] if pos is not None and pos < len(row) else None
            try:
                values[col.key] = col.parse(raw)
            except ValueError as exc:
                errors.append(RowError(number, col.key, str(exc)))
                continue
            if col.required and values[col.key] in ("", None):
                errors.append(RowError(number, col.key, f"“{col.header}”为必填项"))
        yield number, values, errors
    wb.close()


def write_workbook(
    columns: Sequence[Column], rows: Iterable[dict[str, Any]], *, title: str = "Sheet1"
) -> bytes:
    """Write a one-sheet workbook with a bold, frozen header row."""
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append([c.header for c in columns])
    for idx, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = Font(bold=True)
        if col.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        ws.column_dimensions[get_column_letter(idx)].width = col.width
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([_plain((c.export or _plain)(row.get(c.key))) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    """A cell value that is data, never a formula, and that openpyxl can write.

    Text typed by enterprises ends up in regulators' workbooks: a leading = + - @ would make
    Excel run it as a formula (CSV/xlsx injection), so it gets a leading apostrophe; control
    characters Excel cannot store are dropped instead of failing the whole export.
    """
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_START):
            value = "'" + value
    return value


def write_row(
    number: int, write: Callable[[], T], field_errors: Callable[[FieldErrors], list[RowError]]
) -> tuple[T | None, list[RowError]]:
    """Run one import row's writes in its own savepoint.

    Returns ``(result, [])``, or ``(None, errors)`` when the row was refused: the savepoint is rolled
    back, so a bad row leaves nothing behind (not even an enterprise it would have created) and the
    rows after it still run. ``field_errors`` names the sheet columns of a service's FieldErrors.
    """
    try:
        with transaction.atomic():
            return write(), []
    except FieldErrors as exc:
        return None, field_errors(exc)
    except DomainError as exc:
        return None, [RowError(number, "", str(exc) or exc.__class__.__name__)]
    except (DatabaseError, ArithmeticError) as exc:
        # The value got past validation but the database refused it: report it on the row.
        return None, [RowError(number, "", _("The database refused this row (%(kind)s).")
                               % {"kind": type(exc).__name__})]
