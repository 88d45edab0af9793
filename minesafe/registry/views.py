"""Registry pages: dashboard, enterprise and mine lists/details/forms, status changes, xlsx I/O.

Views parse input, call one service and render; every queryset starts from ``visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Model, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.decorators import requires
from minesafe.accounts.permissions import has_perm
from minesafe.accounts.queries import division_options
from minesafe.core import jobs
from minesafe.core.charts import grouped_bars
from minesafe.core.errors import Conflict, FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.listing import apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.models import AuditEntry, ImportJob
from minesafe.core.querysets import code_prefix_q
from minesafe.core.xlsx import XLSX_CONTENT_TYPE
from minesafe.registry import io, queries, services
from minesafe.registry.choices import MINE_STATUS_COLOURS, MineStatus, Scale, Sector
from minesafe.registry.forms import (
    EnterpriseAccountForm,
    EnterpriseForm,
    ImportForm,
    MineCreateForm,
    MineForm,
    StatusChangeForm,
)
from minesafe.registry.models import MINE_IMPORT_KIND, Enterprise, Mine, MineStatusChange
from minesafe.rules import allowed_targets, licence_state


def home(request: HttpRequest) -> HttpResponse:
    """Dashboard for business roles; the separated admin roles land on their own page."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if has_perm(user, "registry.view"):
        return dashboard(request)
    for perm, target in (("audit.view", "accounts:audit_list"), ("accounts.manage_users", "accounts:users"),
                         ("accounts.security", "accounts:security")):
        if has_perm(user, perm):
            return redirect(target)
    return render(request, "core/no_role.html", status=403)


@requires("registry.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    data = queries.dashboard(Mine.objects.visible_to(request.user), today,
                             MineStatusChange.objects.visible_to(request.user))
    trend = data["trend"]
    labels = dict(MineStatus.choices)
    chart = grouped_bars(
        [m.strftime("%y-%m") for m in trend["months"]],
        [(str(labels[s["status"]]), s["colour"], s["counts"]) for s in trend["series"]],
        width=960, height=200,
    )
    return render(request, "registry/dashboard.html", {"d": data, "today": today, "chart": chart})


# --- enterprises -----------------------------------------------------------------------------

ENTERPRISE_SORTS = {"name": "name", "uscc": "uscc", "county": "division_id", "mines": "n_mines",
                    "updated": "updated_at"}


@requires("registry.view")
def enterprise_list(request: HttpRequest) -> HttpResponse:
    # Count only the mines the viewer may see: an enterprise also operating elsewhere must not
    # reveal how many mines it has outside the viewer's jurisdiction.
    visible_mines = Mine.objects.visible_to(request.user).values("pk")
    qs = Enterprise.objects.visible_to(request.user).select_related("division", "parent").annotate(
        n_mines=Count("mines", filter=Q(mines__pk__in=visible_mines))
    )
    division = request.GET.get("division", "").strip()[:12]
    if division:
        qs = qs.filter(code_prefix_q("division__code", division))
    listing = apply_listing(
        request, qs, search_fields=("name", "uscc", "actual_controller"),
        filter_fields={"county": "division_id", "parent": "parent_id"},
        sort_fields=ENTERPRISE_SORTS, default_sort="name", int_params=frozenset({"parent"}),
    )
    if division:
        listing.filters["division"] = division
    parents = {e.parent_id for e in listing.page if e.parent_id}
    visible_parents = set(
        Enterprise.objects.visible_to(request.user).filter(pk__in=parents).values_list("pk", flat=True)
    )
    return render(request, "registry/enterprise_list.html", {"listing": listing, "visible_parents": visible_parents,
                                                              "divisions": division_options(request.user)})


