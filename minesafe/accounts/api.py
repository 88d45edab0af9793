"""API: who am I, and the administrative divisions."""


from django.http import HttpRequest
from ninja import Router, Schema

from minesafe.accounts.models import Division

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    organisation: str | None
    scope: str
    division_prefix: str


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None
    full_name: str


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict:
    user = request.auth
    scope = user.scope
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation": str(user.organisation) if user.organisation else None, "scope": scope.kind,
            "division_prefix": scope.division_prefix}


@router.get("/divisions", response=list[DivisionOut])
def divisions(request: HttpRequest, parent: str = "CN") -> list[Division]:
    """Children of a division (public reference data, still behind authentication)."""
    return list(Division.objects.filter(parent_id=parent[:12]))
