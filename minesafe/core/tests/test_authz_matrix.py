"""Authorization matrix: every URL and every API route × every role (and anonymous).

The test walks the URL resolver and the OpenAPI schema, so a new endpoint that is not declared in
UI_MATRIX / API_MATRIX (or in an app's ``tests/authz_*.py`` UI_ROUTES / API_ROUTES, merged in below)
fails ``test_every_*_is_in_the_matrix``. For each declared route it checks
that a role without the permission gets 403 (API: 401 anonymous), that an object outside the
role's scope gets 404, and that a refused write changed nothing; a ``public`` route answers every
role and anonymous alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from minesafe.accounts.models import ApiToken, Organisation, User
from minesafe.api import api
from minesafe.registry.models import Enterprise, Mine, MineImport
from minesafe.testing.authz import (
    BUSINESS,
    EVERYONE,
    REGULATORS,
    ROLES,
    SEES_A,
    SEES_B,
    Route,
    r,
)
from minesafe.testing.factories import World

UI_MATRIX: dict[str, Route] = {
    "home": r(EVERYONE, ok=(200, 302)),
    "accounts:login": r(set(), public=True),
    "accounts:logout": r(set(), public=True, method="POST", ok=(302,)),
    "accounts:password": r(EVERYONE),
    "accounts:tokens": r(BUSINESS),
    "accounts:token_revoke": r(BUSINESS, method="POST", obj="foreign_token"),
    "accounts:users": r({"sys_admin"}),
    "accounts:user_create": r({"sys_admin"}),
    "accounts:user_deactivate": r({"sys_admin", "sec_admin"}, method="POST", obj="user", ok=(302,)),
    "accounts:user_activate": r({"sec_admin"}, method="POST", obj="user", ok=(302,)),
    "accounts:organisations": r({"sys_admin"}),
    "registry:enterprise_account": r({"sys_admin"}),
    "accounts:security": r({"sec_admin"}),
    "accounts:unlock": r({"sec_admin"}, method="POST", obj="user", ok=(302,)),
    "accounts:audit_list": r({"audit_admin"}),
    "accounts:audit_verify": r({"audit_admin"}),
    "core:health": r(set(), public=True),
    "registry:enterprise_list": r(BUSINESS),
    "registry:enterprise_create": r(REGULATORS),
    "registry:enterprise_detail": r(BUSINESS, obj="enterprise"),
    "registry:enterprise_edit": r(REGULATORS, obj="enterprise"),
    "registry:mine_list": r(BUSINESS),
    "registry:mine_export": r(BUSINESS),
    "registry:mine_import": r(REGULATORS),
    "registry:mine_import_template": r(REGULATORS),
    "registry:mine_import_job": r(REGULATORS, obj="import"),
    "registry:mine_import_progress": r(REGULATORS, obj="import"),
    "registry:mine_create": r(REGULATORS),
    "registry:mine_detail": r(BUSINESS, obj="mine"),
    "registry:mine_edit": r(REGULATORS, obj="mine"),
    "registry:mine_status": r(REGULATORS, obj="mine"),
}
def _app_route_modules() -> list:
    """Per-app route declarations: ``minesafe/<app>/tests/authz_*.py`` modules may define
    ``UI_ROUTES`` / ``API_ROUTES`` (same shape as the dicts here, built with ``r()``) and an
    ``objects(world, kind, role) -> list[(pk, visible)] | None`` hook for their own object kinds."""
    import importlib
    import pkgutil
    from pathlib import Path

    package = Path(__file__).resolve().parents[2]
    modules = []
    for tests_dir in sorted(package.glob("*/tests")):
        for info in pkgutil.iter_modules([str(tests_dir)]):
            if info.name.startswith("authz_"):
                modules.append(importlib.import_module(f"minesafe.{tests_dir.parent.name}.tests.{info.name}"))
    return modules


APP_ROUTE_MODULES = _app_route_modules()
for _module in APP_ROUTE_MODULES:
    UI_MATRIX.update(getattr(_module, "UI_ROUTES", {}))

# Framework routes outside the matrix, with the reason.
UI_EXEMPT = {
    "set_language": "Django's language switch; reads no data",
}

API_MATRIX: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/me"): r(EVERYONE),
    ("GET", "/api/v1/divisions"): r(EVERYONE),
    ("GET", "/api/v1/enterprises"): r(BUSINESS),
    ("POST", "/api/v1/enterprises"): r(REGULATORS, ok=(201, 422)),
    ("GET", "/api/v1/enterprises/{pk}"): r(BUSINESS, obj="enterprise"),
    ("PATCH", "/api/v1/enterprises/{pk}"): r(REGULATORS, obj="enterprise"),
    ("GET", "/api/v1/mines"): r(BUSINESS),
    ("POST", "/api/v1/mines"): r(REGULATORS, ok=(201, 422)),
    ("GET", "/api/v1/mines/{pk}"): r(BUSINESS, obj="mine"),
    ("PATCH", "/api/v1/mines/{pk}"): r(REGULATORS, obj="mine"),
    ("POST", "/api/v1/mines/{pk}/status"): r(REGULATORS, obj="mine", ok=(200, 422)),
    ("GET", "/api/v1/mines/{pk}/status-history"): r(BUSINESS, obj="mine"),
}
# Path arguments other than {pk} (e.g. the action of a workflow route), from the apps' API_PATH_ARGS.
API_PATH_ARGS: dict[tuple[str, str], dict[str, str]] = {}
for _module in APP_ROUTE_MODULES:
    API_MATRIX.update(getattr(_module, "API_ROUTES", {}))
    API_PATH_ARGS.update(getattr(_module, "API_PATH_ARGS", {}))


def _url_names(resolver: URLResolver | None = None, prefix: str = "") -> dict[str, list[str]]:
    """Every named URL → its converters' argument names, walking includes (API excluded)."""
    resolver = resolver or get_resolver()
    names: dict[str, list[str]] = {}
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("api/"):
                continue
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names.update(_url_names(pattern, ns))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names[f"{prefix}{pattern.name}"] = list(pattern.pattern.converters)
    return names


