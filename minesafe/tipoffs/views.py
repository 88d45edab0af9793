"""Regulator pages of the tip-off register (/tipoffs/): the list and its xlsx export, the detail page
with one form per allowed action (each posted to its own route, which calls one service), the
audited identity reveal, attachment downloads, and the KPI table with its chart and export.

Every read starts from ``Tipoff.objects.visible_to`` (``services.find_visible`` for one report), so
a report outside the user's jurisdiction answers 404; enterprises and the admin roles hold no
``tipoffs.*`` permission and get 403 everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minesafe.accounts.choices import Role
from minesafe.accounts.decorators import requires
from minesafe.accounts.permissions import has_perm
from minesafe.accounts.queries import division_options
from minesafe.core.charts import grouped_bars
from minesafe.core.errors import Conflict, FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.listing import Listing, apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import code_prefix_q, scope_of
from minesafe.core.xlsx import XLSX_CONTENT_TYPE
from minesafe.hazards.models import Hazard
from minesafe.registry.models import Mine
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs import io, queries, services, timeline
from minesafe.tipoffs.choices import STATUS_COLOURS, AccidentGrade, TipoffCategory, TipoffStatus
from minesafe.tipoffs.forms import ACTION_FORMS, ActionForm, HandleForm
from minesafe.tipoffs.models import Tipoff, TipoffAttachment

# Reader-language wording of rules.OVERDUE_LABELS (the xlsx export uses the rules' Chinese labels).
OVERDUE_TEXT = {
    rules.OVERDUE_ACCEPT: gettext_lazy("Acceptance overdue"),
    rules.OVERDUE_HANDLE: gettext_lazy("Handling overdue"),
    rules.OVERDUE_ANSWER: gettext_lazy("Answer overdue"),
}
CHANNEL_TEXT = {"web": gettext_lazy("Web page"), "api": gettext_lazy("API")}  # Tipoff.channel


def _today() -> dt.date:
    return timezone.localdate()


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def current_due(t: Tipoff) -> dt.date | None:
    """The nearest deadline the report's status still has to meet (those rules.overdue_flags checks)."""
    if t.status == TipoffStatus.RECEIVED:
        return t.accept_due
    dues = []
    if t.status in (TipoffStatus.ACCEPTED, TipoffStatus.VERIFYING, TipoffStatus.VERIFIED):
        dues.append(t.handling_due)
    if t.status in (TipoffStatus.VERIFIED, TipoffStatus.HANDLED):
        dues.append(t.answer_due)
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None


def _flags(t: Tipoff, today: dt.date) -> list[str]:
    return [str(OVERDUE_TEXT[f]) for f in sorted(t.overdue_flags(today))]


# --- the list ----------------------------------------------------------------------------------

TIPOFF_SORTS = {"code": "receipt_code", "received": "received_at", "county": "division_id", "mine": "mine__name",
                "category": "category", "status": "status"}
TIPOFF_FILTERS = {"status": "status", "category": "category", "mine": "mine_id"}


def tipoff_listing(request: HttpRequest, *, paginate: bool = True) -> Listing:
    """The register's queryset with the page's search, filters and sort (shared with the export).

    Parameters: q (receipt code, description, mine name or described mine), status, category, mine
    (id), division (code prefix), overdue=yes, received_from / received_to (ISO dates), sort, page,
    per_page.
    """
    qs = Tipoff.objects.visible_to(request.user).select_related("division", "mine", "assignee")
    today = _today()
    extra: dict[str, str] = {}
    q = request.GET.get("q", "").strip()[:100]
    if q:
        cond = Q(description__icontains=q) | Q(mine__name__icontains=q) | Q(mine_description__icontains=q)
        code = re.sub(r"[^0-9A-Za-z]", "", q).upper()
        if code:
            cond |= Q(receipt_code__icontains=code)
        qs = qs.filter(cond)
    division = request.GET.get("division", "").strip()[:12]
    if division:
        extra["division"] = division
        qs = qs.filter(code_prefix_q("division__code", division)) if division.isascii() and division.isdigit() \
            else qs.none()
    if request.GET.get("overdue") == "yes":
        extra["overdue"] = "yes"
        qs = qs.overdue(today)
    received_from = _parse_date(request.GET.get("received_from", ""))
    if received_from is not None:  # local days: from 00:00 of the first to 00:00 after the last
        extra["received_from"] = received_from.isoformat()
        qs = qs.filter(received_at__gte=queries.day_bounds(received_from, received_from)[0])
    received_to = _parse_date(request.GET.get("received_to", ""))
    if received_to is not None:
        extra["received_to"] = received_to.isoformat()
        qs = qs.filter(received_at__lt=queries.day_bounds(received_to, received_to)[1])
    listing = apply_listing(request, qs, filter_fields=TIPOFF_FILTERS, sort_fields=TIPOFF_SORTS,
                            default_sort="-received", paginate=paginate, int_params=frozenset({"mine"}))
    listing.filters.update(extra)
    return listing