@requires("registry.view")
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("division", "parent"),
                                   pk=pk)
    mines = Mine.objects.visible_to(request.user).filter(enterprise=enterprise).select_related("county")
    subsidiaries = Enterprise.objects.visible_to(request.user).filter(parent=enterprise)
    parent_visible = enterprise.parent_id is not None and Enterprise.objects.visible_to(request.user).filter(
        pk=enterprise.parent_id).exists()
    return render(request, "registry/enterprise_detail.html", {
        "e": enterprise, "mines": mines, "subsidiaries": subsidiaries, "parent_visible": parent_visible,
        "history": _history(Enterprise, enterprise.pk),
    })


@requires("registry.edit")
def enterprise_create(request: HttpRequest) -> HttpResponse:
    return _enterprise_form(request, None)


@requires("registry.edit")
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    services.require_enterprise_editable(request.user, enterprise)
    return _enterprise_form(request, enterprise)


def _enterprise_form(request: HttpRequest, instance: Enterprise | None) -> HttpResponse:
    form = EnterpriseForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data.get(f) for f in services.ENTERPRISE_FIELDS}
        try:
            if instance is None:
                obj = services.create_enterprise(actor=request.user, data=data, request_id=request_id_of(request))
            else:
                obj = services.update_enterprise(actor=request.user, enterprise=instance, data=data,
                                                 request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:enterprise_detail", pk=obj.pk)
    title = _("New enterprise") if instance is None else _("Edit enterprise")
    return render(request, "core/form.html", {"form": form, "title": title, "object": instance})


@requires("accounts.manage_users")
def enterprise_account(request: HttpRequest) -> HttpResponse:
    """System administrator opens an enterprise's account organisation by its exact code."""
    form = EnterpriseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.open_enterprise_account(actor=request.user, uscc=form.cleaned_data["uscc"],
                                                   request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Account organisation opened for %(name)s.") % {"name": org.name})
            return redirect("accounts:organisations")
    return render(request, "core/form.html", {"form": form, "title": _("Open an enterprise account")})


# --- mines -----------------------------------------------------------------------------------

MINE_SORTS = {
    "name": "name", "enterprise": "enterprise__name", "county": "county_id", "sector": "sector",
    "status": "status", "scale": "scale", "capacity": "approved_capacity",
    "safety_licence": "safety_licence_valid_until", "updated": "updated_at",
}
MINE_FILTERS = {
    "sector": "sector", "status": "status", "scale": "scale", "county": "county_id",
    "enterprise": "enterprise_id", "gas_grade": "gas_grade", "standardization_grade": "standardization_grade",
}


def _mine_listing(request: HttpRequest, paginate: bool = True) -> Any:
    qs = Mine.objects.visible_to(request.user).select_related("enterprise", "county")
    division = request.GET.get("division", "").strip()[:12]
    if division:
        qs = qs.filter(code_prefix_q("county__code", division))
    licence = request.GET.get("licence", "").strip()
    if licence in ("expired", "expiring", "missing"):
        qs = qs.filter(queries.licence_filter(licence, timezone.localdate()))
    listing = apply_listing(
        request, qs, search_fields=("name", "enterprise__name", "enterprise__uscc", "safety_licence_no"),
        filter_fields=MINE_FILTERS, sort_fields=MINE_SORTS, default_sort="name", paginate=paginate,
        int_params=frozenset({"enterprise"}),
    )
    if division:
        listing.filters["division"] = division
    if licence:
        listing.filters["licence"] = licence
    return listing


@requires("registry.view")
def mine_list(request: HttpRequest) -> HttpResponse:
    listing = _mine_listing(request)
    today = timezone.localdate()
    rows = [(m, licence_state(m.safety_licence_valid_until, today), licence_state(m.mining_licence_valid_until, today))
            for m in listing.page]
    return render(request, "registry/mine_list.html", {
        "listing": listing, "rows": rows, "sectors": Sector.choices, "statuses": MineStatus.choices,
        "scales": Scale.choices, "colours": MINE_STATUS_COLOURS, "divisions": division_options(request.user),
    })


@requires("registry.export")
def mine_export(request: HttpRequest) -> HttpResponse:
    listing = _mine_listing(request, paginate=False)
    content = io.export_mines(listing.queryset)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="mines-{stamp}.xlsx"'
    return response


@requires("registry.import")
def mine_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(io.template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="mine-import-template.xlsx"'
    return response


@requires("registry.import")
def mine_import(request: HttpRequest) -> HttpResponse:
    """Upload page: queues a background import and sends the user to its progress page."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = jobs.start_import(MINE_IMPORT_KIND, actor=request.user, filename=upload.name, data=upload.read(),
                                    request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            return redirect(job)
    recent = jobs.jobs_of(request.user, MINE_IMPORT_KIND)[:10]
    return render(request, "registry/mine_import.html", {"form": form, "columns": io.MINE_COLUMNS,
                                                          "recent": recent})


def _own_import(request: HttpRequest, pk: int) -> ImportJob:
    # An import run, its errors and its file belong to the uploader alone.
    return get_object_or_404(jobs.jobs_of(request.user, MINE_IMPORT_KIND), pk=pk)


@requires("registry.import")
def mine_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_import(request, pk)
    return render(request, "registry/mine_import_job.html", {"job": job})


@requires("registry.import")
def mine_import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = _own_import(request, pk)
    return JsonResponse(jobs.progress_payload(job))


@requires("registry.view")
def mine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mine = get_object_or_404(Mine.objects.visible_to(request.user).select_related("enterprise", "county"), pk=pk)
    today = timezone.localdate()
    return render(request, "registry/mine_detail.html", {
        "m": mine,
        "colours": MINE_STATUS_COLOURS,
        "safety_state": licence_state(mine.safety_licence_valid_until, today),
        "mining_state": licence_state(mine.mining_licence_valid_until, today),
        "status_changes": mine.status_changes.select_related("actor"),
        "history": _history(Mine, mine.pk),
        "targets": allowed_targets(mine.status),
    })


@requires("registry.edit")
def mine_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("enterprise"):
        initial["enterprise"] = request.GET["enterprise"]
    form = MineCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data.get(f) for f in services.MINE_FIELDS}
        try:
            mine = services.create_mine(actor=request.user, data=data, status=form.cleaned_data["status"],
                                        request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:mine_detail", pk=mine.pk)
    return render(request, "core/form.html", {"form": form, "title": _("New mine")})


@requires("registry.edit")
def mine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mine = get_object_or_404(Mine.objects.visible_to(request.user), pk=pk)
    form = MineForm(request.POST or None, instance=mine, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data.get(f) for f in services.MINE_FIELDS}
        try:
            services.update_mine(actor=request.user, mine=mine, data=data, request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:mine_detail", pk=mine.pk)
    return render(request, "core/form.html", {"form": form, "title": _("Edit mine"), "object": mine})


@requires("registry.change_status")
def mine_status(request: HttpRequest, pk: int) -> HttpResponse:
    mine = get_object_or_404(Mine.objects.visible_to(request.user), pk=pk)
    labels = dict(MineStatus.choices)
    targets = [(t, labels[t]) for t in allowed_targets(mine.status)]
    form = StatusChangeForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_mine_status(actor=request.user, mine=mine, request_id=request_id_of(request),
                                        **form.cleaned_data)
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Status changed."))
            return redirect("registry:mine_detail", pk=mine.pk)
    title = _("Change status of %(name)s") % {"name": mine.name}
    return render(request, "core/form.html", {"form": form, "title": title, "object": mine})


def _history(model: type[Model], pk: int) -> list[dict[str, Any]]:
    """The object's audit entries, newest first, with changed fields under their verbose names."""
    labels = {f.attname: str(f.verbose_name) for f in model._meta.concrete_fields}
    entries = AuditEntry.objects.filter(object_type=model._meta.label_lower, object_id=str(pk)).order_by("-id")
    rows = []
    for entry in entries[:100]:
        changes = [
            (labels.get(field, field), before, after)
            for field, (before, after) in entry.changes.items()
            if field != "id" and (before not in (None, "") or after not in (None, ""))
        ]
        rows.append({"entry": entry, "changes": changes})
    return rows