def _api_routes() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_url_is_in_the_matrix() -> None:
    names = set(_url_names())
    missing = names - set(UI_MATRIX) - set(UI_EXEMPT)
    stale = set(UI_MATRIX) - names
    assert not missing, f"add these URLs to UI_MATRIX: {sorted(missing)}"
    assert not stale, f"UI_MATRIX names URLs that no longer exist: {sorted(stale)}"


def test_every_api_route_is_in_the_matrix() -> None:
    routes = _api_routes()
    assert not routes - set(API_MATRIX), f"add these API routes to API_MATRIX: {sorted(routes - set(API_MATRIX))}"
    assert not set(API_MATRIX) - routes, f"stale API_MATRIX entries: {sorted(set(API_MATRIX) - routes)}"


def _client(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.roles()[role])
    return client


def _objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]]:
    """(pk, visible_to_role) pairs to try for a route's object argument."""
    if kind == "mine":
        return [(world.mine_a.pk, role in SEES_A), (world.mine_b.pk, role in SEES_B)]
    if kind == "enterprise":
        return [(world.ent_a.pk, role in SEES_A), (world.ent_b.pk, role in SEES_B)]
    if kind == "foreign_token":  # someone else's token: never revocable by the caller
        token, _ = ApiToken.objects.issue(user=world.sys_admin, name="x")
        return [(token.pk, False)]
    if kind == "import":  # an import run belongs to its uploader alone
        job = MineImport.objects.create(actor=world.county_leader, filename="m.xlsx")
        return [(job.pk, role == "county_leader")]
    if kind == "user":
        return [(world.county_inspector.pk, True)]
    for module in APP_ROUTE_MODULES:
        hook = getattr(module, "objects", None)
        found = hook(world, kind, role) if hook is not None else None
        if found is not None:
            return found
    if kind is not None:
        raise AssertionError(f"no authz_*.py module knows object kind {kind!r}")
    return [(None, True)]


def _snapshot() -> list[tuple[Any, ...]]:
    return list(Mine.objects.order_by("pk").values_list("pk", "updated_at", "status")) + list(
        Enterprise.objects.order_by("pk").values_list("pk", "updated_at")
    ) + list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")) + list(
        User.objects.order_by("pk").values_list("pk", "is_active", "locked_until")
    ) + list(Organisation.objects.order_by("pk").values_list("pk", "name"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(UI_MATRIX))
def test_ui_route_matrix(world: World, name: str) -> None:
    route = UI_MATRIX[name]
    failures = []
    for role in ROLES:
        client = _client(world, role)
        for pk, visible in _objects(world, route.obj, role):
            # an objects() hook may give a tuple for a route with several ids (e.g. report and file)
            args = list(pk) if isinstance(pk, tuple) else [pk] if pk is not None else []
            url = reverse(name, args=args)
            before = _snapshot()
            response = client.post(url, {}) if route.method == "POST" else client.get(url)
            code = response.status_code
            if route.public:
                expected: tuple[int, ...] = route.ok
            elif role == "anonymous":
                expected = (302,)
                if code == 302 and "/accounts/login/" not in response["Location"]:
                    failures.append(f"{role} {url}: redirected to {response['Location']}, not the login page")
            elif role not in route.allowed:
                expected = (403,)
            elif not visible:
                expected = (404,)
            else:
                expected = route.ok if route.method == "GET" else (302, 200)
            if code not in expected:
                failures.append(f"{role} {route.method} {url}: got {code}, expected {expected}")
            if (expected in ((403,), (404,)) or role == "anonymous") and _snapshot() != before:
                failures.append(f"{role} {route.method} {url}: refused request changed data")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["registry:mine_edit", "registry:mine_status", "registry:enterprise_edit"])