@requires("tipoffs.view")
def tipoff_list(request: HttpRequest) -> HttpResponse:
    listing = tipoff_listing(request)
    today = _today()
    rows = [{"t": t, "code": services.format_code(t.receipt_code), "due": current_due(t), "flags": _flags(t, today)}
            for t in listing.page]
    return render(request, "tipoffs/tipoff_list.html", {
        "listing": listing, "rows": rows, "statuses": TipoffStatus.choices, "categories": TipoffCategory.choices,
        "colours": STATUS_COLOURS, "divisions": division_options(request.user), "today": today,
    })


@requires("tipoffs.export")
def tipoff_export(request: HttpRequest) -> HttpResponse:
    content = io.export_tipoffs(tipoff_listing(request, paginate=False).queryset, today=_today())
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="tipoffs-{stamp}.xlsx"'
    return response


# --- the detail page -----------------------------------------------------------------------------

# page action → (rules action, permission, title, button style)
ACTIONS: dict[str, tuple[str | None, str, Any, str]] = {
    "accept": (rules.Action.ACCEPT, "tipoffs.handle", gettext_lazy("Accept"), ""),
    "decline": (rules.Action.DECLINE, "tipoffs.handle", gettext_lazy("Decline"), "danger"),
    "merge": (rules.Action.MERGE, "tipoffs.handle", gettext_lazy("Merge into an earlier report"), "secondary"),
    "identify": (None, "tipoffs.handle", gettext_lazy("Identify the mine"), "secondary"),
    "assign": (rules.Action.ASSIGN, "tipoffs.handle", gettext_lazy("Assign the verification"), ""),
    "verify": (rules.Action.VERIFY, "tipoffs.handle", gettext_lazy("Record the verification"), ""),
    "handle": (rules.Action.HANDLE, "tipoffs.handle", gettext_lazy("Record the handling"), ""),
    "answer": (rules.Action.ANSWER, "tipoffs.handle", gettext_lazy("Answer the reporter"), ""),
    "reward": (rules.Action.DECIDE_REWARD, "tipoffs.reward", gettext_lazy("Decide the reward"), ""),
    "payment": (rules.Action.RECORD_PAYMENT, "tipoffs.reward", gettext_lazy("Record the reward payment"), ""),
    "extend": (rules.Action.EXTEND, "tipoffs.extend", gettext_lazy("Extend the handling period"), "secondary"),
    "close": (rules.Action.CLOSE, "tipoffs.handle", gettext_lazy("Close the report"), ""),
}
SUCCESS = {
    "accept": gettext_lazy("Report accepted."), "decline": gettext_lazy("Report declined."),
    "merge": gettext_lazy("Report merged into the earlier one."), "identify": gettext_lazy("Mine identified."),
    "assign": gettext_lazy("Verification assigned."), "verify": gettext_lazy("Verification recorded."),
    "handle": gettext_lazy("Handling recorded."), "answer": gettext_lazy("Answer recorded; the reporter can read it."),
    "reward": gettext_lazy("Reward decided."), "payment": gettext_lazy("Reward payment recorded."),
    "extend": gettext_lazy("Handling period extended."), "close": gettext_lazy("Report closed."),
}
OPEN_FOR_IDENTIFY = frozenset(TipoffStatus.values) - {TipoffStatus.CLOSED, TipoffStatus.MERGED, TipoffStatus.DECLINED}


def _verifier(user: Any, t: Tipoff) -> bool:
    return t.assignee_id == user.pk or user.role == Role.REG_LEADER


def _upper_level(user: Any, t: Tipoff) -> bool:
    return len(scope_of(user).division_prefix) < len(t.division_id)


