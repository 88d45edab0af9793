"""The public reporting pages (/report/, no login): report, receipt, return with the code, read the
answers, add information, download one's own files, and the mine search behind the form.

There is no user here, so ``visible_to`` (which gives anonymous visitors nothing) is not the gate:
a report is readable only by a browser session that proved its receipt code and secret
(``services.open_tipoff``) or just submitted it. The session holds the ids of those reports
(:data:`GRANTS`); every page that shows a report or a file checks it and answers 404 otherwise, so a
code in a URL opens nothing by itself. What the page shows is limited to the reporter's own input,
the public status wording and the public timeline events, worded here from their kind and data; of
what regulators typed only answers and reasons for declining are shown.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minesafe.core import throttle
from minesafe.core.errors import Conflict, FieldErrors, RateLimited
from minesafe.core.forms import apply_field_errors
from minesafe.core.http import client_address
from minesafe.core.middleware import request_id_of
from minesafe.registry.models import Mine
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs import services
from minesafe.tipoffs.choices import PUBLIC_STATUS, EventKind, TipoffStatus
from minesafe.tipoffs.forms_public import CheckForm, InformationForm, ReportForm
from minesafe.tipoffs.models import Tipoff, TipoffAttachment, TipoffEvent

GRANTS = "report.granted"  # ids of the reports this browser session may read
RECEIPT = "report.receipt"  # code and secret of the report just submitted, shown once
MAX_GRANTS = 20
SEARCH_LIMIT, SEARCH_PER_MINUTE = 20, 120
SEARCH_WINDOW = dt.timedelta(minutes=1)

# Kinds a reporter reads about the report the code opened, and about the earlier report it was merged
# into (there: not that report's reporter's own messages, nor its reward).
OWN_KINDS = frozenset({EventKind.RECEIVED, EventKind.ACCEPTED, EventKind.DECLINED, EventKind.ASSIGNED,
                       EventKind.VERIFIED, EventKind.EXTENDED, EventKind.ANSWERED, EventKind.REWARD, EventKind.PAID,
                       EventKind.CLOSED, EventKind.MERGED, EventKind.INFORMATION})
PRIMARY_KINDS = frozenset({EventKind.ACCEPTED, EventKind.ASSIGNED, EventKind.VERIFIED, EventKind.EXTENDED,
                           EventKind.ANSWERED, EventKind.CLOSED})
# Only these kinds show what a person typed: the regulator's answer and reason, the reporter's message.
MESSAGE_KINDS = frozenset({EventKind.DECLINED, EventKind.ANSWERED, EventKind.INFORMATION})


# --- session grants --------------------------------------------------------------------------------


def _grants(request: HttpRequest) -> list[int]:
    value = request.session.get(GRANTS, [])
    return [int(v) for v in value if isinstance(v, int)] if isinstance(value, list) else []


def _grant(request: HttpRequest, pk: int) -> None:
    ids = [i for i in _grants(request) if i != pk]
    request.session[GRANTS] = [*ids, pk][-MAX_GRANTS:]
    # A new session key once access to a report is gained: a key fixed before cannot read it.
    request.session.cycle_key()


def _normalise(code: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", code or "").upper()


def _granted(request: HttpRequest, code: str) -> Tipoff:
    """The report ``code`` if this session proved it (404 otherwise, the same for an unknown code)."""
    tipoff = (Tipoff.objects.select_related("mine", "merged_into")
              .filter(receipt_code=_normalise(code), pk__in=_grants(request)).first())
    if tipoff is None:
        raise Http404("report not opened in this session")
    return tipoff


def _limited(request: HttpRequest, template: str, context: dict[str, Any], exc: RateLimited) -> HttpResponse:
    response = render(request, template, {**context, "rate_limited": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


# --- report ------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ReportForm(request.POST if posted else None, request.FILES if posted else None)
    uploads = request.FILES.getlist("attachments") if posted else []
    context = {"form": form, "files_lost": bool(uploads), "accept_days": settings.TIPOFF_ACCEPT_DAYS,
               "handling_days": settings.TIPOFF_HANDLING_DAYS}
    if posted and form.is_valid():
        try:
            receipt = services.submit_tipoff(data=form.service_data(), attachments=uploads,
                                             client=client_address(request), request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except RateLimited as exc:
            return _limited(request, "tipoffs/public/submit.html", context, exc)
        else:
            request.session[RECEIPT] = {"id": receipt.tipoff.pk, "code": receipt.code, "secret": receipt.secret}
            return redirect("report:receipt")
    return render(request, "tipoffs/public/submit.html", context)


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """The code and secret, once: they are taken out of the session as the page is made."""
    data = request.session.pop(RECEIPT, None)
    if not isinstance(data, dict) or not {"id", "code", "secret"} <= set(data):
        return redirect("report:check")
    _grant(request, int(data["id"]))
    code, secret = services.format_code(data["code"]), services.format_secret(data["secret"])
    text = _("Mine safety tip-off receipt\nReceipt code: %(code)s\nSecret: %(secret)s\n"
             "Check the progress at: %(url)s\n") % {
        "code": code, "secret": secret, "url": request.build_absolute_uri(reverse("report:check"))}
    return render(request, "tipoffs/public/receipt.html", {
        "code": code, "secret": secret, "raw_code": data["code"], "receipt_text": text})


# --- return with the code ----------------------------------------------------------------------------


def _opened(request: HttpRequest) -> list[dict[str, str]]:
    """The reports this session may read (newest first), for links on the check page."""
    ids = _grants(request)
    codes = dict(Tipoff.objects.filter(pk__in=ids).values_list("pk", "receipt_code"))
    return [{"code": codes[i], "label": services.format_code(codes[i])} for i in reversed(ids) if i in codes]


@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "opened": _opened(request)}
    if request.method == "POST" and form.is_valid():
        try:
            tipoff = services.open_tipoff(code=form.cleaned_data["code"], secret=form.cleaned_data["secret"],
                                          client=client_address(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        except RateLimited as exc:
            return _limited(request, "tipoffs/public/check.html", context, exc)
        else:
            _grant(request, tipoff.pk)
            return redirect("report:view", code=tipoff.receipt_code)
    return render(request, "tipoffs/public/check.html", context)


@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    """Drop access to every report opened in this browser (a shared computer)."""
    request.session.pop(GRANTS, None)
    request.session.pop(RECEIPT, None)
    request.session.cycle_key()
    messages.success(request, _("This browser can no longer open your reports. Use the code and secret to "
                                "open them again."))
    return redirect("report:check")


# --- the report as the reporter reads it -------------------------------------------------------------


def _yuan(value: Any) -> str:
    try:
        return floatformat(Decimal(str(value)), "-2g")
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _date(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.isoformat() if isinstance(value, dt.date) else ""


def event_text(event: TipoffEvent) -> str:
    """The sentence the reporter reads for a public event (nothing about who handled it)."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.RECEIVED:
        files = int(data.get("attachments") or 0)
        if files:
            return _("Your report was received with %(n)d file(s).") % {"n": files}
        return _("Your report was received.")
    if kind == EventKind.ACCEPTED:
        return _("Your report was accepted; the matter will be verified.")
    if kind == EventKind.DECLINED:
        return _("Your report was not accepted. Reason:")
    if kind == EventKind.ASSIGNED:
        return _("Verification of the matter has been arranged.")
    if kind == EventKind.VERIFIED:
        if data.get("verified_true"):
            return _("Verification finished: the matter was found true.")
        return _("Verification finished: the matter could not be confirmed.")
    if kind == EventKind.EXTENDED:
        return _("The handling period was extended by %(days)s days.") % {"days": data.get("days", "")}
    if kind == EventKind.ANSWERED:
        return _("Answer from the regulator:")
    if kind == EventKind.REWARD:
        return _("A reward of %(amount)s yuan was decided.") % {"amount": _yuan(data.get("amount", ""))}
    if kind == EventKind.PAID:
        return _("The reward was paid on %(date)s.") % {"date": _date(data.get("paid_on"))}
    if kind == EventKind.CLOSED:
        return _("The report was closed.")
    if kind == EventKind.MERGED:
        return _("Your report concerns the same matter as an earlier report and was merged with it; "
                 "the handling of that report is shown below.")
    if kind == EventKind.INFORMATION:
        files = data.get("files") or []
        if files:
            return _("You added information (%(n)d file(s)).") % {"n": len(files)}
        return _("You added information.")
    return ""


