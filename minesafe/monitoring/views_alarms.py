"""Monitoring pages (/monitoring/): the overview of active alarms, the alarm list (filters, grouped by
mine, xlsx export), the alarm detail with its episode chart, timeline and one form per action (each
posted to its own route, which calls one service of ``minesafe.monitoring.alarms``), the live panel of
a mine (one SVG chart per sensor with its thresholds, redrawn every 10 s from ``data.json``), the map
of mines coloured by their most severe active alarm, and the falsification flags with their decision.

Every read starts from a ``visible_to`` queryset, so an alarm, flag or mine outside the user's
jurisdiction (or, for an enterprise, not its own) answers 404; the three admin roles hold no
``monitoring.*`` permission and get 403 everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minesafe.accounts.decorators import requires
from minesafe.accounts.permissions import has_perm
from minesafe.core.errors import Conflict, FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.listing import Listing, apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.models import AuditEntry
from minesafe.core.xlsx import XLSX_CONTENT_TYPE, Column, text, write_workbook
from minesafe.monitoring import alarms, queries
from minesafe.monitoring.choices import AlarmKind, FalsificationPattern, FlagStatus, Severity
from minesafe.monitoring.forms_alarms import ACTION_FORMS, AlarmActionForm, FlagDecideForm
from minesafe.monitoring.models import ACTIVE_ALARM, Alarm, FalsificationFlag, Sensor
from minesafe.registry.models import Mine

SEVERITY_COLOURS = {s: queries.LEVEL_COLOURS[s] for s in Severity.values}
FLAG_COLOURS = {FlagStatus.OPEN: "orange", FlagStatus.CONFIRMED: "red", FlagStatus.DISMISSED: "grey"}


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _rid(request: HttpRequest) -> str:
    return request_id_of(request)


ID_MAX = 2**63 - 1


def _bounded(pk: int) -> int:
    """A path id the database can compare (a bigger one is no object: 404, not a 500)."""
    if pk > ID_MAX:
        raise Http404("no such id")
    return pk


def _mine_options(user: Any) -> list[tuple[int, str]]:
    return list(Mine.objects.visible_to(user).order_by("name", "pk").values_list("pk", "name")[:2000])


# --- overview --------------------------------------------------------------------------------------


@requires("monitoring.view")
def overview(request: HttpRequest) -> HttpResponse:
    """Active alarms in scope by severity and kind, each count linking to the filtered list; the mines
    with the most severe active alarms."""
    counts = queries.alarm_counts(request.user)
    list_url = reverse("monitoring:alarm_list")
    kinds = [{"kind": k, "label": label, "counts": [(s, counts["by_kind"][k][s]) for s in (3, 2, 1)],
              "total": sum(counts["by_kind"][k].values())} for k, label in AlarmKind.choices]
    severities = [{"severity": s, "label": label, "n": counts["by_severity"][s], "colour": SEVERITY_COLOURS[s]}
                  for s, label in reversed(Severity.choices)]
    top = list(alarms.active_alarms(request.user).order_by().values("mine_id", "mine__name")
               .annotate(level=Max("severity"), n=Count("id"), latest=Max("started_at"))
               .order_by("-level", "-n", "mine__name")[:15])
    for row in top:
        row["colour"] = queries.LEVEL_COLOURS[row["level"]]
    return render(request, "monitoring/overview.html", {
        "counts": counts, "kinds": kinds, "severities": severities, "top": top, "list_url": list_url,
    })


# --- the alarm list --------------------------------------------------------------------------------

ALARM_SORTS = {"started": "started_at", "ended": "ended_at", "severity": "severity", "kind": "kind",
               "mine": "mine__name", "sensor": "sensor__code"}
ALARM_FILTERS = {"mine": "mine_id", "kind": "kind", "severity": "severity", "sensor": "sensor_id"}


def alarm_listing(request: HttpRequest, *, paginate: bool = True) -> Listing:
    """The user's alarms with the page's search, filters and sort (shared with the export and the
    grouped view). Parameters: q (mine name, sensor code or place), mine, kind, severity, sensor (ids or
    codes), state=active|ended (active: neither ended nor cleared), ack=yes|no, assigned=me, from / to
    (ISO dates, local days of the start), group=mine, sort, page, per_page."""
    qs = Alarm.objects.visible_to(request.user).select_related(
        "mine", "mine__county", "sensor", "assigned_to", "acknowledged_by", "cleared_by")
    extra: dict[str, str] = {}
    q = request.GET.get("q", "").strip()[:100]
    if q:
        qs = qs.filter(Q(mine__name__icontains=q) | Q(sensor__code__icontains=q) | Q(sensor__place__icontains=q))
    state = request.GET.get("state", "")
    if state in ("active", "ended"):  # active as alarms.active_alarms: neither ended nor cleared
        extra["state"] = state
        qs = qs.filter(ACTIVE_ALARM) if state == "active" else qs.exclude(ACTIVE_ALARM)
    ack = request.GET.get("ack", "")
    if ack in ("yes", "no"):
        extra["ack"] = ack
        qs = qs.filter(acknowledged_at__isnull=ack == "no")
    if request.GET.get("assigned") == "me":
        extra["assigned"] = "me"
        qs = qs.filter(assigned_to=request.user)
    start = _parse_date(request.GET.get("from", ""))
    if start is not None:
        extra["from"] = start.isoformat()
        qs = qs.filter(started_at__gte=_day_start(start))
    end = _parse_date(request.GET.get("to", ""))
    if end is not None:
        extra["to"] = end.isoformat()
        qs = qs.filter(started_at__lt=_day_start(end + dt.timedelta(days=1)))
    if request.GET.get("group") == "mine":
        extra["group"] = "mine"
    listing = apply_listing(request, qs, filter_fields=ALARM_FILTERS, sort_fields=ALARM_SORTS,
                            default_sort="-started", paginate=paginate and "group" not in extra,
                            int_params=frozenset({"mine", "severity", "sensor"}))
    listing.q = q
    listing.filters.update(extra)
    return listing


def _grouped(request: HttpRequest, listing: Listing) -> Any:
    """The filtered alarms per mine: counts by severity and state, newest start (one query a page)."""
    rows = (listing.queryset.order_by().values("mine_id", "mine__name", "mine__county__name")
            .annotate(n=Count("id"), active=Count("id", filter=ACTIVE_ALARM),
                      critical=Count("id", filter=Q(severity=Severity.CRITICAL)),
                      alarm=Count("id", filter=Q(severity=Severity.ALARM)),
                      notice=Count("id", filter=Q(severity=Severity.NOTICE)),
                      level=Max("severity", filter=ACTIVE_ALARM),
                      latest=Max("started_at"))
            .order_by("-active", "-level", "-n", "mine__name", "mine_id"))
    page = Paginator(rows, listing.per_page).get_page(request.GET.get("page"))
    for row in page:
        row["colour"] = queries.LEVEL_COLOURS[row["level"] or 0]
        row["list_query"] = listing.querystring(mine=row["mine_id"], group="", page="")
    return page


@requires("monitoring.view")
def alarm_list(request: HttpRequest) -> HttpResponse:
    listing = alarm_listing(request)
    grouped = _grouped(request, listing) if listing.filters.get("group") == "mine" else None
    return render(request, "monitoring/alarm_list.html", {
        "listing": listing, "grouped": grouped, "kinds": AlarmKind.choices,
        "severities": list(reversed(Severity.choices)), "colours": SEVERITY_COLOURS,
        "mines": _mine_options(request.user),
    })


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


EXPORT_MAX = 50_000
EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("id", "编号", text, width=8),
    Column("county", "区县", text, width=14),
    Column("mine", "矿山名称", text, width=26),
    Column("sensor", "测点编码", text, width=16),
    Column("sensor_kind", "传感器类型", text, width=14),
    Column("location", "安装地点", text, width=20),
    Column("kind", "报警类型", text, width=18),
    Column("severity", "级别", text, width=8),
    Column("started_at", "开始时间", text, width=19),
    Column("ended_at", "结束时间", text, width=19),
    Column("peak_value", "峰值", text, width=9),
    Column("last_value", "最后值", text, width=9),
    Column("threshold", "门限", text, width=9),
    Column("acknowledged", "确认", text, width=20),
    Column("assigned_to", "指派给", text, width=12),
    Column("cleared", "消警", text, width=20),
    Column("hazard", "隐患台账编号", text, width=10),
)


def export_rows(qs: QuerySet[Alarm]) -> list[dict[str, Any]]:
    """Alarm rows for the workbook, labelled in Chinese whatever the interface language (as the other
    registers' exports)."""
    rows = []
    with translation.override("zh-hans"):
        for a in qs[:EXPORT_MAX]:
            s = a.sensor
            rows.append({
                "id": a.pk, "county": str(a.mine.county), "mine": a.mine.name, "sensor": s.code if s else "",
                "sensor_kind": str(s.get_kind_display()) if s else "",
                "location": f"{s.get_location_display()} {s.place}".strip() if s else "",
                "kind": str(a.get_kind_display()), "severity": str(a.get_severity_display()),
                "started_at": _when(a.started_at), "ended_at": _when(a.ended_at),
                "peak_value": a.peak_value, "last_value": a.last_value, "threshold": a.threshold,
                "acknowledged": f"{a.acknowledged_by or ''} {_when(a.acknowledged_at)}".strip(),
                "assigned_to": str(a.assigned_to or ""),
                "cleared": f"{a.cleared_by or ''} {_when(a.cleared_at)}".strip(),
                "hazard": a.hazard_id or "",
            })
    return rows


@requires("monitoring.view")
def alarm_export(request: HttpRequest) -> HttpResponse:
    qs = alarm_listing(request, paginate=False).queryset
    content = write_workbook(EXPORT_COLUMNS, export_rows(qs), title="监测报警")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="alarms-{timezone.localtime():%Y%m%d-%H%M}.xlsx"'
    return response


# --- the alarm detail ------------------------------------------------------------------------------

# page action → (permission, title, button style)
ACTIONS: dict[str, tuple[str, Any, str]] = {
    "ack": ("monitoring.handle_alarms", gettext_lazy("Acknowledge"), ""),
    "assign": ("monitoring.handle_alarms", gettext_lazy("Assign"), "secondary"),
    "comment": ("monitoring.handle_alarms", gettext_lazy("Add a comment"), "secondary"),
    "clear": ("monitoring.handle_alarms", gettext_lazy("Clear the alarm"), ""),
    "confirm": ("monitoring.confirm_hazard", gettext_lazy("Confirm into the hazard ledger"), "danger"),
}
SUCCESS = {
    "ack": gettext_lazy("Alarm acknowledged."), "assign": gettext_lazy("Alarm assigned."),
    "comment": gettext_lazy("Comment added."), "clear": gettext_lazy("Alarm cleared."),
    "confirm": gettext_lazy("Entered in the hazard ledger."),
}


def find_alarm(user: Any, pk: int) -> Alarm:
    return get_object_or_404(
        Alarm.objects.visible_to(user).select_related(
            "mine", "mine__county", "mine__enterprise", "sensor", "acknowledged_by", "assigned_to", "cleared_by",
            "hazard", "inhibited_by"), pk=_bounded(pk))


def offered_actions(user: Any, alarm: Alarm) -> list[str]:
    """The forms shown: the user's permissions, and what the services would refuse anyway left out
    (acknowledging twice, handling a cleared alarm, clearing one still active unless it is a no-data
    alarm, confirming a kind that is no hazard candidate or one already in the ledger)."""
    names = []
    for name, (perm, _title, _css) in ACTIONS.items():
        if not has_perm(user, perm):
            continue
        if name in ("ack", "assign", "clear") and alarm.cleared_at is not None:
            continue
        if name == "ack" and alarm.acknowledged_at is not None:
            continue
        if name == "clear" and alarm.ended_at is None and alarm.kind not in alarms.CLEARABLE_WHILE_OPEN:
            continue
        if name == "confirm" and (alarm.kind not in alarms.HAZARD_KINDS or alarm.hazard_id is not None):
            continue
        names.append(name)
    return names


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _build_form(name: str, user: Any, alarm: Alarm, data: Any = None) -> AlarmActionForm:
    form_class = ACTION_FORMS[name]
    kwargs: dict[str, Any] = {}
    if name == "assign":
        kwargs["users"] = queries.assignable_users(alarm)
    elif name == "confirm":
        kwargs["sector"] = alarm.mine.sector
        kwargs["initial"] = {k: v for k, v in alarms.hazard_defaults(alarm).items() if k != "source"}
    return form_class(data, **kwargs)


TIMELINE_WORDS = {
    "acknowledge": gettext_lazy("Acknowledged"), "assign": gettext_lazy("Assigned"),
    "clear": gettext_lazy("Cleared"), "confirm_hazard": gettext_lazy("Confirmed into the hazard ledger"),
}


def timeline(alarm: Alarm) -> list[dict[str, Any]]:
    """The episode in time order: start, the handling steps from the audit log (acknowledged,
    assigned, cleared, confirmed — each with who and the note), the comments, and the end."""
    entries: list[dict[str, Any]] = [{
        "at": alarm.started_at, "label": _("Started"), "by": "",
        "text": _("threshold %(threshold)s, peak %(peak)s") % {"threshold": _fmt(alarm.threshold),
                                                                "peak": _fmt(alarm.peak_value)}}]
    audits = (AuditEntry.objects.filter(object_type=Alarm._meta.label_lower, object_id=str(alarm.pk))
              .select_related("actor").order_by("id"))
    for e in audits:
        verb = e.action.rsplit(".", 1)[-1]
        if verb == "comment":
            continue  # the comment rows below carry the text
        # acknowledging and clearing store their note as a comment too: shown once, as the comment
        text_ = "" if verb in ("acknowledge", "clear") else e.message
        if verb == "assign" and isinstance(e.after, dict):
            text_ = text_ or str(e.after.get("assigned_to_name") or e.after.get("assignee_name") or "")
        entries.append({"at": e.time, "label": TIMELINE_WORDS.get(verb, e.action), "by": e.actor or e.actor_repr,
                        "text": text_})
    for c in alarm.comments.select_related("author"):
        entries.append({"at": c.at, "label": _("Comment"), "by": c.author, "text": c.text})
    if alarm.ended_at is not None:
        entries.append({"at": alarm.ended_at, "label": _("Ended"), "by": "",
                        "text": _("last value %(value)s") % {"value": _fmt(alarm.last_value)}})
    return sorted(entries, key=lambda e: e["at"])


def _render_detail(request: HttpRequest, alarm: Alarm, bound: dict[str, AlarmActionForm] | None = None
                   ) -> HttpResponse:
    user = request.user
    bound = bound or {}
    names = offered_actions(user, alarm)
    names += [n for n in bound if n not in names and n in ACTIONS]  # keep a refused form's errors in view
    forms = []
    for name in names:
        _perm, title, css = ACTIONS[name]
        form = bound.get(name) or _build_form(name, user, alarm)
        forms.append({"name": name, "title": title, "css": css, "form": form,
                      "url": reverse(f"monitoring:alarm_{name}", args=[alarm.pk])})
    details = [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
               for k, v in (alarm.details or {}).items()]
    return render(request, "monitoring/alarm_detail.html", {
        "a": alarm, "colour": SEVERITY_COLOURS.get(alarm.severity, "grey"), "chart": queries.episode_chart(alarm),
        "timeline": timeline(alarm), "forms": forms, "details": details,
        "hazard_candidate": alarm.kind in alarms.HAZARD_KINDS,
    })


@requires("monitoring.view")
def alarm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, find_alarm(request.user, pk))