def offered_actions(user: Any, t: Tipoff) -> list[str]:
    """The page actions shown: rules.allowed_actions(status, finding) ∩ the user's permissions, and
    what the services would refuse anyway left out (verification by others than the verifier or a
    leader, extension by a leader of the handling county itself, payment without a reward)."""
    allowed = set(rules.allowed_actions(t.status, verified_true=t.verified_true))
    offered = []
    for name, (action, perm, _title, _css) in ACTIONS.items():
        if not has_perm(user, perm):
            continue
        if action is None:
            if t.mine_id is None and t.status in OPEN_FOR_IDENTIFY:
                offered.append(name)
            continue
        if action not in allowed:
            continue
        if name == "verify" and not _verifier(user, t):
            continue
        if name == "extend" and not _upper_level(user, t):
            continue
        if name == "payment" and (not t.reward_amount or t.reward_paid_on):
            continue
        offered.append(name)
    return offered


def _first_reporter(t: Tipoff) -> bool:
    earliest = t.duplicates.order_by("received_at").values_list("received_at", flat=True).first()
    return earliest is None or t.received_at <= earliest


def reward_preview(t: Tipoff, today: dt.date) -> rules.Reward | None:
    """What services.decide_reward would decide today (the same rule and inputs)."""
    try:
        return rules.reward_for(category=t.category, verified_true=bool(t.verified_true),
                                first_reporter=_first_reporter(t), fine_amount=t.fine_amount,
                                accident_grade=t.accident_grade or None, concealed_deaths=t.concealed_deaths,
                                decided_on=today)
    except (ValueError, LookupError):
        return None


def _mine_hazards(user: Any, t: Tipoff) -> list[Hazard]:
    if t.mine_id is None:
        return []
    return list(Hazard.objects.visible_to(user).filter(mine_id=t.mine_id).order_by("-found_on", "-pk")[:200])


def _build_form(name: str, user: Any, t: Tipoff, data: Any = None) -> ActionForm:
    form_class = ACTION_FORMS[name]
    kwargs: dict[str, Any] = {}
    if name == "assign":
        kwargs["users"] = services.assignable_users(t)
    elif name == "identify":
        kwargs["mines"] = (Mine.objects.visible_to(user).filter(county_id=t.division_id)
                           .select_related("enterprise").order_by("name", "pk"))
    elif name == "handle":
        kwargs.update(hazards=_mine_hazards(user, t), concealed=t.category == TipoffCategory.CONCEALED_ACCIDENT,
                      with_mine=t.mine_id is not None, sector=t.mine.sector if t.mine else "")
    elif name == "answer" and t.status == TipoffStatus.DECLINED:
        kwargs["initial"] = {"text": t.decline_reason}
    elif name == "reward":
        preview = reward_preview(t, _today())
        kwargs["initial"] = {"expected": str(preview.amount) if preview else ""}
    return form_class(data, **kwargs)


REWARD_DETAIL_LABELS = {
    "category": gettext_lazy("Tip-off category"), "verified_true": gettext_lazy("Found true"),
    "first_reporter": gettext_lazy("First reporter of the matter"), "fine_amount": gettext_lazy("Fine (yuan)"),
    "accident_grade": gettext_lazy("Accident grade"), "concealed_deaths": gettext_lazy("Concealed deaths"),
    "decided_on": gettext_lazy("Decided on"), "schedule_version": gettext_lazy("Reward schedule"),
    "rule_version": gettext_lazy("Rule version"), "rate": gettext_lazy("Share of the fine"),
    "minimum": gettext_lazy("Minimum (yuan)"), "maximum": gettext_lazy("Maximum (yuan)"),
    "raw_amount": gettext_lazy("Computed amount (yuan)"), "rounded_amount": gettext_lazy("Rounded (yuan)"),
    "clamped": gettext_lazy("Limited to"), "per_death": gettext_lazy("Per concealed death (yuan)"),
    "concealment_cap": gettext_lazy("Maximum for concealment (yuan)"), "capped": gettext_lazy("Capped"),
    "amount": gettext_lazy("Reward (yuan)"),
}
REWARD_BASIS = {"fine": gettext_lazy("share of the fine"), "concealment": gettext_lazy("per concealed death"),
                "none": gettext_lazy("no reward")}


def _detail_value(key: str, value: Any) -> str:
    """A stored reward input as the reader reads it (codes and flags worded, the rate as a percentage)."""
    if value in ("true", "false"):
        return _("Yes") if value == "true" else _("No")
    if key == "category":
        return str(dict(TipoffCategory.choices).get(value, value))
    if key == "accident_grade":
        return str(dict(AccidentGrade.choices).get(value, value))
    if key == "clamped":
        return {"minimum": _("the minimum"), "maximum": _("the maximum")}.get(value, value)
    if key == "rate":
        try:
            return f"{(Decimal(value) * 100).normalize():f}%"
        except ArithmeticError:
            return str(value)
    return str(value)


