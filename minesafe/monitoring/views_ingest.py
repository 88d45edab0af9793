"""HTTP bulk ingestion for mine gateways (issue #6, way 2): ``POST /monitoring/ingest/readings/``.

Authenticated per gateway, not per user: ``Authorization: Gateway <token>``, resolved by
``sensors.gateway_for_token`` (SHA-256 of the token among active gateways; it also marks the gateway
seen). The gateway may only write its own mine's points (point codes are resolved within that mine).
The body is NDJSON (``application/x-ndjson``: one ``{"point", "ts", "value", "status"}`` object per
line) or CSV (``text/csv``, header ``point,ts,value[,status]``). Good lines are stored (idempotently,
see ``ingest.store``), bad lines are reported with their line numbers:

- 200 ``{"stored", "duplicates", "rejected": [{"line", "reason"}]}``;
- 401 missing or unknown token; 413 body over ``MONITORING_HTTP_MAX_BYTES`` (default 8 MiB);
  415 another content type; 422 no line could be parsed (empty body, CSV without the header …).

No session, no CSRF token (machines post here), so the view is ``csrf_exempt`` and answers the
same to every logged-in user as to anonymous callers.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from minesafe.monitoring import ingest
from minesafe.monitoring.sensors import gateway_for_token

log = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"
CSV = "text/csv"


def max_bytes() -> int:
    return int(getattr(settings, "MONITORING_HTTP_MAX_BYTES", 8 * 1024 * 1024))


def _error(status: int, detail: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Gateway"
    return response


def _decode(body: bytes, charset: str | None) -> str:
    """The declared charset, else UTF-8 with a fallback to GB18030 (a superset of GBK) for gateways
    that write Chinese point codes in the mine's legacy encoding."""
    if charset:
        return body.decode(charset)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("gb18030")


@csrf_exempt
@require_POST
def ingest_readings(request: HttpRequest) -> JsonResponse:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    gateway = gateway_for_token(token.strip()) if scheme == "Gateway" and token.strip() else None
    if gateway is None:
        return _error(401, "a valid 'Authorization: Gateway <token>' header is required")
    content_type = request.content_type
    if content_type not in (NDJSON, CSV):
        return _error(415, f"send {NDJSON} or {CSV}")
    limit = max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(413, f"the body is limited to {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, f"the body is limited to {limit} bytes")
    try:
        text = _decode(body, request.content_params.get("charset"))
    except (LookupError, UnicodeDecodeError):
        return _error(422, "the body cannot be decoded with the declared charset")
    try:
        records, errors = ingest.parse_ndjson(text) if content_type == NDJSON else ingest.parse_csv(text)
    except ValueError as exc:
        return _error(422, str(exc))
    if not records:
        return _error(422, "no line could be parsed",
                      rejected=[{"line": line, "reason": reason} for line, reason in errors])
    result = ingest.store_points(gateway.mine_id, records)
    rejected = sorted(errors + result.rejected)
    if rejected:
        log.info("gateway %s: %d readings rejected", gateway.pk, len(rejected))
    return JsonResponse(ingest.StoreResult(result.stored, result.duplicates, rejected).as_json())