Call = Callable[[Alarm, Any], Any]


def _act(request: HttpRequest, pk: int, name: str, call: Call) -> HttpResponse:
    """Validate the action's form and call its service; field errors re-render the detail page with
    the typed values kept, a conflict is reported as a message. PermissionDenied/NotFound from the
    service become 403/404 (``requires``)."""
    alarm = find_alarm(request.user, pk)
    form = _build_form(name, request.user, alarm, data=request.POST)
    if form.is_valid():
        try:
            call(alarm, form)
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc))
            return redirect("monitoring:alarm_detail", alarm.pk)
        else:
            if not form.errors:
                messages.success(request, str(SUCCESS[name]))
                return redirect("monitoring:alarm_detail", alarm.pk)
    return _render_detail(request, alarm, bound={name: form})


@requires("monitoring.handle_alarms")
@require_POST
def alarm_ack(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "ack", lambda a, f: alarms.acknowledge(
        actor=request.user, alarm=a, note=f.cleaned_data["note"], request_id=_rid(request)))


@requires("monitoring.handle_alarms")
@require_POST
def alarm_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def call(a: Alarm, f: Any) -> Any:
        assignee = f.users[f.cleaned_data["assignee"]]  # one of the choices: the form checked it
        return alarms.assign(actor=request.user, alarm=a, assignee=assignee, request_id=_rid(request))

    return _act(request, pk, "assign", call)


