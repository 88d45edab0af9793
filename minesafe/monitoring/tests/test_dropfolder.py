"""Drop-folder import of networked monitoring files (DOMAIN §5): CDDY point definitions and CDSS
real-time values, UTF-8 and GBK, done/ and failed/ with reasons, idempotent when dropped twice.

Fixtures (tests/fixtures/): a 2025-layout CDDY file in GBK declaring a CH4, a CO and a feed point of
mine code 140221007301, and a UTF-8 (BOM) CDSS file with good, calibrating, unknown, unreadable and
time-less records.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from minesafe.monitoring import dropfolder, ingest
from minesafe.monitoring.models import MinuteAggregate, Reading, Sensor
from minesafe.monitoring.tests.test_ingest import make_sensor
from minesafe.testing.factories import World

FIXTURES = Path(__file__).parent / "fixtures"
CDDY = "140221007301_CDDY_20250301080000.txt"
CDSS = "140221007301_CDSS_20250301080100.txt"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def drop(folder: Path, fixture: str, name: str | None = None) -> Path:
    target = folder / (name or fixture)
    shutil.copy(FIXTURES / fixture, target)
    return target


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, 1, hour, minute, second, tzinfo=SHANGHAI)


# --- parsing ----------------------------------------------------------------------------------------


def test_parse_name() -> None:
    code, kind, stamp = dropfolder.parse_name("140221007301_CDSS_20250301080100.txt")
    assert (code, kind, stamp) == ("140221007301", "CDSS", at(8, 1))
    for bad in ("140221007301_CDSS_2025030108.txt", "CDSS_20250301080100.txt", "1_CDSS_20251301080100.txt",
                "1_CDSS_20250301080100.csv"):
        with pytest.raises(dropfolder.UploadError):
            dropfolder.parse_name(bad)


def test_parse_gbk_cddy_fixture() -> None:
    parsed = dropfolder.parse_file(CDDY, (FIXTURES / CDDY).read_bytes())
    assert parsed.header[:2] == ["140221007301", "示例煤矿"]
    points, rejected = dropfolder.cddy_points(parsed)
    assert [p["code"] for p in points] == ["14022100730101MN0001", "14022100730101MN0002", "14022100730101KG0001"]
    assert points[0] | {} == {"code": "14022100730101MN0001", "kind": "甲烷", "unit": "%CH4", "range_high": "4.00",
                              "range_low": "0.00", "alarm_high": "1.00", "alarm_low": None, "cut_high": "1.50",
                              "restore_high": "0.99", "place": "1301工作面", "feed_code": "14022100730101KG0001"}
    assert rejected == [(5, "a point definition has 4 fields, not 24 (2025) or 16 (KJ1031X)")]


def test_parse_older_kj1031x_cddy_reads_the_type_from_the_unit() -> None:
    text = ("KJ1031X;安全监控系统;川煤科技;2025-03-01 08:00:00;1;2;0;0;0;0;;~"
            "9901MN01;01;回风巷;;%CH4;;;1.00;;;;1.50;1.00;;;D-K01~"
            "9901MN02;01;回风巷;;ppm;;;24;;;;;;;;~||")
    parsed = dropfolder.parse_file("9901_CDDY_20250301080000.txt", text.encode("gbk"))
    points, rejected = dropfolder.cddy_points(parsed)
    assert not rejected
    assert [(p["code"], p["kind"], p["alarm_high"], p["cut_high"], p["restore_high"]) for p in points] == [
        ("9901MN01", "甲烷", "1.00", "1.50", "1.00"), ("9901MN02", "一氧化碳", "24", None, None)]


def test_parse_cdss_records_and_default_time() -> None:
    parsed = dropfolder.parse_file(CDSS, (FIXTURES / CDSS).read_bytes())
    readings, rejected = dropfolder.cdss_readings(parsed)
    assert [(r.line, r.point, r.value, r.status) for r in readings][:2] == [
        (2, "14022100730101MN0001", 0.32, 0), (3, "14022100730101MN0001", 0.35, 0)]
    assert readings[0].ts == ingest.parse_ts(at(8, 0))
    assert readings[-1].ts == ingest.parse_ts(at(8, 1))  # no own time: the header's 数据生成时间
    assert rejected == [(8, ingest.NOT_FINITE)]


@pytest.mark.parametrize(("text", "message"), [
    ("hdr;x~a;1;0~", "terminator"),
    ("~||", "header"),
    ("", "terminator"),
])
def test_broken_files(text: str, message: str) -> None:
    with pytest.raises(dropfolder.UploadError, match=message):
        dropfolder.parse_file("1_CDSS_20250301080000.txt", text.encode())


def test_undecodable_bytes() -> None:
    with pytest.raises(dropfolder.UploadError, match="neither UTF-8 nor GBK"):
        dropfolder.parse_file("1_CDSS_20250301080000.txt", b"\x81\x30\xff\xff||")


def test_files_are_taken_oldest_first_definitions_first(tmp_path: Path) -> None:
    names = ["7_CDSS_20250301080100.txt", "7_CDDY_20250301080100.txt", "8_CDSS_20250301075900.txt", "junk.txt"]
    for name in names:
        write(tmp_path, name, "")
    assert [p.name for p in sorted(tmp_path.iterdir(), key=dropfolder._sort_key)] == [
        "junk.txt", "8_CDSS_20250301075900.txt", "7_CDDY_20250301080100.txt", "7_CDSS_20250301080100.txt"]


# --- mines ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mine_resolution(world: World) -> None:
    assert dropfolder.resolve_mine(str(world.mine_a.pk)) == world.mine_a
    make_sensor(world.mine_b, "55501MN01")
    assert dropfolder.resolve_mine("555") == world.mine_b
    with pytest.raises(dropfolder.UploadError, match="no mine"):
        dropfolder.resolve_mine("999999999")
    make_sensor(world.mine_a, "55502MN01")
    with pytest.raises(dropfolder.UploadError, match="several mines"):
        dropfolder.resolve_mine("555")


# --- the folder runner ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cddy_then_cdss_then_the_same_cdss_again(world: World, tmp_path: Path) -> None:
    # The first CDDY of a mine names it by its platform id; later files use the real 煤矿编码, found
    # through the declared point codes.
    drop(tmp_path, CDDY, f"{world.mine_a.pk}_CDDY_20250301080000.txt")
    drop(tmp_path, CDSS)
    outcomes = dropfolder.process_folder(tmp_path)
    assert [(o.type, o.status, o.mine_id) for o in outcomes] == [("CDDY", "done", world.mine_a.pk),
                                                                   ("CDSS", "done", world.mine_a.pk)]
    cddy, cdss = outcomes
    assert (cddy.created, cddy.updated) == (3, 0)
    assert cddy.rejected == [(5, "a point definition has 4 fields, not 24 (2025) or 16 (KJ1031X)")]
    sensors = {s.code: s for s in Sensor.objects.filter(mine=world.mine_a)}
    ch4, co, feed = (sensors[f"14022100730101{c}"] for c in ("MN0001", "MN0002", "KG0001"))
    assert (ch4.kind, ch4.unit, ch4.alarm_high, ch4.cut_high, ch4.range_high) == ("ch4", "%CH4", 1.0, 1.5, 4.0)
    assert ch4.feed_sensor_id == feed.pk and feed.kind == "feed" and co.kind == "co"

    assert (cdss.stored, cdss.duplicates) == (6, 0)
    assert cdss.rejected == [(7, ingest.UNKNOWN_POINT), (8, ingest.NOT_FINITE)]
    assert list(Reading.objects.filter(sensor=ch4).order_by("ts").values_list("ts", "value", "status")) == [
        (at(8, 0), 0.32, 0), (at(8, 0, 30), 0.35, 0), (at(8, 0, 45), 1.8, ingest.CALIBRATING)]
    assert Reading.objects.get(sensor=co, value=7).ts == at(8, 1)
    assert MinuteAggregate.objects.get(sensor=ch4).n == 3

    done = tmp_path / "done"
    assert sorted(p.name for p in done.iterdir()) == sorted([
        f"{world.mine_a.pk}_CDDY_20250301080000.txt", f"{world.mine_a.pk}_CDDY_20250301080000.txt.reason.txt",
        CDSS, CDSS + ".reason.txt"])
    report = (done / (CDSS + ".reason.txt")).read_text(encoding="utf-8")
    assert "stored 6, duplicates 0, rejected 2" in report and "record 7: unknown point code" in report
    assert not [p for p in tmp_path.iterdir() if p.is_file()]

    drop(tmp_path, CDSS)  # dropped twice: nothing new
    (again,) = dropfolder.process_folder(tmp_path)
    assert (again.status, again.stored, again.duplicates) == ("done", 0, 6)
    assert Reading.objects.filter(sensor__mine=world.mine_a).count() == 6
    assert MinuteAggregate.objects.get(sensor=ch4).n == 3
    assert (done / "140221007301_CDSS_20250301080100.1.txt").exists()

    drop(tmp_path, CDDY, f"{world.mine_a.pk}_CDDY_20250301080000.txt")  # definitions again: no changes
    (redeclared,) = dropfolder.process_folder(tmp_path)
    assert (redeclared.status, redeclared.created, redeclared.updated) == ("done", 0, 0)


@pytest.mark.django_db
def test_failed_files_get_a_reason(world: World, tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "hello")
    write(tmp_path, f"{world.mine_a.pk}_TJSJ_20250301080000.txt", "h~||")
    write(tmp_path, "999999999_CDSS_20250301080000.txt", "h~P;1;0;2025-03-01 08:00:00~||")
    write(tmp_path, f"{world.mine_a.pk}_CDSS_20250301080100.txt", "h~P;1;0;2025-03-01 08:00:00")
    write(tmp_path, f"{world.mine_a.pk}_CDSS_20250301080200.txt", "h~;;~x~||")
    outcomes = dropfolder.process_folder(tmp_path)
    assert {o.name: o.status for o in outcomes} == dict.fromkeys(
        ["notes.txt", f"{world.mine_a.pk}_TJSJ_20250301080000.txt", "999999999_CDSS_20250301080000.txt",
         f"{world.mine_a.pk}_CDSS_20250301080100.txt", f"{world.mine_a.pk}_CDSS_20250301080200.txt"], "failed")
    failed = tmp_path / "failed"
    reasons = {p.name: p.read_text(encoding="utf-8") for p in failed.glob("*.reason.txt")}
    assert "not {煤矿编码}_{TYPE}" in reasons["notes.txt.reason.txt"]
    assert "type TJSJ are not imported" in reasons[f"{world.mine_a.pk}_TJSJ_20250301080000.txt.reason.txt"]
    assert "no mine is known" in reasons["999999999_CDSS_20250301080000.txt.reason.txt"]
    assert "incomplete" in reasons[f"{world.mine_a.pk}_CDSS_20250301080100.txt.reason.txt"]
    assert "no real-time record" in reasons[f"{world.mine_a.pk}_CDSS_20250301080200.txt.reason.txt"]
    assert len(list(failed.glob("*.txt"))) == 10
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_unexpected_errors_fail_the_file_and_the_pass_goes_on(world: World, tmp_path: Path, monkeypatch) -> None:
    make_sensor(world.mine_a, "P1")
    write(tmp_path, f"{world.mine_a.pk}_CDSS_20250301080000.txt", "h~P1;1;0;2025-03-01 08:00:00~||")
    write(tmp_path, f"{world.mine_a.pk}_CDSS_20250301080100.txt", "h~P1;2;0;2025-03-01 08:01:00~||")
    real = ingest.store_points
    calls = []

    def broken_once(mine_id, records, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bug")
        return real(mine_id, records, **kwargs)

    monkeypatch.setattr(ingest, "store_points", broken_once)
    first, second = dropfolder.process_folder(tmp_path)
    assert (first.status, second.status) == ("failed", "done")
    assert "unexpected error" in first.reason
    assert Reading.objects.count() == 1


@pytest.mark.django_db
def test_settling_files_wait_for_the_next_pass(world: World, tmp_path: Path) -> None:
    write(tmp_path, f"{world.mine_a.pk}_CDSS_20250301080000.txt", "h~P1;1;0;2025-03-01 08:00:00~||")
    assert dropfolder.process_folder(tmp_path, settle_seconds=60) == []
    assert len(dropfolder.process_folder(tmp_path, settle_seconds=0)) == 1


@pytest.mark.django_db
def test_command(world: World, tmp_path: Path, capsys) -> None:
    drop(tmp_path, CDDY, f"{world.mine_a.pk}_CDDY_20250301080000.txt")
    drop(tmp_path, CDSS)
    call_command("monitoring_dropfolder", folder=str(tmp_path))
    out = capsys.readouterr().out
    assert f"{world.mine_a.pk}_CDDY_20250301080000.txt: done (points created 3, updated 0, 1 records rejected)" in out
    assert f"{CDSS}: done (stored 6, duplicates 0, 2 records rejected)" in out
    with pytest.raises(Exception, match="not a folder"):
        call_command("monitoring_dropfolder", folder=str(tmp_path / "missing"))
