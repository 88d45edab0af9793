"""Sensor registry pages: the sensor list (filter, sort, xlsx), a sensor's thresholds against the
rule's defaults with the citation, create/edit, threshold override, and mine gateways. Views parse
input, call one service of ``monitoring.sensors`` and render; every queryset starts from
``visible_to``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minesafe.accounts.decorators import requires
from minesafe.accounts.permissions import has_perm
from minesafe.core.errors import FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.listing import Listing, apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.models import AuditEntry
from minesafe.core.xlsx import XLSX_CONTENT_TYPE, Column, write_workbook
from minesafe.monitoring import sensors as services
from minesafe.monitoring.choices import SensorKind, SensorLocation
from minesafe.monitoring.forms_sensors import GatewayForm, SensorForm, ThresholdsForm
from minesafe.monitoring.models import Gateway, Sensor
from minesafe.registry.models import Mine
from minesafe.rules.monitoring import FIELD_LABELS

SENSOR_SORTS = {"code": "code", "mine": "mine__name", "kind": "kind", "location": "location",
                "overridden": "thresholds_overridden", "updated": "updated_at"}
_YES = {"1", "true", "yes"}
_NO = {"0", "false", "no"}


def _sensor_listing(request: HttpRequest, paginate: bool = True) -> Listing:
    qs = Sensor.objects.visible_to(request.user).select_related("mine", "feed_sensor")
    overridden = request.GET.get("overridden", "").strip().lower()[:8]
    if overridden in _YES:
        qs = qs.filter(thresholds_overridden=True)
    elif overridden in _NO:
        qs = qs.filter(thresholds_overridden=False)
    listing = apply_listing(
        request, qs, search_fields=("code", "place", "mine__name"),
        filter_fields={"mine": "mine_id", "kind": "kind", "location": "location"},
        sort_fields=SENSOR_SORTS, default_sort="mine", paginate=paginate, int_params=frozenset({"mine"}),
    )
    if overridden in _YES | _NO:
        listing.filters["overridden"] = overridden
    return listing


@requires("monitoring.view")
def sensor_list(request: HttpRequest) -> HttpResponse:
    listing = _sensor_listing(request)
    rows = [(s, services.looser_fields(s)) for s in listing.page]
    return render(request, "monitoring/sensors/list.html", {
        "listing": listing, "rows": rows, "kinds": SensorKind.choices, "locations": SensorLocation.choices,
        "mines": Mine.objects.visible_to(request.user).filter(sensors__isnull=False).distinct().order_by("name"),
        "labels": FIELD_LABELS,
    })


EXPORT_COLUMNS = [
    Column("mine", "矿山", str, width=24),
    Column("code", "测点编码", str, width=20),
    Column("kind", "传感器类型", str, width=16),
    Column("location", "设置地点", str, width=18),
    Column("place", "安装位置", str, width=24),
    Column("unit", "单位", str, width=8),
    Column("range_low", "量程下限", str),
    Column("range_high", "量程上限", str),
    Column("alarm_high", "上限报警值", str),
    Column("alarm_low", "下限报警值", str),
    Column("cut_high", "断电值", str),
    Column("restore_high", "复电值", str),
    Column("overridden", "阈值已调整", str, width=10),
    Column("looser", "宽于规程的字段", str, width=24),
    Column("feed", "关联馈电测点", str, width=20),
    Column("stale_after_s", "无数据判定（秒）", str),
    Column("active", "启用", str, width=8),
]


@requires("monitoring.view")
def sensor_export(request: HttpRequest) -> HttpResponse:
    listing = _sensor_listing(request, paginate=False)

    def rows() -> Any:
        for s in listing.queryset.iterator(chunk_size=500):
            yield {
                "mine": s.mine.name, "code": s.code, "kind": s.get_kind_display(),
                "location": s.get_location_display(), "place": s.place, "unit": s.unit,
                "range_low": s.range_low, "range_high": s.range_high, "alarm_high": s.alarm_high,
                "alarm_low": s.alarm_low, "cut_high": s.cut_high, "restore_high": s.restore_high,
                "overridden": "是" if s.thresholds_overridden else "否",
                "looser": "、".join(FIELD_LABELS[f] for f in services.looser_fields(s)),
                "feed": s.feed_sensor.code if s.feed_sensor_id else "", "stale_after_s": s.stale_after_s,
                "active": "是" if s.active else "否",
            }

    content = write_workbook(EXPORT_COLUMNS, rows(), title="测点")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="sensors-{stamp}.xlsx"'
    return response


def _visible_sensor(request: HttpRequest, pk: int) -> Sensor:
    return get_object_or_404(Sensor.objects.visible_to(request.user).select_related("mine", "feed_sensor"), pk=pk)


def _detail(request: HttpRequest, sensor: Sensor, form: ThresholdsForm | None = None,
            status: int = 200) -> HttpResponse:
    default = services.defaults_for(sensor.mine, sensor.kind, sensor.location)
    can_manage = has_perm(request.user, "monitoring.manage_sensors")
    history = AuditEntry.objects.filter(object_type="monitoring.sensor", object_id=str(sensor.pk)).order_by(
        "-time", "-id")[:20]
    return render(request, "monitoring/sensors/detail.html", {
        "s": sensor, "rows": services.threshold_rows(sensor), "default": default,
        "form": form or (ThresholdsForm(sensor=sensor) if can_manage else None), "can_manage": can_manage,
        "history": history,
    }, status=status)


@requires("monitoring.view")
def sensor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_sensor(request, pk))


@requires("monitoring.manage_sensors")
def sensor_create(request: HttpRequest) -> HttpResponse:
    form = SensorForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            sensor = services.create_sensor(request.user, form.cleaned_data["mine"], form.service_data(),
                                            request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Sensor registered with the rule's default thresholds."))
            return redirect("monitoring:sensor_detail", pk=sensor.pk)
    return render(request, "monitoring/sensors/form.html", {"form": form, "title": _("New sensor")})


@requires("monitoring.manage_sensors")
def sensor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sensor = _visible_sensor(request, pk)
    form = SensorForm(request.POST or None, user=request.user, instance=sensor)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_sensor(request.user, sensor, form.service_data(), request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("monitoring:sensor_detail", pk=sensor.pk)
    return render(request, "monitoring/sensors/form.html", {"form": form, "title": _("Edit sensor"),
                                                            "object": sensor})


@requires("monitoring.manage_sensors")
@require_POST
def sensor_thresholds(request: HttpRequest, pk: int) -> HttpResponse:
    """Override or reset a sensor's thresholds; a refused override shows the detail page with the
    rule's reasons under each field."""
    sensor = _visible_sensor(request, pk)
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        try:
            services.set_thresholds(request.user, sensor, form.values(), form.cleaned_data["reason"],
                                    reset=form.cleaned_data["reset"], request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Thresholds reset to the rule's defaults.") if form.cleaned_data["reset"]
                             else _("Thresholds saved."))
            return redirect("monitoring:sensor_detail", pk=sensor.pk)
    return _detail(request, sensor, form=form)


