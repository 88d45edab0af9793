"""API for enterprises and mines. Same scoping (``visible_to``) and services as the UI."""


import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minesafe.accounts.models import Division
from minesafe.accounts.permissions import require
from minesafe.core.api import BoundedPagination, StrictSchema
from minesafe.core.errors import FieldErrors
from minesafe.core.middleware import request_id_of
from minesafe.core.querysets import code_prefix_q
from minesafe.registry import queries, services
from minesafe.registry.models import Enterprise, Mine, MineStatusChange

router = Router(tags=["registry"])

SectorCode = Literal["coal", "metal_underground", "metal_open_pit", "tailings"]
StatusCode = Literal["construction", "production", "rectification", "suspended", "closed"]
ScaleCode = Literal["large", "medium", "small"]


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str
    division_id: str = Field(alias="division_id")
    parent_id: int | None
    actual_controller: str
    legal_representative: str
    address: str
    phone: str
    updated_at: dt.datetime


class EnterpriseIn(StrictSchema):
    name: str | None = Field(None, max_length=200)
    uscc: str | None = Field(None, max_length=30)
    division_code: str | None = Field(None, max_length=12)
    parent_id: int | None = None
    actual_controller: str | None = Field(None, max_length=200)
    legal_representative: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=255)
    phone: str | None = Field(None, max_length=30)


class MineOut(Schema):
    id: int
    name: str
    enterprise_id: int
    county_id: str
    sector: str
    status: str
    status_since: dt.date | None
    scale: str
    approved_capacity: Decimal | None
    latitude: Decimal | None
    longitude: Decimal | None
    boundary: list[list[float]] | None
    depth_m: Decimal | None
    gas_grade: str
    hydrogeology: str
    rock_burst: bool | None
    spontaneous_combustion: str
    standardization_grade: str
    production_levels: int | None
    headcount_cap: int | None
    mining_licence_no: str
    mining_licence_valid_until: dt.date | None
    safety_licence_no: str
    safety_licence_valid_until: dt.date | None
    dam_height_m: Decimal | None
    tailings_capacity: Decimal | None
    tailings_grade: int | None
    downstream_population: bool | None
    updated_at: dt.datetime


class MineIn(StrictSchema):
    name: str | None = Field(None, max_length=200)
    enterprise_id: int | None = None
    county_code: str | None = Field(None, max_length=12)
    sector: SectorCode | None = None
    scale: ScaleCode | None = None
    approved_capacity: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    latitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    boundary: list[list[float]] | None = None
    depth_m: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=1)
    gas_grade: Literal["", "low", "high", "outburst"] | None = None
    hydrogeology: Literal["", "simple", "medium", "complex", "very_complex"] | None = None
    rock_burst: bool | None = None
    spontaneous_combustion: Literal["", "easy", "prone", "not_prone"] | None = None
    standardization_grade: Literal["", "grade1", "grade2", "grade3", "none"] | None = None
    production_levels: int | None = Field(None, ge=0, le=32767)
    headcount_cap: int | None = Field(None, ge=0, le=100000)
    mining_licence_no: str | None = Field(None, max_length=64)
    mining_licence_valid_until: dt.date | None = None
    safety_licence_no: str | None = Field(None, max_length=64)
    safety_licence_valid_until: dt.date | None = None
    dam_height_m: Decimal | None = Field(None, ge=0, max_digits=6, decimal_places=1)
    tailings_capacity: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=1)
    tailings_grade: int | None = Field(None, ge=1, le=5)
    downstream_population: bool | None = None


class MineCreateIn(MineIn):
    status: StatusCode = "construction"


class StatusChangeIn(StrictSchema):
    target: StatusCode
    reason: str = Field(..., max_length=2000)
    document_no: str = Field("", max_length=100)
    effective_date: dt.date | None = None


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    effective_date: dt.date
    reason: str
    document_no: str
    recorded_at: dt.datetime


class MineFilters(Schema):
    q: str | None = Field(None, max_length=100)
    sector: SectorCode | None = None
    status: StatusCode | None = None
    scale: ScaleCode | None = None
    division: str | None = Field(None, max_length=12, description="division code prefix (province/city/county)")
    enterprise_id: int | None = None
    licence: Literal["expired", "expiring", "missing"] | None = None


def _rename(exc: FieldErrors, names: dict[str, str]) -> FieldErrors:
    return FieldErrors({names.get(k, k): v for k, v in exc.errors.items()})


def _resolve_division(code: str | None, field: str) -> Division | None:
    if code is None:
        return None
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise FieldErrors.single(field, "未知的行政区划代码")
    return division


def _enterprise_data(request: HttpRequest, payload: EnterpriseIn) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    if "division_code" in data:
        data["division"] = _resolve_division(data.pop("division_code"), "division_code")
    if "parent_id" in data:
        pid = data.pop("parent_id")
        data["parent"] = None
        if pid is not None:
            data["parent"] = Enterprise.objects.visible_to(request.auth).filter(pk=pid).first()
            if data["parent"] is None:
                raise FieldErrors.single("parent_id", "未找到上级公司")
    return data