def _reward_info(t: Tipoff) -> dict[str, Any] | None:
    """The stored decision, its inputs and arithmetic (Reward.message is recomputed, not stored)."""
    if t.reward_decided_on is None:
        return None
    details = t.reward_details or {}
    try:
        explanation = rules.replay_reward(details).message
    except (ValueError, KeyError, LookupError, ArithmeticError):
        explanation = ""
    rows = [(REWARD_DETAIL_LABELS.get(k, k), _detail_value(k, v)) for k, v in details.items() if v not in ("", None)]
    return {"amount": t.reward_amount, "basis": REWARD_BASIS.get(t.reward_basis, t.reward_basis),
            "code": t.reward_code, "version": t.reward_rule_version, "decided_on": t.reward_decided_on,
            "paid_on": t.reward_paid_on, "explanation": explanation, "details": rows}


def _deadlines(t: Tipoff, flags: frozenset[str]) -> list[dict[str, Any]]:
    done_handling = t.handled_on if t.verified_true else (t.verified_on if t.verified_true is False else None)
    return [
        {"label": _("Accept or decline by"), "due": t.accept_due, "done": t.accepted_on,
         "overdue": rules.OVERDUE_ACCEPT in flags, "note": ""},
        {"label": _("Handle by"), "due": t.handling_due, "done": done_handling,
         "overdue": rules.OVERDUE_HANDLE in flags,
         "note": _("extended by %(n)d days") % {"n": t.extension_days} if t.extension_days else ""},
        {"label": _("Answer the reporter by"), "due": t.answer_due, "done": t.answered_on,
         "overdue": rules.OVERDUE_ANSWER in flags, "note": ""},
    ]


def _render_detail(request: HttpRequest, t: Tipoff, bound: dict[str, ActionForm] | None = None) -> HttpResponse:
    user, today = request.user, _today()
    bound = bound or {}
    names = offered_actions(user, t)
    names += [n for n in bound if n not in names and n in ACTIONS]  # keep a refused form's errors in view
    preview = reward_preview(t, today) if "reward" in names else None
    forms = []
    for name in names:
        form = bound.get(name) or _build_form(name, user, t)
        _action, _perm, title, css = ACTIONS[name]
        forms.append({"name": name, "title": title, "css": css, "form": form,
                      "url": reverse(f"tipoffs:{name}", args=[t.pk])})
    flags = t.overdue_flags(today)
    statuses = dict(TipoffStatus.choices)
    events = [{"e": e, "from": statuses.get(e.from_status, e.from_status), "to": statuses.get(e.to_status, e.to_status),
               "text": timeline.describe(e)} for e in t.events.select_related("actor")]
    visible = Tipoff.objects.visible_to(user)
    merged_into = visible.filter(pk=t.merged_into_id).first() if t.merged_into_id else None
    duplicates = [{"t": d, "code": services.format_code(d.receipt_code)}
                  for d in visible.filter(merged_into=t).order_by("received_at", "pk")]
    candidates = [] if t.status in ("closed", "merged", "declined") else [
        {"t": c, "code": services.format_code(c.receipt_code), "earlier": (c.received_at, c.pk) < (t.received_at, t.pk)}
        for c in queries.merge_candidates(user, t)]
    return render(request, "tipoffs/tipoff_detail.html", {
        "candidates": candidates,
        "t": t, "code": services.format_code(t.receipt_code), "today": today, "colours": STATUS_COLOURS,
        "channel": CHANNEL_TEXT.get(t.channel, t.channel),
        "flags": [str(OVERDUE_TEXT[f]) for f in sorted(flags)], "deadlines": _deadlines(t, flags),
        "attachments": t.attachments.select_related("uploaded_by"), "events": events, "forms": forms,
        "merged_into": merged_into,
        "merged_into_code": services.format_code(merged_into.receipt_code) if merged_into else "",
        "duplicates": duplicates, "reward": _reward_info(t), "preview": preview,
        "consequence": rules.CATEGORY_CONSEQUENCES.get(rules.Category(t.category)),
        "can_reveal": has_perm(user, "tipoffs.reveal_reporter"),
        "verify_note": (t.status == TipoffStatus.VERIFYING and has_perm(user, "tipoffs.handle")
                        and not _verifier(user, t)),
    })


