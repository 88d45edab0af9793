"""Sensor registry services: sensors (测点) and their thresholds, mine gateways, and the point
definitions a mine declares in its CDDY upload files. Views, API, the drop-folder importer and the
demo call these; nothing else writes sensors or gateways.

Each writer: permission (``accounts.permissions.require``) → scope (``Mine.objects.visible_to``)
→ shape checks and ``rules.monitoring`` → write inside ``transaction.atomic`` with an audit entry.

- Thresholds default from ``rules.monitoring.default_thresholds`` by kind and location with the
  mine's gas grade and sector (DOMAIN §4.1, §4.2, §9). An override (:func:`set_thresholds`) that is
  looser than the rule is refused (DOMAIN §5 engine notes); every override or reset is audited
  with before, after and the reason.
- Declared points (:func:`declare_points`, CDDY 测点定义, DOMAIN §5) keep the mine's thresholds as
  declared — the engine alarms on what the mine's own system uses — but the looser ones are
  reported and written into the audit entry, since a declared threshold looser than 规程 is itself
  a violation (HM-7; 2020 standard Art. 7(2)).
- Gateway tokens are random, shown once, stored as SHA-256 (like API tokens).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors
from minesafe.monitoring.choices import SensorKind, SensorLocation
from minesafe.monitoring.models import Gateway, Sensor
from minesafe.registry.models import Mine
from minesafe.rules import monitoring as rules

__all__ = [
    "SENSOR_FIELDS", "THRESHOLD_FIELDS", "check_sensor", "create_gateway", "create_sensor", "declare_points",
    "defaults_for", "gateway_for_token", "kind_from_text", "location_from_text", "looser_fields", "revoke_gateway",
    "set_thresholds", "threshold_rows", "update_sensor",
]

SENSOR_FIELDS = ("code", "kind", "location", "place", "unit", "range_low", "range_high", "min_duration_s",
                 "repeat_count", "repeat_window_s", "stale_after_s", "feed_sensor", "active")
THRESHOLD_FIELDS = rules.THRESHOLD_FIELDS
_FLOATS = ("range_low", "range_high", *THRESHOLD_FIELDS)
_INTS = {"min_duration_s": 7 * 86400, "repeat_count": 1000, "repeat_window_s": 7 * 86400,
         "stale_after_s": 30 * 86400}
_TEXT = {"code": 40, "place": 100, "unit": 12}
GATEWAY_TOKEN_PREFIX = "gw_"  # noqa: S105 — the public marker of a gateway token, not a secret
LAST_SEEN_EVERY = dt.timedelta(minutes=1)
_BIG = 1e12  # readings and thresholds beyond this are typing errors, not measurements


# --- rules of a stored sensor ------------------------------------------------------------------


def defaults_for(mine: Mine, kind: str, location: str) -> rules.Thresholds:
    """The rule's thresholds for a sensor of ``kind`` at ``location`` in ``mine`` (gas grade, sector)."""
    return rules.default_thresholds(kind, location, gas_grade=mine.gas_grade or "", sector=mine.sector or "")


def _values(sensor: Sensor) -> dict[str, float | None]:
    return {f: getattr(sensor, f) for f in (*rules.RANGE_FIELDS, *THRESHOLD_FIELDS)}


def check_sensor(sensor: Sensor) -> rules.Verdict:
    """The stored range and thresholds judged against the rule (DOMAIN §5: looser is a violation)."""
    return rules.check_override(sensor.kind, sensor.location, _values(sensor), gas_grade=sensor.mine.gas_grade or "",
                                sector=sensor.mine.sector or "")


def looser_fields(sensor: Sensor) -> list[str]:
    """Fields of the sensor whose stored value the rule refuses (flagged on pages and exports)."""
    return rules.check_declared(sensor.kind, sensor.location, _values(sensor), gas_grade=sensor.mine.gas_grade or "",
                                sector=sensor.mine.sector or "")