@requires("monitoring.handle_alarms")
@require_POST
def alarm_clear(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "clear", lambda a, f: alarms.clear(
        actor=request.user, alarm=a, note=f.cleaned_data["note"], request_id=_rid(request)))


@requires("monitoring.handle_alarms")
@require_POST
def alarm_comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "comment", lambda a, f: alarms.comment(
        actor=request.user, alarm=a, text=f.cleaned_data["text"], request_id=_rid(request)))


@requires("monitoring.confirm_hazard")
@require_POST
def alarm_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "confirm", lambda a, f: alarms.confirm_hazard(
        actor=request.user, alarm=a, data=f.hazard_data(), request_id=_rid(request)))


# --- the live panel --------------------------------------------------------------------------------


def _visible_mine(user: Any, pk: int) -> Mine:
    return get_object_or_404(Mine.objects.visible_to(user).select_related("county", "enterprise"), pk=_bounded(pk))


@requires("monitoring.view")
def mine_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """One chart per active sensor (minute aggregates of the last ``?hours=`` hours, 6 by default) with
    its alarm, power-cut and restore levels drawn; the mine's active alarms. The page polls
    ``data.json`` every 10 s and redraws (static/js/monitoring-panel.js)."""
    mine = _visible_mine(request.user, pk)
    hours = queries.clamp_hours(request.GET.get("hours"))
    payload = queries.panel_payload(request.user, mine, hours=hours)
    return render(request, "monitoring/mine_panel.html", {
        "mine": mine, "payload": payload, "hours": hours, "hour_choices": (1, 3, 6, 12, 24, 72),
        "colours": queries.LEVEL_COLOURS, "data_url": reverse("monitoring:mine_panel_data", args=[mine.pk]),
    })


