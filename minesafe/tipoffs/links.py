"""The hazard ledger shows the tip-offs a hazard came from (core.links: hazards does not import tipoffs)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _

from minesafe.accounts.permissions import has_perm
from minesafe.core import links


def _hazard_tipoffs(user: Any, hazard: models.Model) -> list[links.Link]:
    if not has_perm(user, "tipoffs.view"):
        return []  # enterprises never see reports or reporters
    from minesafe.tipoffs.models import Tipoff
    from minesafe.tipoffs.services import format_code

    return [links.Link(label=_("Tip-off %(code)s") % {"code": format_code(t.receipt_code)},
                       url=reverse("tipoffs:detail", args=[t.pk]), note=t.get_status_display())
            for t in Tipoff.objects.visible_to(user).filter(hazard=hazard).order_by("received_at")]


def register() -> None:
    links.register("hazards.hazard", _hazard_tipoffs)