def threshold_rows(sensor: Sensor) -> list[dict[str, Any]]:
    """Per field: label, stored value, the rule's default and the refusals (for the detail page and API)."""
    default = defaults_for(sensor.mine, sensor.kind, sensor.location)
    problems = check_sensor(sensor).field_errors()
    rows = []
    for name in (*THRESHOLD_FIELDS, *rules.RANGE_FIELDS):
        current, rule = getattr(sensor, name), getattr(default, name)
        rows.append({"field": name, "label": rules.FIELD_LABELS[name], "value": current, "default": rule,
                     "differs": not _same(current, rule), "problems": problems.get(name, [])})
    return rows


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)


def _overridden(values: Mapping[str, float | None], default: rules.Thresholds) -> bool:
    return any(not _same(values.get(f), getattr(default, f)) for f in THRESHOLD_FIELDS)


def _snapshot(sensor: Sensor) -> dict[str, Any]:
    return audit.snapshot(sensor)


# --- input shape -------------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not math.isfinite(number) or abs(number) > _BIG:
        raise ValueError
    return number


def _clean(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    allowed = tuple(fields)
    unknown = set(data) - set(allowed) - ({"feed_sensor_id"} if "feed_sensor" in allowed else set())
    if unknown:
        raise FieldErrors({k: [_("Unknown field.")] for k in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "feed_sensor_id":
            name = "feed_sensor"
        if name in _TEXT:
            value = "" if value is None else str(value).strip()
            if len(value) > _TEXT[name]:
                errors.setdefault(name, []).append(
                    _("Ensure this value has at most %(n)d characters.") % {"n": _TEXT[name]})
        elif name in _FLOATS:
            try:
                value = _float(value)
            except (TypeError, ValueError):
                errors.setdefault(name, []).append(_("Enter a number."))
        elif name in _INTS:
            if value is None or value == "":
                value = 0
            try:
                if isinstance(value, bool) or float(value) != int(float(value)):
                    raise ValueError
                value = int(float(value))
            except (TypeError, ValueError, OverflowError):
                errors.setdefault(name, []).append(_("Enter a whole number."))
            else:
                if not 0 <= value <= _INTS[name]:
                    errors.setdefault(name, []).append(
                        _("Enter a value between 0 and %(max)d.") % {"max": _INTS[name]})
        elif name in ("kind", "location"):
            value = "" if value is None else str(value).strip()
        elif name == "active":
            value = bool(value)
        out[name] = value
    if errors:
        raise FieldErrors(errors)
    return out


def _feed(value: Any, mine: Mine, instance: Sensor | None, errors: dict[str, list[str]]) -> Sensor | None:
    """The linked feed (馈电) sensor: a feed-kind sensor of the same mine, never the sensor itself."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Sensor) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        errors.setdefault("feed_sensor", []).append(_("Select a valid choice."))
        return None
    feed = Sensor.objects.filter(pk=pk, mine=mine).first() if 0 < pk < 2**62 else None
    if feed is None:
        errors.setdefault("feed_sensor", []).append(_("The feed sensor must belong to the same mine."))
        return None
    if feed.kind != SensorKind.FEED:
        errors.setdefault("feed_sensor", []).append(_("The linked sensor must be a feed (power status) sensor."))
        return None
    if instance is not None and feed.pk == instance.pk:
        errors.setdefault("feed_sensor", []).append(_("A sensor cannot be its own feed sensor."))
        return None
    return feed


def _validate(values: dict[str, Any], mine: Mine, instance: Sensor | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind = values.get("kind", instance.kind if instance else "")
    location = values.get("location", instance.location if instance else "")
    if instance is None:
        for name in ("code", "kind", "location"):
            if not values.get(name):
                errors.setdefault(name, []).append(_("This field is required."))
    else:
        for name in ("code", "location"):
            if name in values and not values[name]:
                errors.setdefault(name, []).append(_("This field is required."))
        if "kind" in values and values["kind"] != instance.kind:
            errors.setdefault("kind", []).append(
                _("The type of a measuring point cannot change; create a new sensor instead."))
    if kind and kind not in SensorKind.values:
        errors.setdefault("kind", []).append(_("Select a valid choice."))
    if location and location not in SensorLocation.values:
        errors.setdefault("location", []).append(_("Select a valid choice."))
    code = values.get("code")
    if code:
        clash = Sensor.objects.filter(mine=mine, code=code)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors.setdefault("code", []).append(_("This mine already has a sensor with this point code."))
    if "feed_sensor" in values:
        values["feed_sensor"] = _feed(values["feed_sensor"], mine, instance, errors)
    count = values.get("repeat_count", instance.repeat_count if instance else 0)
    window = values.get("repeat_window_s", instance.repeat_window_s if instance else 0)
    if isinstance(count, int) and isinstance(window, int) and bool(count) != bool(window):
        errors.setdefault("repeat_window_s", []).append(
            _("Set both the number of exceedances and the window, or neither."))
    return errors


def _visible_mine(actor: Any, mine: Mine | None, field: str = "mine") -> Mine:
    if mine is None:
        raise FieldErrors.single(field, _("This field is required."))
    found = Mine.objects.visible_to(actor).filter(pk=mine.pk).first()
    if found is None:
        raise FieldErrors.single(field, _("Mine not found."))
    return found


def _rule_errors(sensor_values: Mapping[str, Any], kind: str, location: str, mine: Mine,
                 only: Iterable[str] | None = None) -> dict[str, list[str]]:
    verdict = rules.check_override(kind, location, sensor_values, gas_grade=mine.gas_grade or "",
                                   sector=mine.sector or "")
    keep = set(only) if only is not None else None
    errors: dict[str, list[str]] = {}
    for reason in verdict.reasons:
        if keep is None or reason.field in keep:
            errors.setdefault(reason.field or "__all__", []).append(reason.message)
    return errors


# --- sensors -----------------------------------------------------------------------------------


def create_sensor(actor: Any, mine: Mine, data: Mapping[str, Any], *, request_id: str = "") -> Sensor:
    """Register a measuring point at one of the actor's mines. Range and thresholds default from
    ``rules.monitoring.default_thresholds`` (DOMAIN §4.1, §4.2, §9) for the mine's gas grade and
    sector; a given range must cover the rule's. Thresholds are changed only by :func:`set_thresholds`."""
    require(actor, "monitoring.manage_sensors")
    mine = _visible_mine(actor, mine)
    values = _clean(data, SENSOR_FIELDS)
    errors = _validate(values, mine, None)
    if errors:
        raise FieldErrors(errors)
    default = defaults_for(mine, values["kind"], values["location"])
    for name in rules.RANGE_FIELDS:
        if values.get(name) is None:
            values[name] = getattr(default, name)
    if not values.get("unit"):
        values["unit"] = default.unit
    thresholds = {f: getattr(default, f) for f in THRESHOLD_FIELDS}
    errors = _rule_errors({**thresholds, "range_low": values["range_low"], "range_high": values["range_high"]},
                          values["kind"], values["location"], mine)
    if errors:
        raise FieldErrors(errors)
    sensor = Sensor(mine=mine, **values, **thresholds, thresholds_overridden=False)
    try:
        with transaction.atomic():
            sensor.save()
            audit.record(actor=actor, action="monitoring.sensor.create", obj=sensor, after=_snapshot(sensor),
                         message=default.citation.note, request_id=request_id)
    except IntegrityError:
        raise FieldErrors.single("code", _("This mine already has a sensor with this point code.")) from None
    return sensor


def update_sensor(actor: Any, sensor: Sensor, data: Mapping[str, Any], *, request_id: str = "") -> Sensor:
    """Change a sensor's code, location, place, unit, range, alarm conditions, feed link or activity.

    The type cannot change. A new location re-derives the default thresholds of a sensor that is not
    overridden; an overridden one must still satisfy the new location's rule (DOMAIN §4.2). Existing
    declared problems of fields the edit does not touch do not block the edit."""
    require(actor, "monitoring.manage_sensors", sensor)
    sensor = Sensor.objects.select_related("mine").get(pk=sensor.pk)
    mine = sensor.mine
    values = _clean(data, SENSOR_FIELDS)
    errors = _validate(values, mine, sensor)
    if errors:
        raise FieldErrors(errors)
    changed = {k for k, v in values.items() if getattr(sensor, k) != v}
    if not changed:
        return sensor
    location = values.get("location", sensor.location)
    default = defaults_for(mine, sensor.kind, location)
    after = {**_values(sensor), **{k: v for k, v in values.items() if k in rules.RANGE_FIELDS}}
    if "location" in changed and not sensor.thresholds_overridden:
        after.update({f: getattr(default, f) for f in THRESHOLD_FIELDS})
    errors = {}
    if "location" in changed:
        errors = _rule_errors(after, sensor.kind, location, mine)
        if errors and sensor.thresholds_overridden:
            errors.setdefault("location", []).append(
                _("The overridden thresholds do not meet the rule for this location; reset them first."))
    elif changed & set(rules.RANGE_FIELDS):
        # Only what the new range causes: problems the sensor already had (a declared point) stay flagged.
        had = set(_rule_errors(_values(sensor), sensor.kind, location, mine))
        errors = {f: m for f, m in _rule_errors(after, sensor.kind, location, mine).items()
                  if f in changed or f not in had}
    if errors:
        raise FieldErrors(errors)
    before = _snapshot(sensor)
    for name, value in values.items():
        setattr(sensor, name, value)
    for name in THRESHOLD_FIELDS:
        setattr(sensor, name, after[name])
    try:
        with transaction.atomic():
            sensor.save()
            audit.record(actor=actor, action="monitoring.sensor.update", obj=sensor, before=before,
                         after=_snapshot(sensor), request_id=request_id)
    except IntegrityError:
        raise FieldErrors.single("code", _("This mine already has a sensor with this point code.")) from None
    return sensor


def set_thresholds(actor: Any, sensor: Sensor, values: Mapping[str, Any], reason: str, *, reset: bool = False,
                   request_id: str = "") -> Sensor:
    """Override a sensor's alarm / cut / restore levels, or reset them to the rule's defaults.

    An override looser than the rule is refused per field with the rule's citation (DOMAIN §5
    engine notes: a declared threshold looser than 规程 is itself a violation; levels from DOMAIN
    §4.1, §4.2, §9); stricter levels are accepted. ``values`` may give some of ``alarm_high``,
    ``alarm_low``, ``cut_high``, ``restore_high`` (``None`` = unset); the others keep their stored
    value. ``thresholds_overridden`` is true while the levels differ from the defaults. The audit
    entry keeps before, after and the reason, which is required."""
    require(actor, "monitoring.manage_sensors", sensor)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Give the reason for the change.")]
    elif len(reason) > 500:
        errors["reason"] = [_("Ensure this value has at most %(n)d characters.") % {"n": 500}]
    given = {} if reset else _clean(values, THRESHOLD_FIELDS)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        sensor = Sensor.objects.select_for_update().get(pk=sensor.pk)
        mine = Mine.objects.get(pk=sensor.mine_id)
        sensor.mine = mine
        default = defaults_for(mine, sensor.kind, sensor.location)
        new = {f: getattr(default, f) for f in THRESHOLD_FIELDS} if reset else {
            f: given.get(f, getattr(sensor, f)) for f in THRESHOLD_FIELDS}
        if not reset:
            problems = _rule_errors({**_values(sensor), **new}, sensor.kind, sensor.location, mine,
                                    only=THRESHOLD_FIELDS)
            if problems:
                raise FieldErrors(problems)
        before = {f: getattr(sensor, f) for f in (*THRESHOLD_FIELDS, "thresholds_overridden")}
        for name, value in new.items():
            setattr(sensor, name, value)
        sensor.thresholds_overridden = _overridden(new, default)
        sensor.save(update_fields=[*THRESHOLD_FIELDS, "thresholds_overridden", "updated_at"])
        after = {f: getattr(sensor, f) for f in (*THRESHOLD_FIELDS, "thresholds_overridden")}
        audit.record(actor=actor, action="monitoring.sensor.reset_thresholds" if reset else
                     "monitoring.sensor.thresholds", obj=sensor, before=before, after=after, message=reason,
                     request_id=request_id)
    return sensor


# --- gateways ----------------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_gateway(actor: Any, mine: Mine, name: str, *, request_id: str = "") -> tuple[Gateway, str]:
    """A data gateway for one of the actor's mines. The random token is returned once; only its
    SHA-256 and a short prefix (to tell gateways apart) are stored."""
    require(actor, "monitoring.manage_sensors")
    mine = _visible_mine(actor, mine)
    name = (name or "").strip()
    if not name:
        raise FieldErrors.single("name", _("This field is required."))
    if len(name) > 100:
        raise FieldErrors.single("name", _("Ensure this value has at most %(n)d characters.") % {"n": 100})
    raw = GATEWAY_TOKEN_PREFIX + secrets.token_urlsafe(32)
    gateway = Gateway(mine=mine, name=name, token_hash=_hash(raw), prefix=raw[:12])
    with transaction.atomic():
        gateway.save()
        audit.record(actor=actor, action="monitoring.gateway.create", obj=gateway,
                     after=audit.snapshot(gateway, exclude=("token_hash",)), request_id=request_id)
    return gateway, raw


def revoke_gateway(actor: Any, gateway: Gateway, *, request_id: str = "") -> Gateway:
    """Stop accepting a gateway's token (idempotent: revoking a revoked gateway changes nothing)."""
    require(actor, "monitoring.manage_sensors", gateway)
    with transaction.atomic():
        revoked = Gateway.objects.filter(pk=gateway.pk, active=True).update(active=False, updated_at=timezone.now())
        if revoked:
            audit.record(actor=actor, action="monitoring.gateway.revoke", obj=gateway, before={"active": True},
                         after={"active": False}, request_id=request_id)
    gateway.refresh_from_db()
    return gateway


def gateway_for_token(raw: str) -> Gateway | None:
    """The active gateway holding ``raw`` (with its mine), or None. Marks it seen at most once a
    minute, with a conditional update so concurrent requests do not each write."""
    if not raw or len(raw) > 200 or not raw.startswith(GATEWAY_TOKEN_PREFIX):
        return None
    gateway = Gateway.objects.select_related("mine").filter(token_hash=_hash(raw), active=True).first()
    if gateway is None:
        return None
    now = timezone.now()
    if gateway.last_seen is None or gateway.last_seen < now - LAST_SEEN_EVERY:
        stale = Q(last_seen__isnull=True) | Q(last_seen__lt=now - LAST_SEEN_EVERY)
        if Gateway.objects.filter(stale, pk=gateway.pk).update(last_seen=now):
            gateway.last_seen = now
    return gateway


# --- declared points (CDDY) -------------------------------------------------------------------

# 传感器类型 text in CDDY files → kind. Checked in order; the first matching fragment wins.
_KIND_CODES = {"co": SensorKind.CO, "ch4": SensorKind.CH4, "o2": SensorKind.O2}  # whole-word only
_KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("一氧化碳", SensorKind.CO), ("甲烷", SensorKind.CH4), ("瓦斯", SensorKind.CH4), ("氧气", SensorKind.O2),
    ("风速", SensorKind.WIND_SPEED), ("温度", SensorKind.TEMPERATURE), ("烟雾", SensorKind.SMOKE),
    ("馈电", SensorKind.FEED), ("人员", SensorKind.HEADCOUNT), ("人数", SensorKind.HEADCOUNT),
    ("电量", SensorKind.ELECTRICITY), ("用电", SensorKind.ELECTRICITY), ("功率", SensorKind.ELECTRICITY),
    ("浸润线", SensorKind.PHREATIC_LINE), ("干滩", SensorKind.DRY_BEACH), ("库水位", SensorKind.WATER_LEVEL),
    ("水位", SensorKind.WATER_LEVEL), ("位移", SensorKind.DISPLACEMENT),
)

# 安装位置 text → location. Checked in order (more specific first).
_LOCATION_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("隅角",), SensorLocation.UPPER_CORNER),
    (("采煤机",), SensorLocation.SHEARER),
    (("总回风",), SensorLocation.TOTAL_RETURN),
    (("翼回风",), SensorLocation.TOTAL_RETURN),
    (("采区回风",), SensorLocation.PANEL_RETURN),
    (("盘区回风",), SensorLocation.PANEL_RETURN),
    (("掘", "回风"), SensorLocation.HEADING_RETURN),
    (("掘",), SensorLocation.HEADING_FACE),
    (("迎头",), SensorLocation.HEADING_FACE),
    (("工作面", "进风"), SensorLocation.FACE_INTAKE),
    (("工作面", "回风"), SensorLocation.FACE_RETURN),
    (("工作面",), SensorLocation.COAL_FACE),
    (("煤仓",), SensorLocation.COAL_BUNKER),
    (("走廊",), SensorLocation.COAL_BUNKER),
    (("机车",), SensorLocation.ELECTRIC_LOCO),
    (("胶轮车",), SensorLocation.ELECTRIC_LOCO),
    (("抽采泵",), SensorLocation.PUMP_ROOM),
    (("抽放泵",), SensorLocation.PUMP_ROOM),
    (("硐室",), SensorLocation.CHAMBER),
    (("变电所",), SensorLocation.CHAMBER),
    (("泵房",), SensorLocation.CHAMBER),
    (("坝",), SensorLocation.DAM),
    (("边坡",), SensorLocation.SLOPE),
)


