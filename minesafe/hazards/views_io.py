"""Hazard-ledger xlsx pages: ledger export, self-check list import and its template.

Imports run synchronously in the request (no job model yet): the upload is capped by
``settings.IMPORT_MAX_BYTES`` and ``settings.IMPORT_MAX_ROWS``, and the result table is shown on
the upload page. ``import_job`` / ``import_progress`` keep the URL names of a future background
job (like ``registry.MineImport``) and answer 404 until it exists.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minesafe.accounts.decorators import requires
from minesafe.core.errors import FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import scope_of
from minesafe.core.xlsx import XLSX_CONTENT_TYPE, SheetError
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
    """Upload page; the import runs in the request and its result is shown below the form."""
    enterprise = scope_of(request.user).is_enterprise
    form = HazardImportForm(request.POST or None, request.FILES or None)
    result = None
    filename = ""
    failure = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        filename = upload.name
        try:
            result = io.import_self_check(actor=request.user, data=upload.read(), request_id=request_id_of(request))
        except SheetError as exc:
            failure = str(exc)
            form.add_error("file", failure)
        except FieldErrors as exc:
            apply_field_errors(form, exc)
    columns = [c for c in io.IMPORT_COLUMNS if not (enterprise and c.key == "source")]
    return render(request, "hazards/import.html", {
        "form": form, "result": result, "filename": filename, "failure": failure, "columns": columns,
        "enterprise": enterprise, "max_rows": settings.IMPORT_MAX_ROWS,
    })


@requires("hazards.import")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Kept for the URL map: imports run synchronously, so there is no stored run to show."""
    raise Http404("hazard imports run synchronously; there are no stored import runs")


@requires("hazards.import")
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Kept for the URL map (see :func:`import_job`)."""
    raise Http404("hazard imports run synchronously; there are no stored import runs")