@requires("tipoffs.view")
def tipoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, services.find_visible(request.user, pk))


# --- actions: one POST route each ------------------------------------------------------------------

Call = Callable[[Tipoff, Any], Any]


def _act(request: HttpRequest, pk: int, name: str, call: Call) -> HttpResponse:
    """Validate the action's form, call its service; field errors re-render the detail page with the
    typed values kept, a conflict is reported as a message. PermissionDenied/NotFound from the
    service become 403/404 (``requires``)."""
    t = services.find_visible(request.user, pk)
    form = _build_form(name, request.user, t, data=request.POST)
    if form.is_valid():
        try:
            call(t, form)
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc))
            return redirect("tipoffs:detail", t.pk)
        else:
            if not form.errors:
                messages.success(request, str(SUCCESS[name]))
                return redirect("tipoffs:detail", t.pk)
    return _render_detail(request, t, bound={name: form})


def _rid(request: HttpRequest) -> str:
    return request_id_of(request)


@requires("tipoffs.handle")
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "accept", lambda t, f: services.accept(
        actor=request.user, tipoff=t, note=f.cleaned_data["note"], request_id=_rid(request)))


@requires("tipoffs.handle")
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "decline", lambda t, f: services.decline(
        actor=request.user, tipoff=t, reason=f.cleaned_data["reason"], request_id=_rid(request)))


@requires("tipoffs.handle")
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    def call(t: Tipoff, f: Any) -> Any:
        assignee = f.users[f.cleaned_data["assignee"]]  # one of the choices: the form checked it
        return services.assign(actor=request.user, tipoff=t, assignee=assignee, note=f.cleaned_data["note"],
                               request_id=_rid(request))

    return _act(request, pk, "assign", call)


@requires("tipoffs.handle")
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "verify", lambda t, f: services.verify(
        actor=request.user, tipoff=t, verified_true=f.cleaned_data["verified_true"],
        findings=f.cleaned_data["findings"], request_id=_rid(request)))


@requires("tipoffs.handle")
@require_POST
def identify(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "identify", lambda t, f: services.identify_mine(
        actor=request.user, tipoff=t, mine=f.cleaned_data["mine"], request_id=_rid(request)))


@requires("tipoffs.handle")
@require_POST
def handle(request: HttpRequest, pk: int) -> HttpResponse:
    def call(t: Tipoff, f: HandleForm) -> Any:
        cd = f.cleaned_data
        return services.handle(actor=request.user, tipoff=t, note=cd["note"], fine_amount=cd.get("fine_amount"),
                               accident_grade=cd.get("accident_grade") or "",
                               concealed_deaths=cd.get("concealed_deaths") or 0, hazard_data=f.hazard_data(),
                               hazard=f.linked_hazard(), request_id=_rid(request))

    return _act(request, pk, "handle", call)


@requires("tipoffs.handle")
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "answer", lambda t, f: services.answer(
        actor=request.user, tipoff=t, text=f.cleaned_data["text"], request_id=_rid(request)))


@requires("tipoffs.reward")
@require_POST
def reward(request: HttpRequest, pk: int) -> HttpResponse:
    def call(t: Tipoff, f: Any) -> Any:
        preview = reward_preview(t, _today())
        expected = f.cleaned_data.get("expected") or ""
        if preview is not None and expected and expected != str(preview.amount):
            f.add_error(None, _("The computed reward has changed since the page was shown (now %(amount)s yuan); "
                                "check it and confirm again.") % {"amount": preview.amount})
            f.data = f.data.copy()
            f.data["expected"] = str(preview.amount)
            return None
        return services.decide_reward(actor=request.user, tipoff=t, note=f.cleaned_data["note"],
                                      request_id=_rid(request))

    return _act(request, pk, "reward", call)


@requires("tipoffs.reward")
@require_POST
def payment(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "payment", lambda t, f: services.record_payment(
        actor=request.user, tipoff=t, paid_on=f.cleaned_data["paid_on"], note=f.cleaned_data["note"],
        request_id=_rid(request)))


@requires("tipoffs.handle")
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "close", lambda t, f: services.close(actor=request.user, tipoff=t,
                                                                  request_id=_rid(request)))


