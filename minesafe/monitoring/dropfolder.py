"""Networked monitoring upload files from a drop folder (issue #6, way 3; format in DOMAIN §5).

File name ``{煤矿编码}_{TYPE}_{yyyyMMddHHmmss}.txt``; fields separated by ``;``, records ended by ``~``,
the file ended by ``||``; the first record is a header. UTF-8 (with or without BOM) or GBK/GB18030.

- ``CDDY`` 测点定义 (point definitions) → ``sensors.declare_points``: creates or updates the mine's
  sensors with the declared type, unit, range and thresholds (looser than 规程 → warnings).
  Record layouts (DOMAIN §5, [V2] S25/S26): the 2025 layout of 24 fields (测点编码; 系统编码; 分站编码;
  传感器类型; 数值类型; 单位; 高量程; 低量程; 上限报警; 上限解报; 下限报警; 下限解报; 上限断电; 上限复电;
  下限断电; 下限复电; 开描述; 停描述; 安装位置; X; Y; Z; 关联关系; 数据时间) and the older KJ1031X layout of
  16 fields (测点编码; 分站编码; 安装位置; ; 单位; ; ; 上限报警; ; 下限报警; ; 上限断电; 上限复电; 下限断电;
  下限复电; D-关联设备), which has no sensor type: the type is then read from the unit and the place
  (%CH4 → 甲烷, ppm → 一氧化碳, m/s → 风速, ℃ → 温度) [U].
- ``CDSS`` 测点实时数据 (real-time values) → ``ingest.store_points``. Record: 测点编码; 测点数值; 测点状态
  (DOMAIN §5 bitmask; empty = 0); 数据时间 (``yyyy-MM-dd HH:mm:ss`` local time). The field order is
  not in any specification we hold [U]; a record without its own time takes the header's 数据生成时间
  (its last field) or, failing that, the time in the file name.
- Other types (TJSJ, YCBJ, FZDY …) are not imported: the file goes to ``failed/``.

Which mine a file belongs to — the platform keeps no 煤矿编码 column, so the file's code is resolved
without new fields, in this order: (1) a code that is the platform id of a mine (a gateway configured
with the platform's mine id as its 煤矿编码, needed for the very first CDDY of a mine); (2) the one mine
whose existing point codes start with the code (the convention ``{煤矿编码}01MN01…``). Several mines
matching, or none, fails the file. The folder is a trusted channel (it is filled by the mines' sync
clients), like the HTTP gateway token: give each mine its own folder or sync account.

The runner (``process_folder``) takes the files oldest first (by the time in their name; definitions
before values of the same second), moves each to ``done/`` or ``failed/`` with a ``.reason.txt``
(also in ``done/`` when some records were rejected), and is idempotent: a file dropped twice stores
its readings once (``ingest.store`` ignores known sensor + time pairs) and re-declares the same points
without changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError

from minesafe.monitoring import ingest
from minesafe.monitoring.models import Sensor
from minesafe.registry.models import Mine

__all__ = ["FileOutcome", "ParsedFile", "UploadError", "parse_file", "parse_name", "process_file", "process_folder",
           "resolve_mine"]

log = logging.getLogger(__name__)

NAME = re.compile(r"^(?P<mine>[^_\s]+)_(?P<type>[A-Za-z]{4})_(?P<stamp>\d{14})\.txt$")
SUPPORTED = ("CDDY", "CDSS")
_ORDER = {"CDDY": 0, "CDSS": 1}
_UNIT_KINDS = (("ch4", "甲烷"), ("ppm", "一氧化碳"), ("m/s", "风速"), ("℃", "温度"), ("°c", "温度"))


class UploadError(Exception):
    """A file that cannot be imported at all (the message is written to its ``.reason.txt``)."""


@dataclass(frozen=True)
class ParsedFile:
    mine_code: str
    type: str
    stamp: dt.datetime  # from the file name, aware (platform local time)
    header: list[str]
    records: list[tuple[int, list[str]]]  # (1-based record number counting the header as 1, fields)
    notes: list[str] = field(default_factory=list)


@dataclass
class FileOutcome:
    name: str
    status: str  # "done" or "failed"
    type: str = ""
    mine_id: int | None = None
    stored: int = 0
    duplicates: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str = ""

    def report(self) -> str:
        """The text of the ``.reason.txt`` written next to the moved file."""
        lines = [f"{self.name}: {self.status}"]
        if self.reason:
            lines.append(self.reason)
        if self.type == "CDSS" and self.status == "done":
            lines.append(f"stored {self.stored}, duplicates {self.duplicates}, rejected {len(self.rejected)}")
        if self.type == "CDDY" and self.status == "done":
            lines.append(f"points created {self.created}, updated {self.updated}")
        lines += [f"record {number}: {why}" for number, why in self.rejected]
        lines += self.warnings
        return "\n".join(lines) + "\n"


def parse_name(name: str) -> tuple[str, str, dt.datetime]:
    """``{煤矿编码}_{TYPE}_{yyyyMMddHHmmss}.txt`` → (mine code, TYPE, aware local time)."""
    match = NAME.match(name)
    if not match:
        raise UploadError(f"the file name is not {{煤矿编码}}_{{TYPE}}_{{yyyyMMddHHmmss}}.txt: {name}")
    try:
        naive = dt.datetime.strptime(match["stamp"], "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise UploadError(f"the time in the file name is not a valid date: {match['stamp']}") from exc
    return match["mine"], match["type"].upper(), naive.replace(tzinfo=ingest.local_zone())


def decode(data: bytes) -> str:
    """UTF-8 (BOM allowed), else GB18030 (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise UploadError("the file is neither UTF-8 nor GBK/GB18030 text") from exc


def parse_file(name: str, data: bytes) -> ParsedFile:
    mine_code, kind, stamp = parse_name(name)
    text = decode(data)
    end = text.find("||")
    if end < 0:
        raise UploadError("no file terminator '||': the upload is incomplete")
    chunks = [chunk.strip() for chunk in text[:end].split("~")]
    while chunks and not chunks[-1]:
        chunks.pop()
    if not chunks or not chunks[0]:
        raise UploadError("the file has no header record")
    header = [cell.strip() for cell in chunks[0].split(";")]
    notes = []
    if len(header) == 7 and header[0] != mine_code:  # the 2025 header starts with the 煤矿编码
        notes.append(f"the header names the mine code {header[0]}, the file name {mine_code}: the file name decides")
    records = [(number, [cell.strip() for cell in chunk.split(";")])
               for number, chunk in enumerate(chunks[1:], start=2) if chunk]
    return ParsedFile(mine_code, kind, stamp, header, records, notes)


def resolve_mine(code: str) -> Mine:
    """The mine a 煤矿编码 stands for (see the module docstring for the rule)."""
    if code.isascii() and code.isdigit():
        mine = Mine.objects.filter(pk=int(code)).first()
        if mine is not None:
            return mine
    mine_ids = list(Sensor.objects.filter(code__startswith=code).values_list("mine_id", flat=True)
                    .distinct().order_by("mine_id")[:2])
    if len(mine_ids) == 1:
        return Mine.objects.get(pk=mine_ids[0])
    if mine_ids:
        raise UploadError(f"mine code {code} matches the point codes of several mines")
    raise UploadError(f"no mine is known by the code {code}: name the file with the platform's mine id, or "
                      f"declare the mine's points first")


# --- CDDY -------------------------------------------------------------------------------------------


def _blank(value: str) -> str | None:
    return value if value else None


def cddy_points(parsed: ParsedFile) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """CDDY records → point dicts for ``sensors.declare_points``; records of an unknown layout are
    reported as rejected."""
    points, rejected = [], []
    for number, f in parsed.records:
        if len(f) >= 23:  # 2025 layout
            points.append({
                "code": f[0], "kind": f[3], "unit": f[5], "range_high": _blank(f[6]), "range_low": _blank(f[7]),
                "alarm_high": _blank(f[8]), "alarm_low": _blank(f[10]), "cut_high": _blank(f[12]),
                "restore_high": _blank(f[13]), "place": f[18], "feed_code": f[22],
            })
        elif len(f) >= 15:  # KJ1031X layout: no sensor type field
            unit = f[4]
            kind = next((word for marker, word in _UNIT_KINDS if marker in unit.lower()), f[2])
            points.append({
                "code": f[0], "kind": kind, "unit": unit, "alarm_high": _blank(f[7]), "alarm_low": _blank(f[9]),
                "cut_high": _blank(f[11]), "restore_high": _blank(f[12]), "place": f[2],
            })
        else:
            rejected.append((number, f"a point definition has {len(f)} fields, not 24 (2025) or 16 (KJ1031X)"))
    return points, rejected


# --- CDSS -------------------------------------------------------------------------------------------


def _header_time(parsed: ParsedFile) -> int:
    for cell in reversed(parsed.header):
        if cell and ("-" in cell or ":" in cell):
            try:
                return ingest.parse_ts(cell)
            except ValueError:
                continue
    return ingest.parse_ts(parsed.stamp)


def cdss_readings(parsed: ParsedFile) -> tuple[list[ingest.PointReading], list[tuple[int, str]]]:
    """CDSS records → readings (record numbers as ``line``), and the unreadable records."""
    default_ts = _header_time(parsed)
    readings, rejected = [], []
    for number, f in parsed.records:
        if len(f) < 2 or not f[0]:
            rejected.append((number, "a real-time record needs at least 测点编码;测点数值"))
            continue
        try:
            ts = ingest.parse_ts(f[3].replace("/", "-")) if len(f) > 3 and f[3] else default_ts
            readings.append(ingest.PointReading(number, f[0], ts, ingest.parse_value(f[1]),
                                                ingest.parse_status(f[2] if len(f) > 2 else "")))
        except ValueError as exc:
            rejected.append((number, str(exc)))
    return readings, rejected


# --- files and folders ------------------------------------------------------------------------------


def process_file(path: Path) -> FileOutcome:
    """Import one file (no moving); an UploadError becomes a failed outcome."""
    outcome = FileOutcome(name=path.name, status="failed")
    try:
        parsed = parse_file(path.name, path.read_bytes())
        outcome.type = parsed.type
        outcome.warnings += parsed.notes
        if parsed.type not in SUPPORTED:
            raise UploadError(f"files of type {parsed.type} are not imported (only {', '.join(SUPPORTED)})")
        mine = resolve_mine(parsed.mine_code)
        outcome.mine_id = mine.pk
        if parsed.type == "CDDY":
            from minesafe.monitoring import sensors

            points, outcome.rejected = cddy_points(parsed)
            if not points:
                raise UploadError("no point definition could be read")
            outcome.created, outcome.updated, warnings = sensors.declare_points(mine, points)
            outcome.warnings += warnings
        else:
            readings, rejected = cdss_readings(parsed)
            if not readings:
                outcome.rejected = rejected
                raise UploadError("no real-time record could be read")
            result = ingest.store_points(mine.pk, readings)
            outcome.stored, outcome.duplicates = result.stored, result.duplicates
            outcome.rejected = sorted(rejected + result.rejected)
    except UploadError as exc:
        outcome.reason = str(exc)
        return outcome
    outcome.status = "done"
    return outcome


def _sort_key(path: Path) -> tuple[Any, ...]:
    try:
        _code, kind, stamp = parse_name(path.name)
    except UploadError:
        return (0, path.stat().st_mtime, 9, path.name)  # unreadable names: fail them first, by age
    return (1, stamp.timestamp(), _ORDER.get(kind, 9), path.name)


def _move(path: Path, folder: Path, outcome: FileOutcome) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():  # the same file dropped twice: keep both copies
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    if outcome.status == "failed" or outcome.rejected or outcome.warnings:
        target.with_name(target.name + ".reason.txt").write_text(outcome.report(), encoding="utf-8")
    return target


def process_folder(folder: Path | str, *, settle_seconds: float = 0.0) -> list[FileOutcome]:
    """Process every ``*.txt`` file directly in ``folder``, oldest first, moving each to ``done/`` or
    ``failed/``. Files modified less than ``settle_seconds`` ago are left for the next pass (a sync
    client may still be writing them)."""
    folder = Path(folder)
    now = time.time()
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".txt"
             and now - p.stat().st_mtime >= settle_seconds]
    outcomes = []
    for path in sorted(files, key=_sort_key):
        try:
            outcome = process_file(path)
        except DatabaseError:
            raise  # the database is away: leave the file for the next pass
        except Exception as exc:  # a bug must not block the folder: fail this file, keep going
            log.exception("importing %s failed", path.name)
            outcome = FileOutcome(name=path.name, status="failed", reason=f"unexpected error: {exc!r}")
        _move(path, folder / outcome.status, outcome)
        log.info("%s → %s %s", path.name, outcome.status, outcome.reason)
        outcomes.append(outcome)
    return outcomes
