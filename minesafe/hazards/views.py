"""Hazard-ledger pages: the ledger, registration, detail, one page per lifecycle action, evidence
download and monthly self-inspections.

Views parse input, call one service and render; every queryset starts from ``visible_to``, so an
object outside the user's scope answers 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minesafe.accounts.choices import DivisionLevel
from minesafe.accounts.decorators import requires
from minesafe.accounts.permissions import has_perm
from minesafe.accounts.queries import division_options
from minesafe.core.errors import Conflict, FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.links import links_for
from minesafe.core.listing import Listing, apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import code_prefix_q
from minesafe.hazards import services, timeline
from minesafe.hazards.choices import (
    HAZARD_STATUS_COLOURS,
    ExtensionStatus,
    HazardSource,
    HazardStatus,
)
from minesafe.hazards.forms import (
    ApplyForm,
    ExtensionForm,
    HazardForm,
    ListingForm,
    PlanForm,
    RejectForm,
    SelfInspectionForm,
    VerifyForm,
    category_choices,
    category_label,
)
from minesafe.hazards.models import Evidence, Extension, Hazard, SelfInspection
from minesafe.registry.choices import MineStatus, Sector
from minesafe.registry.models import Mine
from minesafe.rules import hazards as rules
from minesafe.rules.hazard_standards import category_family, find_category, find_item

# --- routes owned by other modules (imported lazily so this module works without them) --------


def _delegate(module: str, name: str) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        import importlib

        try:
            target = importlib.import_module(f"minesafe.hazards.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"minesafe.hazards.{module}":
                raise
            raise Http404(f"{module} is not installed") from exc
        return getattr(target, name)(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    return view


dashboard = _delegate("views_dashboard", "dashboard")
ledger_export = _delegate("views_io", "ledger_export")
import_view = _delegate("views_io", "import_view")
import_template = _delegate("views_io", "import_template")
import_job = _delegate("views_io", "import_job")
import_progress = _delegate("views_io", "import_progress")


# --- helpers ---------------------------------------------------------------------------------


def category_text(code: str) -> str:
    """``煤矿 · (2) 瓦斯超限作业`` for a category code; the code itself when unknown."""
    try:
        standard, category = find_category(code)
    except KeyError:
        return code
    return category_label(standard, category, width=200)


def _visible_hazard(request: HttpRequest, pk: int) -> Hazard:
    return get_object_or_404(
        Hazard.objects.visible_to(request.user).select_related("mine", "mine__enterprise", "mine__county"), pk=pk)


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _bound(request: HttpRequest) -> tuple[Any, Any]:
    """(data, files) for a form: bound on POST even when the body is empty, so errors show."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


# --- the ledger ------------------------------------------------------------------------------

HAZARD_SORTS = {
    "id": "id", "found_on": "found_on", "deadline": "deadline", "status": "status", "mine": "mine__name",
    "county": "mine__county_id", "category": "category_code", "source": "source",
}
HAZARD_FILTERS = {"status": "status", "source": "source", "sector": "mine__sector", "mine": "mine_id"}
SEARCH_FIELDS = ("description", "location", "mine__name", "mine__enterprise__name")


def ledger_listing(request: HttpRequest, *, paginate: bool = True) -> Listing:
    """The ledger's queryset with the page's search, filters and sort (shared with the xlsx export).

    Parameters: q, status, source, sector, category (code; its family across standard versions), mine,
    division (code prefix), overdue=yes, open=yes, listed=yes/no, found_from / found_to and
    closed_from / closed_to (ISO dates), sort, page, per_page.
    ``ledger_listing(request, paginate=False).queryset`` is the export's row set.
    """
    qs = Hazard.objects.visible_to(request.user).select_related("mine", "mine__county", "mine__enterprise")
    today = timezone.localdate()
    extra: dict[str, str] = {}
    division = request.GET.get("division", "").strip()[:12]
    if division:
        extra["division"] = division
        is_code = division.isascii() and division.isdigit()
        qs = qs.filter(code_prefix_q("mine__county__code", division)) if is_code else qs.none()
    if request.GET.get("overdue") == "yes":
        extra["overdue"] = "yes"
        qs = qs.overdue(today)
    if request.GET.get("open") == "yes":  # the dashboard's "stock" links
        extra["open"] = "yes"
        qs = qs.open()
    listed = request.GET.get("listed", "")
    if listed in ("yes", "no"):
        extra["listed"] = listed
        qs = qs.filter(listed=listed == "yes")
    category = request.GET.get("category", "").strip()[:64]
    if category:  # a category matches its predecessors in earlier versions of the standard too
        extra["category"] = category
        qs = qs.filter(Q(category_code=category) | Q(category_family=category_family(category)))
    for param, lookup in (("found_from", "found_on__gte"), ("found_to", "found_on__lte"),
                          ("closed_from", "closed_on__gte"), ("closed_to", "closed_on__lte")):
        value = _parse_date(request.GET.get(param, ""))
        if value is not None:
            extra[param] = value.isoformat()
            qs = qs.filter(**{lookup: value})
    listing = apply_listing(
        request, qs, search_fields=SEARCH_FIELDS, filter_fields=HAZARD_FILTERS,
        sort_fields=HAZARD_SORTS, default_sort="-found_on", paginate=paginate, int_params=frozenset({"mine"}),
    )
    listing.filters.update(extra)
    return listing


