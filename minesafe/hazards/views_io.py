"""Hazard-ledger xlsx pages: ledger export, self-check list import and its template.

The upload (capped by ``settings.IMPORT_MAX_BYTES``; rows by ``settings.IMPORT_MAX_ROWS``) becomes a
background ``core.ImportJob`` of kind ``hazards.self_check`` (``core.jobs``); the user is sent to its
page, which polls ``import_progress`` and then shows the result. Only the uploader sees a run.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minesafe.accounts.decorators import requires
from minesafe.core import jobs
from minesafe.core.errors import FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.middleware import request_id_of
from minesafe.core.models import ImportJob
from minesafe.core.querysets import scope_of
from minesafe.core.xlsx import XLSX_CONTENT_TYPE
from minesafe.hazards import io

__all__ = ["import_job", "import_progress", "import_template", "import_view", "ledger_export", "ledger_queryset"]


def ledger_queryset(request: HttpRequest) -> QuerySet:
    """The ledger list's rows for this request: its search, filters (status, source, sector, category,
    mine, division prefix, overdue, listed, found_from/found_to) and sort, on ``visible_to(user)``."""
    from minesafe.hazards.views import ledger_listing  # lazy: views imports this module lazily too

    return ledger_listing(request, paginate=False).queryset


@requires("hazards.export")
def ledger_export(request: HttpRequest) -> HttpResponse:
    content = io.export_ledger(ledger_queryset(request))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="hazards-{stamp}.xlsx"'
    return response


@requires("hazards.import")
def import_template(request: HttpRequest) -> HttpResponse:
    content = io.template_workbook(enterprise=scope_of(request.user).is_enterprise)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="hazard-self-check-template.xlsx"'
    return response


class HazardImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("xlsx file"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not (f.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file."))
        if f.size is None or f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB.")
                                        % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
        if f.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return f


@requires("hazards.import")
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload page: queues a background import and sends the user to its progress page."""
    enterprise = scope_of(request.user).is_enterprise
    form = HazardImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = jobs.start_import(io.SELF_CHECK_IMPORT_KIND, actor=request.user, filename=upload.name,
                                    data=upload.read(), request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            return redirect(job)
    columns = [c for c in io.IMPORT_COLUMNS if not (enterprise and c.key == "source")]
    return render(request, "hazards/import.html", {
        "form": form, "columns": columns, "enterprise": enterprise, "max_rows": settings.IMPORT_MAX_ROWS,
        "recent": jobs.jobs_of(request.user, io.SELF_CHECK_IMPORT_KIND)[:10],
    })


def _own_import(request: HttpRequest, pk: int) -> ImportJob:
    # An import run, its errors and its file belong to the uploader alone.
    return get_object_or_404(jobs.jobs_of(request.user, io.SELF_CHECK_IMPORT_KIND), pk=pk)


@requires("hazards.import")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: progress while it runs, then the count registered and the rejected rows with reasons;
    a file rejected as a whole (nothing registered) shows why."""
    return render(request, "hazards/import_job.html", {"job": _own_import(request, pk)})


@requires("hazards.import")
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """What the job page polls (``static/js/import-progress.js``)."""
    return JsonResponse(jobs.progress_payload(_own_import(request, pk)))