# --- gateways ----------------------------------------------------------------------------------


@requires("monitoring.manage_sensors")
def gateway_list(request: HttpRequest) -> HttpResponse:
    gateways = Gateway.objects.visible_to(request.user).select_related("mine").order_by("-active", "mine__name",
                                                                                        "name")
    return render(request, "monitoring/sensors/gateway_list.html", {"gateways": gateways})


@requires("monitoring.manage_sensors")
def gateway_create(request: HttpRequest) -> HttpResponse:
    """Create a gateway and show its token once (the page is not cached)."""
    form = GatewayForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            gateway, token = services.create_gateway(request.user, form.cleaned_data["mine"],
                                                     form.cleaned_data["name"], request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            response = render(request, "monitoring/sensors/gateway_created.html", {"g": gateway, "token": token})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "monitoring/sensors/form.html", {"form": form, "title": _("New gateway"),
                                                            "cancel": "monitoring:gateway_list"})


@requires("monitoring.manage_sensors")
@require_POST
def gateway_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    gateway = get_object_or_404(Gateway.objects.visible_to(request.user), pk=pk)
    services.revoke_gateway(request.user, gateway, request_id=request_id_of(request))
    messages.success(request, _("Gateway %(name)s revoked.") % {"name": gateway.name})
    return redirect("monitoring:gateway_list")