def test_ui_cross_scope_writes_are_refused(world: World, name: str) -> None:
    """A regulator POSTing a full form to an object in another county gets 404 and changes nothing."""
    obj = world.mine_b if name.startswith("registry:mine") else world.ent_b
    payload = {"name": "篡改", "target": "closed", "reason": "x", "document_no": "x",
               "effective_date": dt.date.today().isoformat()}
    for role in ("county_inspector", "county_leader", "city_leader"):
        before = _snapshot()
        response = _client(world, role).post(reverse(name, args=[obj.pk]), payload)
        assert response.status_code == 404, (role, response.status_code)
        assert _snapshot() == before


def _api_payload(world: World, method: str, path: str) -> dict[str, Any] | None:
    if method == "GET":
        return None
    for module in APP_ROUTE_MODULES:
        hook = getattr(module, "api_payload", None)
        payload = hook(world, method, path) if hook is not None else None
        if payload is not None:
            return payload
    if path.endswith("/status"):
        return {"target": "rectification", "reason": "检查发现重大事故隐患", "document_no": "岫应急责令〔2026〕1号"}
    if method == "PATCH":
        return {}
    if path == "/api/v1/enterprises":
        return {"name": "新企业", "uscc": "bad", "division_code": "210323"}
    return {"name": "新矿", "enterprise_id": world.ent_a.pk, "county_code": "210323", "sector": "metal_open_pit",
            "scale": "small"}


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(API_MATRIX))
def test_api_route_matrix(world: World, key: tuple[str, str]) -> None:
    method, template = key
    route = API_MATRIX[key]
    failures = []
    tokens = {}
    for role, user in world.roles().items():
        tokens[role] = ApiToken.objects.issue(user=user, name="matrix")[1]
    for role in ROLES:
        for pk, visible in _objects(world, route.obj, role):
            path = template.replace("{pk}", str(pk))
            for name, value in API_PATH_ARGS.get(key, {}).items():
                path = path.replace("{" + name + "}", value)
            headers = {} if role == "anonymous" else {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}
            if route.public:  # rate limited per address: each role calls from its own
                headers["REMOTE_ADDR"] = f"198.51.100.{ROLES.index(role) + 1}"
            payload = _api_payload(world, method, template)
            before = _snapshot()
            client = Client()
            call = getattr(client, method.lower())
            response = call(path, **headers) if payload is None else call(
                path, data=payload, content_type="application/json", **headers)
            code = response.status_code
            if route.public:  # no authentication: every role and anonymous get the same answer
                expected: tuple[int, ...] = route.ok
            elif role == "anonymous":
                expected = (401,)
            elif role not in route.allowed:
                expected = (403,)
            elif not visible:
                expected = (404,)
            else:
                expected = route.ok
            if code not in expected:
                failures.append(f"{role} {method} {path}: got {code}, expected {expected}: {response.content[:200]!r}")
            if expected in ((401,), (403,), (404,)) and _snapshot() != before:
                failures.append(f"{role} {method} {path}: refused request changed data")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_api_create_in_foreign_county_is_refused(world: World) -> None:
    """A county regulator cannot register a mine for an enterprise or in a county outside its scope."""
    token = ApiToken.objects.issue(user=world.county_inspector, name="t")[1]
    payload = {"name": "越界矿", "enterprise_id": world.ent_b.pk, "county_code": "210902",
               "sector": "metal_open_pit", "scale": "small"}
    response = Client().post("/api/v1/mines", data=payload, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "enterprise_id" in errors
    assert not Mine.objects.filter(name="越界矿").exists()
    payload["enterprise_id"] = world.ent_a.pk
    response = Client().post("/api/v1/mines", data=payload, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 422
    assert "county_code" in response.json()["errors"]
    assert not Mine.objects.filter(name="越界矿").exists()
