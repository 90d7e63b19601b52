"""The admin's pages, rendered on the server (Jinja2; no front-end build): sign-in, the
capability matrix, the stores and one store's page with its actions (forms, each with the CSRF token)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from fusionhub.capabilities import Capability, spec_of
from fusionhub.contracts import Level, PluginManifest
from fusionhub.errors import FusionHubError, NotFound, PluginLoadError, ValidationError
from fusionhub.serve.auth import admin_form, admin_page, csrf_ok, csrf_token, sign_in
from fusionhub.serve.matrix import matrix, rows
from fusionhub.stores.service import StoreProblem, StoreRecord, fix_for

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def when(timestamp: float | None) -> str:
    """A stored time (unix seconds) as this machine's local date and time."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


templates.env.filters["when"] = when


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context["csrf"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _next(value: object) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


async def login_form(request: Request) -> Response:
    return render(request, "login.html", next=_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    form = await request.form()
    target = _next(form.get("next"))
    if not csrf_ok(request, form):
        return render(request, "login.html", 403, next=target, error="The form expired: sign in again.")
    token = form.get("token")
    if not isinstance(token, str) or not request.app.state.admin_token.matches(token):
        return render(request, "login.html", 401, next=target, error="That is not the admin token.")
    sign_in(request)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return Response("CSRF token missing or wrong", status_code=403)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@admin_page
async def matrix_page(request: Request) -> Response:
    hub = request.app.state.runtime.hub
    slugs, found = matrix(hub.registry.records, hub.automation_enabled)
    return render(request, "matrix.html", slugs=slugs, rows=found)


@admin_page
async def stores_page(request: Request) -> Response:
    service = request.app.state.runtime.stores
    problems = {p.store: p.message for p in await service.audit()}
    return render(request, "stores.html", stores=await service.list(), problems=problems)


def credential_keys(manifest: PluginManifest) -> list[str]:
    """The keys a store of this platform may need: required ones, then each one-of group's."""
    keys = list(manifest.credential_fields)
    for choice in manifest.credentials_one_of:
        keys += [k for k in choice.one_of if k not in keys]
    return keys


def param_fields(capability: str) -> list[str]:
    """The names a capability's params take, for the run form's hint."""
    return list(spec_of(Capability(capability)).params.model_fields)


async def store_page_with(
    request: Request, ref: str, *, problem: str | None = None, status_code: int = 200
) -> Response:
    """The store's page, with a problem to show (a refused action) and any notice left by the last one."""
    runtime = request.app.state.runtime
    record = await runtime.stores.get(ref)
    notice = request.session.pop("notice", None)
    context: dict[str, Any] = {"store": record, "notice": notice, "rows": [], "keys": [], "fields": param_fields}
    try:
        plugin = runtime.hub.registry.platform(record.platform)
    except PluginLoadError as exc:
        return render(request, "store.html", status_code, **context, problem=exc.user_message)
    assert plugin.manifest is not None
    errors = await runtime.stores.problems_of(record)
    if errors:  # saved before its plugin tightened: shown with the fix, its jobs refused until then
        context["saved_problem"] = StoreProblem(
            record.name, record.platform, errors, fix_for(record.name, errors)
        ).message
    context.update(rows=rows([plugin], runtime.hub.automation_enabled), keys=credential_keys(plugin.manifest))
    return render(request, "store.html", status_code, **context, problem=problem)


@admin_page
async def store_page(request: Request) -> Response:
    return await store_page_with(request, request.path_params["store"])


def _back(record: StoreRecord) -> RedirectResponse:
    return RedirectResponse(f"/stores/{record.id}", status_code=303)


def _choice(form: FormData, field: str) -> bool:
    value = form.get(field)
    if value not in {"on", "off"}:
        raise ValidationError(errors=[{"loc": field, "msg": "on or off"}])
    return value == "on"


def _refused(exc: FusionHubError) -> Response:
    return PlainTextResponse(exc.user_message, status_code=404 if isinstance(exc, NotFound) else 400)


@admin_form
async def set_enabled(request: Request, form: FormData) -> Response:
    try:
        enabled = _choice(form, "enabled")
        record = await request.app.state.runtime.stores.set_enabled(request.path_params["store"], enabled)
    except FusionHubError as exc:
        return _refused(exc)
    return _back(record)


@admin_form
async def set_automation(request: Request, form: FormData) -> Response:
    """The contract's automation switch: the platform's, so it holds for every store of that platform."""
    runtime = request.app.state.runtime
    try:
        record = await runtime.stores.get(request.path_params["store"])
        name = form.get("capability")
        if name not in {c.value for c in Capability}:
            raise ValidationError(errors=[{"loc": "capability", "msg": "one of the 15 capabilities"}])
        capability = Capability(str(name))
        if runtime.hub.manifest(record.platform).contract(capability).level is Level.UNSUPPORTED:
            msg = f"{record.platform} cannot {capability.value}: nothing to automate"
            raise ValidationError(errors=[{"loc": "capability", "msg": msg}])
        await runtime.set_automation(record.platform, capability, _choice(form, "enabled"))
    except FusionHubError as exc:
        return _refused(exc)
    return _back(record)


@admin_form
async def remove(request: Request, form: FormData) -> Response:
    try:
        await request.app.state.runtime.stores.remove(request.path_params["store"])
    except FusionHubError as exc:
        return _refused(exc)
    return RedirectResponse("/stores", status_code=303)


async def home(request: Request) -> Response:
    return RedirectResponse("/matrix", status_code=303)


routes = [
    Route("/", home),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/matrix", matrix_page),
    Route("/stores", stores_page),
    Route("/stores/{store}", store_page),
    Route("/stores/{store}/enabled", set_enabled, methods=["POST"]),
    Route("/stores/{store}/automation", set_automation, methods=["POST"]),
    Route("/stores/{store}/remove", remove, methods=["POST"]),
]
