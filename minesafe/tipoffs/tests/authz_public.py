"""The public reporting pages in the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

Every "report:*" route is public: no role is needed and every role (and anonymous) gets the same
answer. A report and its files open only for the browser session that proved the receipt code and
secret, so with a fresh session the report page and the file download of a real report answer 404
to everyone (the receipt page, with no receipt in the session, sends to the check page). Object kinds:
"report_code" (the receipt code of a report at mine_a) and "report_file" ((code, id) of a file its
reporter sent).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from minesafe.testing.authz import r
from minesafe.testing.factories import World

UI_ROUTES = {
    "report:submit": r(set(), public=True),
    "report:receipt": r(set(), public=True, ok=(302,)),
    "report:check": r(set(), public=True),
    "report:forget": r(set(), public=True, method="POST", ok=(302,)),
    "report:view": r(set(), public=True, obj="report_code", ok=(404,)),
    "report:attachment": r(set(), public=True, obj="report_file", ok=(404,)),
    "report:mine_search": r(set(), public=True),
}

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def _report(world: World) -> Any:
    cache = world.__dict__.setdefault("_public_authz", {})
    if "receipt" not in cache:
        from minesafe.tipoffs import services

        cache["receipt"] = services.submit_tipoff(
            data={"category": "major_hazard", "description": "井下安全出口被堵塞，仍在组织生产",
                  "mine": world.mine_a.pk, "anonymous": True},
            attachments=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")], client="192.0.2.50")
    return cache["receipt"].tipoff


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind == "report_code":
        return [(_report(world).receipt_code, False)]
    if kind == "report_file":
        report = _report(world)
        return [((report.receipt_code, report.attachments.get().pk), False)]
    return None