@requires("tipoffs.handle")
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    def call(t: Tipoff, f: Any) -> Any:
        raw = f.cleaned_data["primary"].strip()
        visible = Tipoff.objects.visible_to(request.user)
        if raw.isdigit() and len(raw) < services.CODE_LENGTH:
            primary = visible.filter(pk=int(raw)).first()
        else:
            primary = visible.filter(receipt_code=services.normalise_code(raw)).first()
        if primary is None:
            f.add_error("primary", _("No report with this receipt code or number in your jurisdiction."))
            return None
        return services.merge(actor=request.user, duplicate=t, primary=primary, note=f.cleaned_data["note"],
                              request_id=_rid(request))

    return _act(request, pk, "merge", call)


@requires("tipoffs.extend")
@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "extend", lambda t, f: services.extend(
        actor=request.user, tipoff=t, days=f.cleaned_data["days"], reason=f.cleaned_data["reason"],
        request_id=_rid(request)))


@requires("tipoffs.reveal_reporter")
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter's identity and contact in clear, after a POST; each reveal is audited."""
    t = services.find_visible(request.user, pk)
    identity = services.reveal_identity(actor=request.user, tipoff=t, request_id=_rid(request))
    response = render(request, "tipoffs/reveal.html", {
        "t": t, "code": services.format_code(t.receipt_code), "identity": identity,
        "empty": not any(identity.values()),
    })
    response["Cache-Control"] = "no-store"
    return response


@requires("tipoffs.view")
def attachment(request: HttpRequest, pk: int, att: int) -> FileResponse:
    t = services.find_visible(request.user, pk)
    item = get_object_or_404(TipoffAttachment.objects.visible_to(request.user).filter(tipoff=t), pk=att)
    try:
        handle_ = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("attachment file missing") from None
    return FileResponse(handle_, as_attachment=True, filename=item.original_name, content_type=item.content_type)


# --- KPIs --------------------------------------------------------------------------------------------


def kpi_period(request: HttpRequest, today: dt.date) -> tuple[dt.date, dt.date]:
    """?from= / ?to= (ISO dates, on the date of receipt); this calendar year by default."""
    start = _parse_date(request.GET.get("from", "")) or today.replace(month=1, day=1)
    end = _parse_date(request.GET.get("to", "")) or today
    return (end, start) if start > end else (start, end)


def _list_url(**params: Any) -> str:
    base = reverse("tipoffs:list")
    params = {k: v for k, v in params.items() if v not in ("", None)}
    return f"{base}?{urlencode(params)}" if params else base


def _kpi_data(request: HttpRequest) -> dict[str, Any]:
    today = _today()
    start, end = kpi_period(request, today)
    level = queries.kpi_level(request.user, request.GET.get("division", "").strip()[:12] or None)
    rows = queries.kpi_rows(level, start, end, today)
    period = {"received_from": start.isoformat(), "received_to": end.isoformat()}
    for row in rows:
        if row["kind"] == "mine" and row["mine_id"] is None:
            row["name"] = _("Mine not identified")
            row["url"] = row["overdue_url"] = ""
            continue
        scope = {"mine": row["mine_id"]} if row["kind"] == "mine" else {"division": row["code"]}
        row["url"] = _list_url(**scope, **period)
        row["overdue_url"] = _list_url(**scope, overdue="yes")
        row["drill"] = row["kind"] == "division"
    return {"today": today, "start": start, "end": end, "level": level, "rows": rows,
            "totals": queries.sum_rows(rows), "period": period}


@requires("tipoffs.view")
def kpi(request: HttpRequest) -> HttpResponse:
    data = _kpi_data(request)
    level = data["level"]
    series = queries.monthly_series(level, data["today"])
    chart = grouped_bars([m.strftime("%y-%m") for m in series["months"]],
                         [(_("Reports received"), "orange", series["received"]),
                          (_("Disposed"), "green", series["disposed"])], width=960, height=200)
    params = {"from": data["start"].isoformat(), "to": data["end"].isoformat()}
    if request.GET.get("division"):
        params["division"] = level.division.code
    return render(request, "tipoffs/kpi.html", {
        **data, "chart": chart, "target": (rules.DISPOSAL_TARGET * 100).quantize(Decimal("1")),
        "level_url": _list_url(division=level.list_division, **data["period"]),
        "level_overdue_url": _list_url(division=level.list_division, overdue="yes"),
        "export_query": urlencode(params),
    })


@requires("tipoffs.export")
def kpi_export(request: HttpRequest) -> HttpResponse:
    data = _kpi_data(request)
    content = io.export_kpi(data["rows"], data["totals"])
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    name = f"tipoff-kpi-{data['level'].division.code}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