def kind_from_text(text: str) -> str | None:
    """A sensor kind from a kind code or CDDY 传感器类型 text (甲烷, 一氧化碳, 馈电 …); None if unknown."""
    raw = (text or "").strip()
    if raw in SensorKind.values:
        return raw
    if raw.lower() in _KIND_CODES:
        return str(_KIND_CODES[raw.lower()])
    for word, kind in _KIND_WORDS:
        if word in raw:
            return str(kind)
    return None


def location_from_text(text: str) -> str:
    """A location from a location code or CDDY 安装位置 text (e.g. "1301工作面上隅角" → upper_corner);
    "other" when nothing matches."""
    raw = (text or "").strip()
    if raw in SensorLocation.values:
        return raw
    for words, location in _LOCATION_WORDS:
        if all(w in raw for w in words):
            return str(location)
    return str(SensorLocation.OTHER)


def _point_values(point: Mapping[str, Any], mine: Mine) -> tuple[dict[str, Any] | None, str]:
    """A CDDY point as sensor fields, or (None, why) when it cannot be used."""
    code = str(point.get("code") or "").strip()
    if not code:
        return None, "测点编码为空"
    if len(code) > _TEXT["code"]:
        return None, f"测点编码超过 {_TEXT['code']} 个字符"
    kind = kind_from_text(str(point.get("kind") or ""))
    if kind is None:
        return None, f"无法识别的传感器类型“{point.get('kind') or ''}”"
    place = str(point.get("place") or point.get("location_text") or "").strip()
    location_raw = str(point.get("location") or "").strip()
    location = location_raw if location_raw in SensorLocation.values else location_from_text(location_raw or place)
    if not place and location_raw not in SensorLocation.values:
        place = location_raw
    default = defaults_for(mine, kind, location)
    values: dict[str, Any] = {"kind": kind, "location": location, "place": place[: _TEXT["place"]],
                              "unit": (str(point.get("unit") or "").strip() or default.unit)[: _TEXT["unit"]]}
    for name in _FLOATS:
        try:
            values[name] = _float(point.get(name))
        except (TypeError, ValueError):
            return None, f"{rules.FIELD_LABELS[name]}不是有效数值：{point.get(name)!r}"
    for name in rules.RANGE_FIELDS:  # an undeclared range (KJ1031X files have none) takes the rule's
        if values[name] is None:
            values[name] = getattr(default, name)
    values["thresholds_overridden"] = _overridden(values, default)
    return values, ""


