"""The regulator pages of the tip-off register in the authorization matrix
(minesafe/core/tests/test_authz_matrix.py).

Object kind "tipoff" is a report at mine_a (岫岩, seen by SEES_A's regulators) and one at mine_b
(阜新 海州区, seen by SEES_B's regulators), submitted once per world through services.submit_tipoff.
Kind "tipoff_attachment" is the (tipoff, file) pair of the same reports: the route takes both ids.
Enterprises and the three admins hold no ``tipoffs.*`` permission: 403 everywhere. Reward, payment,
extension and the identity reveal are for leaders only.

Refused POSTs must change nothing: :func:`tipoff_state` is what test_views compares around them.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from minesafe.testing.authz import REGULATORS, SEES_A, SEES_B, r
from minesafe.testing.factories import World

LEADERS = {"province_leader", "city_leader", "county_leader"}
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64

_ACTIONS_HANDLE = ("accept", "decline", "assign", "verify", "identify", "handle", "answer", "close", "merge")
_ACTIONS_LEADER = ("reward", "payment", "extend", "reveal")

UI_ROUTES = {
    "tipoffs:list": r(REGULATORS),
    "tipoffs:export": r(REGULATORS),
    "tipoffs:kpi": r(REGULATORS),
    "tipoffs:kpi_export": r(REGULATORS),
    "tipoffs:detail": r(REGULATORS, obj="tipoff"),
    "tipoffs:attachment": r(REGULATORS, obj="tipoff_attachment"),
    **{f"tipoffs:{name}": r(REGULATORS, method="POST", obj="tipoff") for name in _ACTIONS_HANDLE},
    **{f"tipoffs:{name}": r(LEADERS, method="POST", obj="tipoff") for name in _ACTIONS_LEADER},
}


def _made(world: World) -> list[Any]:
    """A report with one attached file at mine_a and at mine_b, made once per world."""
    cache = world.__dict__.setdefault("_tipoffs_authz", {})
    if "tipoffs" not in cache:
        from minesafe.tipoffs import services

        made = []
        for n, mine in enumerate((world.mine_a, world.mine_b)):
            receipt = services.submit_tipoff(
                data={"category": "major_hazard", "description": "井下安全出口被堵塞，仍在组织生产", "mine": mine.pk,
                      "anonymous": False, "name": "矩阵举报人", "phone": "13800000000"},
                attachments=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
                client=f"192.0.2.{60 + n}")
            made.append(receipt.tipoff)
        cache["tipoffs"] = made
    return cache["tipoffs"]


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind not in ("tipoff", "tipoff_attachment"):
        return None
    at_a, at_b = _made(world)
    if kind == "tipoff":
        return [(at_a.pk, role in SEES_A), (at_b.pk, role in SEES_B)]
    return [((t.pk, t.attachments.get().pk), role in sees) for t, sees in ((at_a, SEES_A), (at_b, SEES_B))]


def tipoff_state() -> list[tuple[Any, ...]]:
    """Everything a refused request must leave as it was: the reports, their timelines and files."""
    from minesafe.core.models import AuditEntry
    from minesafe.tipoffs.models import Tipoff, TipoffAttachment, TipoffEvent

    return (list(Tipoff.objects.order_by("pk").values_list("pk", "status", "updated_at", "mine_id", "division_id"))
            + list(TipoffEvent.objects.order_by("pk").values_list("pk"))
            + list(TipoffAttachment.objects.order_by("pk").values_list("pk"))
            + [(AuditEntry.objects.count(),)])