def public_timeline(tipoff: Tipoff, kinds: frozenset[str]) -> list[dict[str, Any]]:
    """The public events of ``tipoff`` of ``kinds``, worded for the reporter."""
    rows = []
    for event in TipoffEvent.objects.filter(tipoff=tipoff, public=True, kind__in=kinds).order_by("at", "id"):
        rows.append({"at": event.at, "text": event_text(event),
                     "message": event.message if event.kind in MESSAGE_KINDS else "",
                     "from_reporter": event.kind == EventKind.INFORMATION})
    return rows


def _final_primary(tipoff: Tipoff) -> Tipoff | None:
    """The report a merged report's matter is handled in: the one it was merged into, or further along
    when that one was itself merged later (as the API's lookup does)."""
    if tipoff.status != TipoffStatus.MERGED or tipoff.merged_into is None:
        return None
    primary = tipoff.merged_into
    for _hop in range(10):
        if primary.merged_into_id is None:
            break
        primary = primary.merged_into
    return primary


def _report_context(tipoff: Tipoff) -> dict[str, Any]:
    primary = _final_primary(tipoff)
    can_add = rules.Action.ADD_INFORMATION in rules.allowed_actions(tipoff.status,
                                                                    verified_true=tipoff.verified_true)
    return {
        "tipoff": tipoff,
        "code": services.format_code(tipoff.receipt_code),
        "public_status": PUBLIC_STATUS.get(tipoff.status, ""),
        "received_on": timezone.localdate(tipoff.received_at),
        "mine_text": tipoff.mine_description or (tipoff.mine.name if tipoff.mine else ""),
        "timeline": public_timeline(tipoff, OWN_KINDS),
        "files": TipoffAttachment.objects.filter(tipoff=tipoff, from_reporter=True).order_by("uploaded_at", "id"),
        "primary": primary,
        # the earlier report's reward is its reporter's business
        "primary_status": PUBLIC_STATUS.get(TipoffStatus.ANSWERED if primary.status == TipoffStatus.REWARD_DECIDED
                                            else primary.status, "") if primary else "",
        "primary_timeline": public_timeline(primary, PRIMARY_KINDS) if primary else [],
        "can_add": can_add,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def view(request: HttpRequest, code: str) -> HttpResponse:
    tipoff = _granted(request, code)
    posted = request.method == "POST"
    form = InformationForm(request.POST if posted else None, request.FILES if posted else None)
    uploads = request.FILES.getlist("attachments") if posted else []
    context: dict[str, Any] = {"form": form, "files_lost": bool(uploads)}
    if posted and form.is_valid():
        try:
            services.add_information(tipoff=tipoff, text=form.cleaned_data["text"], attachments=uploads,
                                     client=client_address(request), request_id=request_id_of(request))
        except (FieldErrors, Conflict) as exc:
            if isinstance(exc, FieldErrors):
                apply_field_errors(form, exc)
            else:
                form.add_error(None, str(exc))
        except RateLimited as exc:
            return _limited(request, "tipoffs/public/view.html", {**context, **_report_context(tipoff)}, exc)
        else:
            messages.success(request, _("Your information was added to the report."))
            return redirect("report:view", code=tipoff.receipt_code)
    return render(request, "tipoffs/public/view.html", {**context, **_report_context(tipoff)})


@never_cache
@require_GET
def attachment(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """A file the reporter sent with a report this session opened (404 otherwise)."""
    tipoff = _granted(request, code)
    item = TipoffAttachment.objects.filter(pk=pk, tipoff=tipoff, from_reporter=True).first()
    if item is None:
        raise Http404("attachment not available")
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("attachment file missing") from None
    response = FileResponse(handle, as_attachment=True, filename=item.original_name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- mine search for the form ------------------------------------------------------------------------


@require_GET
def mine_search(request: HttpRequest) -> JsonResponse:
    """Registered mines whose name contains ``q`` (≥ 2 characters), optionally in ``county``: only the
    public registry facts (name, county). Softly rate limited per client address."""
    client = client_address(request)
    if not throttle.allowed("report.mine_search", client, limit=SEARCH_PER_MINUTE, window=SEARCH_WINDOW):
        wait = throttle.retry_after("report.mine_search", client, limit=SEARCH_PER_MINUTE, window=SEARCH_WINDOW)
        response = JsonResponse({"detail": _("Too many searches. Please wait a minute."), "results": []}, status=429)
        response["Retry-After"] = str(wait)
        return response
    throttle.record("report.mine_search", client)
    q = request.GET.get("q", "").strip()[:50]
    county = request.GET.get("county", "").strip()
    results: list[dict[str, Any]] = []
    if len(q) >= 2:
        mines = Mine.objects.filter(name__icontains=q)
        if re.fullmatch(r"\d{6}", county):
            mines = mines.filter(county_id=county)
        rows = mines.order_by("name", "pk").values_list("pk", "name", "county_id", "county__full_name",
                                                        "county__name")[:SEARCH_LIMIT]
        results = [{"id": pk, "name": name, "county": full or short, "county_code": code}
                   for pk, name, code, full, short in rows]
    return JsonResponse({"results": results})