@requires("hazards.view")
def hazard_list(request: HttpRequest) -> HttpResponse:
    listing = ledger_listing(request)
    today = timezone.localdate()
    rows = [{"h": h, "overdue": h.is_overdue(today),
             "category": category_text(h.category_code)} for h in listing.page]
    return render(request, "hazards/hazard_list.html", {
        "listing": listing, "rows": rows, "statuses": HazardStatus.choices, "sources": HazardSource.choices,
        "sectors": Sector.choices, "categories": category_choices(today), "colours": HAZARD_STATUS_COLOURS,
        "divisions": division_options(request.user), "today": today,
    })


REGISTER_FIELDS = ("source", "category_code", "item_code", "description", "location", "found_on", "found_by",
                   "production_stop")


@requires("hazards.register")
def hazard_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    mine = request.GET.get("mine", "")
    if mine.isascii() and mine.isdigit() and len(mine) <= 18:
        initial["mine"] = mine
    data, files = _bound(request)
    form = HazardForm(data, files, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data.get(f) for f in REGISTER_FIELDS}
        try:
            hazard = services.register_hazard(actor=request.user, mine=form.cleaned_data["mine"], data=values,
                                              evidence=request.FILES.getlist("evidence"),
                                              request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Hazard registered."))
            return redirect(hazard)
    return render(request, "hazards/hazard_form.html", {"form": form, "title": _("Register a major hazard")})


@requires("hazards.view")
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    user = request.user
    today = timezone.localdate()
    try:
        standard, category = find_category(hazard.category_code)
    except KeyError:
        standard = category = None
    try:
        item = find_item(hazard.item_code)[2] if hazard.item_code else None
    except KeyError:
        item = None
    extensions = list(hazard.extensions.select_related("requested_by", "decided_by"))
    pending = any(e.status == ExtensionStatus.PENDING for e in extensions)
    statuses = dict(HazardStatus.choices)
    levels = dict(DivisionLevel.choices)
    events = [{"e": e, "from": statuses.get(e.from_status, e.from_status), "to": statuses.get(e.to_status, e.to_status),
               "text": timeline.describe(e)} for e in hazard.events.select_related("actor")]
    return render(request, "hazards/hazard_detail.html", {
        "h": hazard, "today": today, "standard": standard, "category": category, "item": item,
        "category_text": category_text(hazard.category_code),
        "overdue": hazard.is_overdue(today),
        "overdue_days": rules.overdue_days(hazard.deadline, today) if hazard.deadline else 0,
        "colours": HAZARD_STATUS_COLOURS, "actions": _actions(user, hazard, pending),
        "extensions": extensions, "can_decide": has_perm(user, "hazards.verify"),
        "listings": [{"l": listing, "level": levels.get(listing.level, listing.level)}
                     for listing in hazard.listings.select_related("listed_by")],
        "evidence": hazard.evidence.select_related("uploaded_by"),
        "decisions": hazard.decisions.all(), "events": events,
        "related_links": links_for(user, hazard),
    })


def _actions(user: Any, hazard: Hazard, pending_extension: bool) -> list[dict[str, str]]:
    """Buttons for the actions the status allows (rules.allowed_hazard_actions) and the user may take."""
    pages = {
        rules.ACTION_START_RECTIFICATION: ("hazards.rectify", "hazards:hazard_plan",
                                           _("Start rectification (five-in-place plan)"), ""),
        rules.ACTION_APPLY_FOR_CLOSURE: ("hazards.rectify", "hazards:hazard_apply", _("Apply for close-out"), ""),
        rules.ACTION_VERIFY_CLOSURE: ("hazards.verify", "hazards:hazard_verify", _("Verify and close out"), ""),
        rules.ACTION_REJECT_CLOSURE: ("hazards.verify", "hazards:hazard_reject", _("Reject close-out"), "danger"),
    }
    actions = []
    for action in rules.allowed_hazard_actions(hazard.status):
        perm, url, label, css = pages[action]
        if has_perm(user, perm):
            actions.append({"url": url, "label": label, "css": css})
    open_ = hazard.status != HazardStatus.CLOSED
    if open_ and hazard.deadline and not pending_extension and has_perm(user, "hazards.rectify"):
        actions.append({"url": "hazards:hazard_extend", "label": _("Request an extension"), "css": "secondary"})
    if open_ and has_perm(user, "hazards.list"):
        actions.append({"url": "hazards:hazard_listing", "label": _("List for supervision"), "css": "secondary"})
    return actions


# --- action pages ----------------------------------------------------------------------------


def _action_page(request: HttpRequest, hazard: Hazard, form: forms.Form, call: Callable[[dict[str, Any]], Any], *,
                 title: str, success: str, blocked: str = "", intro: str = "") -> HttpResponse:
    """GET shows the form; POST runs one service call; field errors are shown on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, success)
            return redirect(hazard)
    return render(request, "hazards/action_form.html", {
        "form": form, "title": title, "h": hazard, "blocked": blocked, "intro": intro,
        "category_text": category_text(hazard.category_code), "colours": HAZARD_STATUS_COLOURS,
    })


def _blocked_by_status(hazard: Hazard, action: str) -> str:
    if action in rules.allowed_hazard_actions(hazard.status):
        return ""
    return _("This step is not possible while the hazard is “%(status)s”.") % {"status": hazard.get_status_display()}


@requires("hazards.rectify")
def hazard_plan(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    data, _files = _bound(request)
    form = PlanForm(data)

    def call(cd: dict[str, Any]) -> Any:
        return services.start_rectification(actor=request.user, hazard=hazard, plan=cd,
                                            request_id=request_id_of(request))

    return _action_page(request, hazard, form, call, title=_("Five-in-place rectification plan"),
                        success=_("Rectification started."),
                        blocked=_blocked_by_status(hazard, rules.ACTION_START_RECTIFICATION),
                        intro=_("Responsibility, measures, funds, deadline and contingency plan must all be in "
                                "place before rectification starts."))


@requires("hazards.rectify")
def hazard_apply(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    data, files = _bound(request)
    form = ApplyForm(data, files)

    def call(cd: dict[str, Any]) -> Any:
        return services.apply_for_closure(actor=request.user, hazard=hazard, note=cd.get("note") or "",
                                          evidence=request.FILES.getlist("evidence"),
                                          request_id=request_id_of(request))

    return _action_page(request, hazard, form, call, title=_("Apply for close-out"),
                        success=_("Close-out applied for."),
                        blocked=_blocked_by_status(hazard, rules.ACTION_APPLY_FOR_CLOSURE),
                        intro=_("Attach the evidence that the rectification is complete."))


@requires("hazards.verify")
def hazard_verify(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    data, _files = _bound(request)
    form = VerifyForm(data)

    def call(cd: dict[str, Any]) -> Any:
        return services.verify_closure(actor=request.user, hazard=hazard, method=cd.get("verification_method") or "",
                                       note=cd.get("note") or "", request_id=request_id_of(request))

    return _action_page(request, hazard, form, call, title=_("Verify and close out"),
                        success=_("Hazard closed out."),
                        blocked=_blocked_by_status(hazard, rules.ACTION_VERIFY_CLOSURE))


@requires("hazards.verify")
def hazard_reject(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    data, _files = _bound(request)
    form = RejectForm(data)

    def call(cd: dict[str, Any]) -> Any:
        return services.reject_closure(actor=request.user, hazard=hazard, reason=cd.get("reason") or "",
                                       request_id=request_id_of(request))

    return _action_page(request, hazard, form, call, title=_("Reject close-out"),
                        success=_("Close-out rejected; the hazard is back under rectification."),
                        blocked=_blocked_by_status(hazard, rules.ACTION_REJECT_CLOSURE))


@requires("hazards.rectify")
def hazard_extend(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    data, _files = _bound(request)
    form = ExtensionForm(data)
    blocked = ""
    if hazard.status == HazardStatus.CLOSED or hazard.deadline is None:
        blocked = _("Only a hazard under rectification has a deadline to extend.")
    elif hazard.extensions.filter(status=ExtensionStatus.PENDING).exists():
        blocked = _("An extension request is already pending.")

    def call(cd: dict[str, Any]) -> Any:
        return services.request_extension(actor=request.user, hazard=hazard, requested=cd["requested_deadline"],
                                          reason=cd.get("reason") or "", request_id=request_id_of(request))

    return _action_page(request, hazard, form, call, title=_("Request an extension"),
                        success=_("Extension requested."), blocked=blocked)


@requires("hazards.verify")
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    extension = get_object_or_404(Extension.objects.visible_to(request.user).select_related("hazard"), pk=pk)
    approve = request.POST.get("approve", "")
    if approve not in ("0", "1"):
        messages.error(request, _("Choose to approve or reject the extension."))
        return redirect(extension.hazard)
    try:
        services.decide_extension(actor=request.user, extension=extension, approve=approve == "1",
                                  note=request.POST.get("note", ""), request_id=request_id_of(request))
    except Conflict as exc:
        messages.error(request, str(exc))
    except FieldErrors as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        messages.success(request, _("Extension approved.") if approve == "1" else _("Extension rejected."))
    return redirect(extension.hazard)


@requires("hazards.list")
def hazard_listing(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _visible_hazard(request, pk)
    data, _files = _bound(request)
    form = ListingForm(data)
    blocked = _("A closed-out hazard cannot be listed.") if hazard.status == HazardStatus.CLOSED else ""

    def call(cd: dict[str, Any]) -> Any:
        return services.list_for_supervision(actor=request.user, hazard=hazard,
                                             document_no=cd.get("document_no") or "", deadline=cd.get("deadline"),
                                             note=cd.get("note") or "", request_id=request_id_of(request))

    return _action_page(request, hazard, form, call, title=_("List for supervision"),
                        success=_("Hazard listed for supervision."), blocked=blocked)


@requires("hazards.view")
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("evidence file missing") from None
    return FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)


# --- monthly self-inspections ------------------------------------------------------------------

COMPLIANCE_MONTHS = 6
COMPLIANCE_MAX_ROWS = 200
SELF_INSPECTION_SORTS = {"period": "period", "mine": "mine__name", "organised_on": "organised_on",
                         "hazards_found": "hazards_found", "recorded_at": "recorded_at"}


def compliance_gaps(user: Any, today: dt.date) -> tuple[list[dict[str, Any]], int, dt.date]:
    """Mines in production or construction, visible to ``user``, with a complete period since the
    start of the month six months ago that has no self-inspection (rules.missing_self_inspections).

    Returns (the first COMPLIANCE_MAX_ROWS rows, how many mines have a gap, the window's start).
    """
    start = rules.add_months(today.replace(day=1), -COMPLIANCE_MONTHS)
    mines = (Mine.objects.visible_to(user).filter(status__in=[MineStatus.PRODUCTION, MineStatus.CONSTRUCTION])
             .order_by("county_id", "name", "pk").values_list("pk", "name", "sector", "status", "county__name"))
    done: dict[int, set[str]] = defaultdict(set)
    recorded = (SelfInspection.objects.visible_to(user).filter(organised_on__gte=start - dt.timedelta(days=92))
                .values_list("mine_id", "period"))
    for mine_id, period in recorded.iterator(chunk_size=2000):
        done[mine_id].add(period)
    sectors = dict(Sector.choices)
    statuses = dict(MineStatus.choices)
    latest: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    total = 0
    for pk, name, sector, status, county in mines.iterator(chunk_size=2000):
        try:
            missing = rules.missing_self_inspections(sector, done[pk], start, today)
        except ValueError:
            continue
        if not missing:
            continue
        total += 1
        if len(rows) >= COMPLIANCE_MAX_ROWS:
            continue
        if sector not in latest:
            everything = rules.missing_self_inspections(sector, set(), start, today)
            latest[sector] = everything[-1] if everything else ""
        rows.append({"pk": pk, "name": name, "sector": sectors.get(sector, sector), "status": statuses.get(status),
                     "county": county, "missing": missing, "last_missing": missing[-1] == latest[sector]})
    return rows, total, start


@requires("hazards.self_inspection")
def self_inspections(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    data, _files = _bound(request)
    initial = {}
    mine = request.GET.get("mine", "")
    if mine.isascii() and mine.isdigit() and len(mine) <= 18:
        initial["mine"] = mine
    form = SelfInspectionForm(data, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        period = (cd.get("period") or "").strip()
        if not period and cd.get("organised_on"):
            period = rules.period_key(cd["mine"].sector, cd["organised_on"])
        try:
            services.record_self_inspection(
                actor=user, mine=cd["mine"], period=period, organised_on=cd.get("organised_on"),
                organiser=cd.get("organiser") or "", hazards_found=cd.get("hazards_found") or 0,
                notes=cd.get("notes") or "", request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Self-inspection recorded."))
            return redirect("hazards:self_inspections")
    qs = SelfInspection.objects.visible_to(user).select_related("mine", "mine__county", "recorded_by")
    listing = apply_listing(request, qs, search_fields=("mine__name", "organiser", "notes"),
                            filter_fields={"period": "period", "mine": "mine_id"}, sort_fields=SELF_INSPECTION_SORTS,
                            default_sort="-period", int_params=frozenset({"mine"}))
    gaps, total, start = compliance_gaps(user, today)
    gap_page = Paginator(gaps, 25).get_page(request.GET.get("cpage"))
    return render(request, "hazards/self_inspections.html", {
        "form": form, "listing": listing, "gap_page": gap_page, "gap_total": total, "gap_start": start,
        "gap_cap": COMPLIANCE_MAX_ROWS, "can_record": has_perm(user, "hazards.self_inspection"),
    })
