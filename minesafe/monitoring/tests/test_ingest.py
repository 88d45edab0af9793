"""Storing readings (minesafe.monitoring.ingest) and the HTTP bulk endpoint (views_ingest).

Issue #6: every way in is idempotent (same sensor + timestamp twice is stored once), out-of-order
readings are accepted, and the minute aggregates count each stored reading exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minesafe.monitoring import ingest
from minesafe.monitoring.models import Gateway, MinuteAggregate, Reading, Sensor
from minesafe.monitoring.sensors import GATEWAY_TOKEN_PREFIX
from minesafe.registry.models import Mine
from minesafe.testing.factories import World

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)


def make_sensor(mine: Mine, code: str, kind: str = "ch4", location: str = "coal_face", **extra: object) -> Sensor:
    """A sensor row as the registry would create it (thresholds are not under test here)."""
    return Sensor.objects.create(mine=mine, code=code, kind=kind, location=location, **extra)


def make_gateway(mine: Mine, name: str = "gw") -> tuple[Gateway, str]:
    token = GATEWAY_TOKEN_PREFIX + secrets.token_urlsafe(32)
    gateway = Gateway.objects.create(mine=mine, name=name, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                     prefix=token[:8])
    return gateway, token


def stored(sensor: Sensor) -> list[tuple[dt.datetime, float, int]]:
    return list(Reading.objects.filter(sensor_id=sensor.pk).order_by("ts").values_list("ts", "value", "status"))


def aggregate(sensor: Sensor, minute: dt.datetime) -> MinuteAggregate:
    return MinuteAggregate.objects.get(sensor=sensor, minute=minute)


@pytest.fixture
def ch4(world: World) -> Sensor:
    return make_sensor(world.mine_a, "210323A01MN0001")


# --- store() ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_store_is_idempotent_and_aggregates_count_once(ch4: Sensor) -> None:
    batch = [(ch4.pk, T0 + dt.timedelta(seconds=s), 0.1 * s, 0) for s in range(0, 60, 10)]
    first = ingest.store(batch)
    assert (first.stored, first.duplicates, first.rejected) == (6, 0, [])
    again = ingest.store(batch)
    assert (again.stored, again.duplicates) == (0, 6)
    assert len(stored(ch4)) == 6
    agg = aggregate(ch4, T0)
    assert agg.n == 6
    assert agg.min_value == 0.0 and math.isclose(agg.max_value, 5.0)
    assert math.isclose(agg.sum_value, 15.0)
    assert math.isclose(agg.last_value, 5.0) and agg.last_ts == T0 + dt.timedelta(seconds=50)


@pytest.mark.django_db
def test_out_of_order_readings_are_accepted_and_last_is_by_time(ch4: Sensor) -> None:
    ingest.store([(ch4.pk, T0 + dt.timedelta(seconds=30), 0.3, 0)])
    late = ingest.store([(ch4.pk, T0 + dt.timedelta(seconds=5), 0.9, 0),      # earlier, arrives later
                         (ch4.pk, T0 + dt.timedelta(seconds=30), 0.3, 0)])    # duplicate of the first
    assert (late.stored, late.duplicates) == (1, 1)
    agg = aggregate(ch4, T0)
    assert agg.n == 2 and agg.max_value == 0.9 and math.isclose(agg.sum_value, 1.2)
    assert agg.last_value == 0.3 and agg.last_ts == T0 + dt.timedelta(seconds=30)  # not the late one
    ingest.store([(ch4.pk, T0 + dt.timedelta(seconds=59, microseconds=500), 0.05, 0)])
    agg = aggregate(ch4, T0)
    assert agg.n == 3 and agg.min_value == 0.05 and agg.last_value == 0.05
    assert [row[1] for row in stored(ch4)] == [0.9, 0.3, 0.05]


@pytest.mark.django_db
def test_readings_spread_over_minutes_and_sensors(world: World, ch4: Sensor) -> None:
    co = make_sensor(world.mine_a, "210323A01MN0002", kind="co")
    batch = [(sensor.pk, T0 + dt.timedelta(seconds=s), float(s), 0) for s in range(0, 180, 15) for sensor in (ch4, co)]
    result = ingest.store(reversed(batch))
    assert result.stored == 24
    for sensor in (ch4, co):
        rows = MinuteAggregate.objects.filter(sensor=sensor).order_by("minute")
        assert [(a.minute, a.n, a.min_value, a.max_value, a.sum_value, a.last_value) for a in rows] == [
            (T0 + dt.timedelta(minutes=m), 4, 60.0 * m, 60.0 * m + 45, 4 * 60.0 * m + 90, 60.0 * m + 45)
            for m in range(3)]


@pytest.mark.django_db
def test_repeats_within_one_batch_are_duplicates(ch4: Sensor) -> None:
    result = ingest.store([(ch4.pk, T0, 1.0, 0), (ch4.pk, T0, 2.0, 0), (ch4.pk, T0.timestamp(), 3.0, 0)])
    assert (result.stored, result.duplicates) == (1, 2)
    assert stored(ch4) == [(T0, 1.0, 0)]
    assert aggregate(ch4, T0).n == 1


@pytest.mark.django_db
def test_rejections_are_reported_by_index_and_good_readings_kept(world: World, ch4: Sensor) -> None:
    off = make_sensor(world.mine_a, "210323A01MN0099", active=False)
    now = T0 + dt.timedelta(hours=1)
    batch = [
        (ch4.pk, T0, 0.2, 0),                                       # 0 good
        (999_999_999, T0, 0.2, 0),                                  # 1 unknown sensor
        (off.pk, T0, 0.2, 0),                                       # 2 inactive sensor
        (ch4.pk, T0 + dt.timedelta(seconds=1), float("nan"), 0),    # 3 NaN
        (ch4.pk, T0 + dt.timedelta(seconds=2), float("inf"), 0),    # 4 infinite
        (ch4.pk, now + dt.timedelta(minutes=6), 0.2, 0),            # 5 too far ahead
        (ch4.pk, now + dt.timedelta(minutes=4), 0.2, 0),            # 6 clock drift within 5 minutes: kept
        (ch4.pk, dt.datetime(1999, 12, 31, tzinfo=UTC), 0.2, 0),    # 7 unset gateway clock
        (ch4.pk, T0 + dt.timedelta(seconds=3), 0.2, -1),            # 8 bad status
        (ch4.pk, "yesterday", 0.2, 0),                              # 9 unparsable time
        (ch4.pk, T0 + dt.timedelta(seconds=4), "0.4", 4),           # 10 numeric text, calibrating: kept
        ("210323A01MN0001", T0, 0.2, 0),                            # 11 a code is not a sensor id
        (ch4.pk, T0),                                               # 12 not a reading
    ]
    result = ingest.store(batch, now=now)
    assert result.stored == 3 and result.duplicates == 0
    assert result.rejected == [
        (1, ingest.UNKNOWN_SENSOR), (2, ingest.UNKNOWN_SENSOR), (3, ingest.NOT_FINITE), (4, ingest.NOT_FINITE),
        (5, ingest.IN_FUTURE), (7, ingest.TOO_EARLY), (8, ingest.BAD_STATUS), (9, ingest.BAD_TS),
        (11, ingest.UNKNOWN_SENSOR), (12, "not a (sensor, ts, value, status) tuple"),
    ]
    assert stored(ch4) == [(T0, 0.2, 0), (T0 + dt.timedelta(seconds=4), 0.4, 4),
                           (now + dt.timedelta(minutes=4), 0.2, 0)]
    assert not Reading.objects.filter(sensor_id=off.pk).exists()


@pytest.mark.django_db
def test_calibrating_readings_keep_their_status(ch4: Sensor) -> None:
    ingest.store([(ch4.pk, T0, 2.0, ingest.CALIBRATING), (ch4.pk, T0 + dt.timedelta(seconds=10), 0.1, 0)])
    assert [row[2] for row in stored(ch4)] == [ingest.CALIBRATING, 0]


@pytest.mark.django_db
def test_large_batch_spans_several_statements(ch4: Sensor) -> None:
    """More rows than one SQLite statement takes (900): chunks must not lose or double rows."""
    batch = [(ch4.pk, T0 + dt.timedelta(seconds=s), float(s % 7), 0) for s in range(2500)]
    assert ingest.store(batch).stored == 2500
    assert ingest.store(batch[1000:2600]).duplicates == 1500
    assert Reading.objects.filter(sensor_id=ch4.pk).count() == 2500
    assert sum(MinuteAggregate.objects.filter(sensor=ch4).values_list("n", flat=True)) == 2500


@pytest.mark.django_db
def test_empty_and_all_rejected_batches_write_nothing(ch4: Sensor) -> None:
    assert ingest.store([]) == ingest.StoreResult(0, 0, [])
    assert ingest.store([(ch4.pk, T0, float("nan"), 0)]).rejected == [(0, ingest.NOT_FINITE)]
    assert not MinuteAggregate.objects.exists()


@pytest.mark.django_db
def test_received_at_is_the_store_time(ch4: Sensor) -> None:
    now = timezone.now()
    ingest.store([(ch4.pk, T0, 0.1, 0)], now=now)
    assert Reading.objects.get(sensor_id=ch4.pk).received_at == now


# --- parsing ----------------------------------------------------------------------------------------


def test_parse_ts_forms() -> None:
    us = int(T0.timestamp()) * 1_000_000
    assert ingest.parse_ts(T0) == us
    assert ingest.parse_ts("2025-03-01T08:00:00Z") == us
    assert ingest.parse_ts("2025-03-01T16:00:00+08:00") == us
    assert ingest.parse_ts("2025-03-01 16:00:00") == us  # naive = platform local time (Asia/Shanghai)
    assert ingest.parse_ts(dt.datetime(2025, 3, 1, 16)) == us
    assert ingest.parse_ts(T0.timestamp()) == us
    assert ingest.parse_ts(str(int(T0.timestamp()))) == us
    assert ingest.parse_ts(int(T0.timestamp()) * 1000 + 250) == us + 250_000  # milliseconds
    assert ingest.parse_ts(1740816000.5) == us + 500_000
    for bad in ("", "soon", None, True, float("nan"), [1]):
        with pytest.raises(ValueError):
            ingest.parse_ts(bad)


def test_parse_ndjson_reports_bad_lines() -> None:
    text = "\n".join([
        json.dumps({"point": "P1", "ts": "2025-03-01T08:00:00Z", "value": 0.3, "status": 1}),
        "",
        "{not json",
        json.dumps({"point": "P1", "ts": "2025-03-01T08:00:10Z"}),
        json.dumps({"point": "", "ts": 1740816000, "value": 1}),
        json.dumps([1, 2]),
        json.dumps({"point": "P2", "ts": 1740816000, "value": "0.5"}),
        json.dumps({"point": "P2", "ts": 1740816001, "value": True}),
    ])
    readings, errors = ingest.parse_ndjson(text)
    assert [(r.line, r.point, r.value, r.status) for r in readings] == [(1, "P1", 0.3, 1), (7, "P2", 0.5, 0)]
    assert [line for line, _ in errors] == [3, 4, 5, 6, 8]
    assert errors[0][1] == "not valid JSON"


def test_parse_csv_header_order_and_line_numbers() -> None:
    text = "\ufeffts,point,value,status\n2025-03-01 16:00:00,P1,0.25,0\n\nbad,P1,0.3,\n1740816010,P2,x,0\n" \
           "1740816020,P2,0.5,4,extra\n1740816030,P2,0.6\n"
    readings, errors = ingest.parse_csv(text)
    assert [(r.line, r.point, r.value, r.status) for r in readings] == [(2, "P1", 0.25, 0), (7, "P2", 0.6, 0)]
    assert errors == [(4, ingest.BAD_TS), (5, ingest.NOT_FINITE), (6, "more fields than the header")]
    with pytest.raises(ValueError, match="header"):
        ingest.parse_csv("sensor,time,reading\nP1,1,2\n")


def test_parse_mqtt_payload_array_or_ndjson() -> None:
    array = json.dumps([{"point": "P1", "ts": 1740816000, "value": 1}, {"point": "P1", "ts": "x", "value": 1}])
    readings, errors = ingest.parse_mqtt_payload(array.encode())
    assert len(readings) == 1 and errors == [(2, ingest.BAD_TS)]
    readings, errors = ingest.parse_mqtt_payload(b'{"point": "P1", "ts": 1740816000, "value": 1}\n')
    assert len(readings) == 1 and not errors
    assert ingest.parse_mqtt_payload(b"[broken") == ([], [(1, "not valid JSON")])


@pytest.mark.django_db
def test_store_points_resolves_codes_within_the_mine_only(world: World, ch4: Sensor) -> None:
    make_sensor(world.mine_b, "B-CH4")
    records = [ingest.PointReading(1, ch4.code, ingest.parse_ts(T0), 0.2),
               ingest.PointReading(2, "B-CH4", ingest.parse_ts(T0), 0.2),   # another mine's point
               ingest.PointReading(3, "NOPE", ingest.parse_ts(T0), 0.2)]
    result = ingest.store_points(world.mine_a.pk, records)
    assert result.stored == 1
    assert result.rejected == [(2, ingest.UNKNOWN_POINT), (3, ingest.UNKNOWN_POINT)]
    assert Reading.objects.count() == 1


# --- HTTP bulk endpoint -----------------------------------------------------------------------------

URL = "/monitoring/ingest/readings/"


def _post(body: str | bytes, token: str | None, content_type: str = "application/x-ndjson", **extra: str):
    headers = {"HTTP_AUTHORIZATION": f"Gateway {token}"} if token else {}
    return Client().post(URL, data=body, content_type=content_type, **headers, **extra)


def _ndjson(*rows: dict) -> str:
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n"


def test_route_name() -> None:
    assert reverse("monitoring:ingest_http") == URL


@pytest.mark.django_db
def test_http_ndjson_stores_good_lines_and_reports_bad_ones(world: World, ch4: Sensor) -> None:
    gateway, token = make_gateway(world.mine_a)
    body = _ndjson({"point": ch4.code, "ts": "2025-03-01T08:00:00Z", "value": 0.31, "status": 0},
                   {"point": ch4.code, "ts": "2025-03-01T08:00:10Z", "value": 0.42, "status": 4},
                   {"point": ch4.code, "ts": "later", "value": 0.5},
                   {"point": "未知测点", "ts": 1740816000, "value": 0.5})
    response = _post(body, token)
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 2, "duplicates": 0, "rejected": [
        {"line": 3, "reason": ingest.BAD_TS}, {"line": 4, "reason": ingest.UNKNOWN_POINT}]}
    assert stored(ch4) == [(T0, 0.31, 0), (T0 + dt.timedelta(seconds=10), 0.42, 4)]
    again = _post(body, token).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    gateway.refresh_from_db()
    assert gateway.last_seen is not None


@pytest.mark.django_db
def test_http_csv_with_status_and_gbk_body(world: World) -> None:
    sensor = make_sensor(world.mine_a, "回风巷CH4")
    _, token = make_gateway(world.mine_a)
    body = "point,ts,value,status\n回风巷CH4,2025-03-01 16:00:00,0.5,0\n回风巷CH4,2025-03-01 16:00:30,0.6,\n"
    response = _post(body.encode("gbk"), token, content_type="text/csv")
    assert response.status_code == 200
    assert response.json()["stored"] == 2
    response = _post(body.encode("utf-8"), token, content_type="text/csv; charset=utf-8")
    assert response.json() == {"stored": 0, "duplicates": 2, "rejected": []}
    assert [row[0] for row in stored(sensor)] == [T0, T0 + dt.timedelta(seconds=30)]


@pytest.mark.django_db
def test_http_gateway_writes_only_its_own_mine(world: World, ch4: Sensor) -> None:
    make_sensor(world.mine_b, ch4.code)  # the same code exists at the other mine
    _, token_b = make_gateway(world.mine_b, "gw-b")
    response = _post(_ndjson({"point": ch4.code, "ts": 1740816000, "value": 9.9}), token_b)
    assert response.status_code == 200
    assert not Reading.objects.filter(sensor_id=ch4.pk).exists()
    assert Reading.objects.filter(sensor__mine=world.mine_b).count() == 1


@pytest.mark.django_db
def test_http_refusals(world: World, ch4: Sensor, settings) -> None:
    gateway, token = make_gateway(world.mine_a)
    line = _ndjson({"point": ch4.code, "ts": 1740816000, "value": 0.1})
    assert _post(line, None).status_code == 401
    assert _post(line, "wrong-token").status_code == 401
    assert _post(line, GATEWAY_TOKEN_PREFIX + "wrong").status_code == 401
    assert Client().post(URL, data=line, content_type="application/x-ndjson",
                         HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    response = _post(line, token, content_type="application/json")
    assert response.status_code == 415
    assert _post("\n\n", token).status_code == 422
    response = _post("{broken\n[]\n", token)
    assert response.status_code == 422
    assert response.json()["rejected"] == [{"line": 1, "reason": "not valid JSON"},
                                           {"line": 2, "reason": "not an object with point, ts and value"}]
    assert _post("a,b\n1,2\n", token, content_type="text/csv").status_code == 422
    response = Client().generic("POST", URL, b"point,ts,value\n", content_type="text/csv; charset=bogus",
                                HTTP_AUTHORIZATION=f"Gateway {token}")
    assert response.status_code == 422
    settings.MONITORING_HTTP_MAX_BYTES = 100
    assert _post(line * 3, token).status_code == 413
    assert _post(line, token).status_code == 200
    Gateway.objects.filter(pk=gateway.pk).update(active=False)
    assert _post(line, token).status_code == 401
    assert Reading.objects.count() == 1
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Gateway {token}").status_code == 405


@pytest.mark.django_db
def test_http_needs_no_csrf_token_or_session(world: World, ch4: Sensor) -> None:
    _, token = make_gateway(world.mine_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.county_inspector)
    response = client.post(URL, data=_ndjson({"point": ch4.code, "ts": 1740816000, "value": 0.1}),
                           content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Gateway {token}")
    assert response.status_code == 200
    response = client.post(URL, data="", content_type="application/x-ndjson")
    assert response.status_code == 401  # a user session is no gateway


# --- partitions (monitoring_partitions) -------------------------------------------------------------


def _partition_of(sensor: Sensor, ts: dt.datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM monitoring_reading WHERE sensor_id = %s AND ts = %s",
                       [sensor.pk, ts])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_partitions_ensure_moves_default_rows_and_drop_keeps_three_months(ch4: Sensor) -> None:
    from minesafe.monitoring import partitions

    future = dt.datetime(2031, 5, 10, tzinfo=UTC)
    ingest.store([(ch4.pk, future, 0.1, 0)], now=future)
    if connection.vendor != "postgresql":  # SQLite: one plain table; retention deletes rows
        assert partitions.ensure(connection, today=dt.date(2031, 5, 1)) == []
        assert partitions.drop_older_than(connection, 3, today=dt.date(2031, 8, 31)) == ["0 rows"]
        assert partitions.drop_older_than(connection, 3, today=dt.date(2031, 9, 1)) == ["1 rows"]
        assert not Reading.objects.filter(sensor_id=ch4.pk).exists()
        return
    now = timezone.now()
    ingest.store([(ch4.pk, now - dt.timedelta(minutes=1), 0.1, 0)])
    assert _partition_of(ch4, now - dt.timedelta(minutes=1)) == f"monitoring_reading_{now:%Y%m}"
    assert _partition_of(ch4, future) == "monitoring_reading_default"
    created = partitions.ensure(connection, today=dt.date(2031, 5, 1), back=0, ahead=0)
    assert created == ["monitoring_reading_203105"]
    assert _partition_of(ch4, future) == "monitoring_reading_203105"
    assert partitions.ensure(connection, today=dt.date(2031, 5, 1), back=0, ahead=0) == []
    dropped = partitions.drop_older_than(connection, 3, today=dt.date(2031, 8, 31))
    assert "monitoring_reading_203105" not in dropped  # on 31 August the end of May is 3 months back
    assert Reading.objects.filter(sensor_id=ch4.pk).exists()
    dropped = partitions.drop_older_than(connection, 3, today=dt.date(2031, 9, 1))
    assert "monitoring_reading_203105" in dropped
    assert not Reading.objects.filter(sensor_id=ch4.pk, ts=future).exists()


@pytest.mark.django_db
def test_partitions_command(ch4: Sensor) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    now = timezone.now()
    old = now - dt.timedelta(days=400)
    ingest.store([(ch4.pk, old, 0.1, 0), (ch4.pk, now - dt.timedelta(days=1), 0.2, 0)], now=now)
    out = StringIO()
    call_command("monitoring_partitions", "--ensure", "--drop-older-than-months", stdout=out)
    text = out.getvalue()
    assert "dropped (older than 3 months)" in text
    assert list(Reading.objects.filter(sensor_id=ch4.pk).values_list("value", flat=True)) == [0.2]
    if connection.vendor == "postgresql":
        assert "created: none (all present)" in text
        assert _partition_of(ch4, now - dt.timedelta(days=1)).startswith("monitoring_reading_2")
    with pytest.raises(CommandError, match="nothing to do"):
        call_command("monitoring_partitions")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("monitoring_partitions", "--drop-older-than-months", "0")