@requires("monitoring.view")
def mine_panel_data(request: HttpRequest, pk: int) -> JsonResponse:
    """The panel's payload (``queries.panel_payload``) as JSON; not cached."""
    mine = _visible_mine(request.user, pk)
    payload = queries.panel_payload(request.user, mine, hours=queries.clamp_hours(request.GET.get("hours")))
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


# --- the map ---------------------------------------------------------------------------------------


@requires("monitoring.view")
def mine_map(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/map.html", {"map": queries.mine_map(request.user)})


# --- falsification flags ---------------------------------------------------------------------------

FLAG_SORTS = {"created": "created_at", "window": "window_start", "score": "score", "pattern": "pattern",
              "mine": "mine__name", "status": "status"}
FLAG_FILTERS = {"status": "status", "pattern": "pattern", "mine": "mine_id", "sensor": "sensor_id"}


@requires("monitoring.view")
def flag_list(request: HttpRequest) -> HttpResponse:
    listing = apply_listing(request, queries.flag_queryset(request.user), search_fields=("mine__name", "sensor__code"),
                            filter_fields=FLAG_FILTERS, sort_fields=FLAG_SORTS, default_sort="-created",
                            int_params=frozenset({"mine", "sensor"}))
    return render(request, "monitoring/flag_list.html", {
        "listing": listing, "statuses": FlagStatus.choices, "patterns": FalsificationPattern.choices,
        "colours": FLAG_COLOURS, "mines": _mine_options(request.user),
    })


def find_flag(user: Any, pk: int) -> FalsificationFlag:
    return get_object_or_404(queries.flag_queryset(user).select_related("mine__county"), pk=_bounded(pk))


def _evidence_sensors(flag: FalsificationFlag) -> list[Sensor]:
    """The flag's sensor and the sensors its evidence names (same mine, four at most)."""
    ids: list[int] = [flag.sensor_id] if flag.sensor_id else []
    evidence = flag.evidence if isinstance(flag.evidence, dict) else {}
    for key in ("sensor_ids", "sensors", "other_sensor_ids", "related_sensors"):
        value = evidence.get(key)
        values = value if isinstance(value, list) else [value]
        ids += [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    for key in ("feed_sensor_id", "airflow_sensor_id", "other_sensor_id", "source_sensor_id"):
        if isinstance(evidence.get(key), int):
            ids.append(evidence[key])
    ids = list(dict.fromkeys(ids))[:4]
    found = {s.pk: s for s in Sensor.objects.filter(mine_id=flag.mine_id, pk__in=ids)}
    return [found[i] for i in ids if i in found]


def _render_flag(request: HttpRequest, flag: FalsificationFlag, form: FlagDecideForm | None = None) -> HttpResponse:
    can_decide = has_perm(request.user, "monitoring.decide_flags") and flag.status == FlagStatus.OPEN
    charts = [{"sensor": s, "chart": queries.window_chart(s, flag.window_start, flag.window_end,
                                                          margin=dt.timedelta(hours=1))}
              for s in _evidence_sensors(flag)]
    evidence = [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
                for k, v in (flag.evidence or {}).items()] if isinstance(flag.evidence, dict) else []
    return render(request, "monitoring/flag_detail.html", {
        "f": flag, "decision_note": queries.flag_decision_note(flag), "colour": FLAG_COLOURS.get(flag.status, "grey"),
        "charts": charts, "evidence": evidence,
        "form": form if form is not None else (FlagDecideForm() if can_decide else None),
        "decide_url": reverse("monitoring:flag_decide", args=[flag.pk]),
    })


@requires("monitoring.view")
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_flag(request, find_flag(request.user, pk))


@requires("monitoring.decide_flags")
@require_POST
def flag_decide(request: HttpRequest, pk: int) -> HttpResponse:
    flag = find_flag(request.user, pk)
    form = FlagDecideForm(request.POST)
    if form.is_valid():
        try:
            alarms.decide_flag(actor=request.user, flag=flag, confirm=form.confirm, note=form.cleaned_data["note"],
                              request_id=_rid(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc))
            return redirect("monitoring:flag_detail", flag.pk)
        else:
            messages.success(request, _("Flag confirmed.") if form.confirm else _("Flag dismissed."))
            return redirect("monitoring:flag_detail", flag.pk)
    return _render_flag(request, flag, form)