ENTERPRISE_NAMES = {"division": "division_code", "parent": "parent_id"}
MINE_NAMES = {"enterprise": "enterprise_id", "county": "county_code"}


@router.get("/enterprises", response=list[EnterpriseOut])
@paginate(BoundedPagination)
def list_enterprises(request: HttpRequest, q: str | None = None) -> Any:
    require(request.auth, "registry.view")
    qs = Enterprise.objects.visible_to(request.auth).order_by("name", "id")
    if q:
        qs = qs.filter(name__icontains=q[:100])
    return qs


@router.get("/enterprises/{int:pk}", response=EnterpriseOut)
def get_enterprise(request: HttpRequest, pk: int) -> Enterprise:
    require(request.auth, "registry.view")
    return get_object_or_404(Enterprise.objects.visible_to(request.auth), pk=pk)


@router.post("/enterprises", response={201: EnterpriseOut})
def create_enterprise(request: HttpRequest, payload: EnterpriseIn) -> tuple[int, Enterprise]:
    require(request.auth, "registry.edit")
    try:
        ent = services.create_enterprise(actor=request.auth, data=_enterprise_data(request, payload),
                                         request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, ENTERPRISE_NAMES) from None
    return 201, ent


@router.patch("/enterprises/{int:pk}", response=EnterpriseOut)
def update_enterprise(request: HttpRequest, pk: int, payload: EnterpriseIn) -> Enterprise:
    require(request.auth, "registry.edit")
    ent = get_object_or_404(Enterprise.objects.visible_to(request.auth), pk=pk)
    try:
        return services.update_enterprise(actor=request.auth, enterprise=ent, data=_enterprise_data(request, payload),
                                          request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, ENTERPRISE_NAMES) from None


def _mine_data(request: HttpRequest, payload: MineIn) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    data.pop("status", None)
    if "county_code" in data:
        data["county"] = _resolve_division(data.pop("county_code"), "county_code")
    if "enterprise_id" in data:
        eid = data.pop("enterprise_id")
        data["enterprise"] = None if eid is None else Enterprise.objects.visible_to(request.auth).filter(pk=eid).first()
        if data["enterprise"] is None:
            raise FieldErrors.single("enterprise_id", "未找到企业")
    return data


@router.get("/mines", response=list[MineOut])
@paginate(BoundedPagination)
def list_mines(request: HttpRequest, filters: Query[MineFilters]) -> Any:
    require(request.auth, "registry.view")
    qs = Mine.objects.visible_to(request.auth).order_by("name", "id")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    for f in ("sector", "status", "scale", "enterprise_id"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    if filters.division:
        qs = qs.filter(code_prefix_q("county__code", filters.division))
    if filters.licence:
        qs = qs.filter(queries.licence_filter(filters.licence, timezone.localdate()))
    return qs


@router.get("/mines/{int:pk}", response=MineOut)
def get_mine(request: HttpRequest, pk: int) -> Mine:
    require(request.auth, "registry.view")
    return get_object_or_404(Mine.objects.visible_to(request.auth), pk=pk)


@router.post("/mines", response={201: MineOut})
def create_mine(request: HttpRequest, payload: MineCreateIn) -> tuple[int, Mine]:
    require(request.auth, "registry.edit")
    try:
        mine = services.create_mine(actor=request.auth, data=_mine_data(request, payload), status=payload.status,
                                    request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, MINE_NAMES) from None
    return 201, mine


@router.patch("/mines/{int:pk}", response=MineOut)
def update_mine(request: HttpRequest, pk: int, payload: MineIn) -> Mine:
    require(request.auth, "registry.edit")
    mine = get_object_or_404(Mine.objects.visible_to(request.auth), pk=pk)
    try:
        return services.update_mine(actor=request.auth, mine=mine, data=_mine_data(request, payload),
                                    request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, MINE_NAMES) from None


@router.post("/mines/{int:pk}/status", response=MineOut)
def change_status(request: HttpRequest, pk: int, payload: StatusChangeIn) -> Mine:
    require(request.auth, "registry.change_status")
    mine = get_object_or_404(Mine.objects.visible_to(request.auth), pk=pk)
    return services.change_mine_status(actor=request.auth, mine=mine, request_id=request_id_of(request),
                                       **payload.dict())


@router.get("/mines/{int:pk}/status-history", response=list[StatusChangeOut])
def status_history(request: HttpRequest, pk: int) -> Any:
    require(request.auth, "registry.view")
    mine = get_object_or_404(Mine.objects.visible_to(request.auth), pk=pk)
    return list(MineStatusChange.objects.visible_to(request.auth).filter(mine=mine))