def declare_points(mine: Mine, points: list[dict[str, Any]], *, request_id: str = "") -> tuple[int, int, list[str]]:
    """Create or update a mine's sensors from its CDDY point definitions (DOMAIN §5), for the
    drop-folder importer (system actor: no user, audited as "system").

    Each point: ``code``, ``kind`` (code or 传感器类型 text), ``unit``, ``range_low``/``range_high``,
    ``alarm_high``, ``alarm_low``, ``cut_high``, ``restore_high``, ``location`` (code or 安装位置 text)
    and/or ``place`` (安装位置 text), optionally ``feed_code`` (关联关系: the feed point's code).
    Declared thresholds are stored as declared; the ones looser than 规程 (``rules.monitoring.
    check_declared``) are listed in the returned warnings and in the sensor's audit entry. Unusable
    points are skipped with a warning; unchanged points are not counted. Returns (created, updated,
    warnings)."""
    created = updated = 0
    warnings: list[str] = []
    feeds: list[tuple[Sensor, str]] = []
    mine = Mine.objects.get(pk=mine.pk)
    with transaction.atomic():
        existing = {s.code: s for s in Sensor.objects.select_for_update().filter(mine=mine)}
        seen: set[str] = set()
        for point in points:
            values, why = _point_values(point, mine)
            code = str(point.get("code") or "").strip()
            if values is None:
                warnings.append(f"测点 {code or '（无编码）'}：{why}，已跳过。")
                continue
            if code in seen:
                warnings.append(f"测点 {code}：在同一文件中重复定义，以最后一条为准。")
            seen.add(code)
            sensor = existing.get(code)
            if sensor is not None and sensor.kind != values["kind"]:
                warnings.append(f"测点 {code}：类型由“{sensor.get_kind_display()}”改为“{values['kind']}”不被接受，"
                                f"已跳过（类型变化须新建测点）。")
                continue
            looser = rules.check_override(values["kind"], values["location"], values,
                                          gas_grade=mine.gas_grade or "", sector=mine.sector or "")
            message = "CDDY 测点定义"
            if not looser.ok:
                labels = "、".join(dict.fromkeys(rules.FIELD_LABELS.get(r.field or "", r.field or "")
                                                 for r in looser.reasons))
                warnings.append(f"测点 {code}：申报阈值宽于规程或不一致（{labels}），已按申报保存并标记。")
                message += "；申报阈值宽于规程：" + " ".join(r.message for r in looser.reasons)
            if sensor is None:
                sensor = Sensor(mine=mine, code=code, **values)
                sensor.save()
                existing[code] = sensor
                created += 1
                audit.record(actor=None, action="monitoring.sensor.declare", obj=sensor, after=_snapshot(sensor),
                             message=message, request_id=request_id)
            else:
                if any(not _equal(getattr(sensor, k), v) for k, v in values.items()):
                    before = _snapshot(sensor)
                    for name, value in values.items():
                        setattr(sensor, name, value)
                    sensor.save()
                    updated += 1
                    audit.record(actor=None, action="monitoring.sensor.declare", obj=sensor, before=before,
                                 after=_snapshot(sensor), message=message, request_id=request_id)
            feed_code = str(point.get("feed_code") or "").strip()
            if feed_code:
                feeds.append((sensor, feed_code))
        for sensor, feed_code in feeds:
            feed = _linked_feed(existing, feed_code, sensor)
            if feed is None:
                warnings.append(f"测点 {sensor.code}：关联的馈电测点 {feed_code} 不存在或不是馈电传感器。")
                continue
            if sensor.feed_sensor_id != feed.pk:
                before = {"feed_sensor_id": sensor.feed_sensor_id}
                Sensor.objects.filter(pk=sensor.pk).update(feed_sensor=feed, updated_at=timezone.now())
                sensor.feed_sensor = feed
                audit.record(actor=None, action="monitoring.sensor.declare", obj=sensor, before=before,
                             after={"feed_sensor_id": feed.pk}, message="CDDY 关联关系", request_id=request_id)
    return created, updated, warnings


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return _same(a, b)
    return a == b


def _linked_feed(sensors: Mapping[str, Sensor], text: str, sensor: Sensor) -> Sensor | None:
    """The feed sensor named by a CDDY 关联关系 field: one or more point codes, possibly written
    ``D-<code>`` (KJ1031X) and separated by commas; the first feed-kind point of the mine wins."""
    for part in re.split(r"[,，、;\s]+", text):
        code = part.strip()
        for candidate in (code, code[2:] if code[:2].upper() in ("D-", "K-") else ""):
            feed = sensors.get(candidate) if candidate else None
            if feed is not None and feed.kind == SensorKind.FEED and feed.pk != sensor.pk:
                return feed
    return None
