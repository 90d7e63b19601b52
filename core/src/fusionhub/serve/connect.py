"""The admin's Connect pages: every platform's connect flows, drawn from its manifest (`[[connect]]`).

- `GET /connect`: the platforms that declare a flow; `GET /connect/{platform}`: one form per flow.
- `POST /connect/{platform}/{flow}` (CSRF-checked): an `oauth` flow starts (the pending flow is kept in
  this process, its state in the session) and the browser goes to the platform's consent page; a
  `client_credentials` or `token` flow is run and saved at once.
- `GET /connect/{platform}/callback`: the platform sends the browser back; the session's pending flow
  is used once, and the callback is checked by `fusionhub.connecting.finish` before anything is saved.
  The redirect URI to register with the platform is this path on the admin's own address.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fusionhub import connecting
from fusionhub.cli.report import platforms
from fusionhub.connect import FlowKind
from fusionhub.contracts import PluginManifest
from fusionhub.errors import FusionHubError, PluginLoadError, ValidationError
from fusionhub.serve.auth import admin_form, admin_page
from fusionhub.serve.pages import render

SESSION_KEY = "connect_state"


def _connectable(request: Request) -> list[PluginManifest]:
    loaded = platforms(request.app.state.runtime.hub.registry.records)
    return sorted((r.manifest for r in loaded if r.manifest is not None and r.manifest.connect), key=lambda m: m.name)


def _manifest(request: Request) -> PluginManifest:
    slug = request.path_params["platform"]
    try:
        return request.app.state.runtime.hub.manifest(slug)  # type: ignore[no-any-return]
    except (PluginLoadError, KeyError):
        raise ValidationError(errors=[{"loc": "platform", "msg": f"no installed platform {slug!r}"}]) from None


def _pending(request: Request) -> dict[str, connecting.PendingConnect]:
    state = request.app.state
    if not hasattr(state, "connect_pending"):
        state.connect_pending = {}
    found: dict[str, connecting.PendingConnect] = state.connect_pending
    now = request.app.state.runtime.clock.now()
    for key in [k for k, p in found.items() if now - p.started_at > connecting.PENDING_SECONDS]:
        del found[key]
    return found


def _page(
    request: Request,
    manifest: PluginManifest,
    *,
    status: int = 200,
    error: str | None = None,
    errors: list[dict[str, str]] | None = None,
    flow_id: str | None = None,
    entered: dict[str, Any] | None = None,
) -> Response:
    callback = f"{str(request.base_url).rstrip('/')}/connect/{manifest.slug}/callback"
    return render(
        request,
        "connect.html",
        status,
        manifest=manifest,
        callback=callback,
        error=error,
        errors={e["loc"]: e["msg"] for e in errors or []},
        failed_flow=flow_id,
        entered=entered or {},
    )


@admin_page
async def index(request: Request) -> Response:
    return render(request, "connect_index.html", manifests=_connectable(request))


@admin_page
async def platform_page(request: Request) -> Response:
    try:
        manifest = _manifest(request)
    except ValidationError as exc:
        return render(request, "connect_index.html", 404, manifests=_connectable(request), error=exc.user_message)
    return _page(request, manifest)


def _entered(form: FormData, manifest: PluginManifest, flow_id: str) -> dict[str, Any]:
    """What to show again after a refusal: the non-secret values only."""
    secret = {f.name for flow in manifest.connect if flow.id == flow_id for f in flow.fields if f.secret}
    return {k: v for k, v in form.items() if isinstance(v, str) and k not in secret and k != "csrf"}


@admin_form
async def start(request: Request, form: FormData) -> Response:
    runtime = request.app.state.runtime
    flow_id = request.path_params["flow"]
    try:
        manifest = _manifest(request)
    except ValidationError as exc:
        return render(request, "connect_index.html", 404, manifests=_connectable(request), error=exc.user_message)
    name = form.get("name")
    name = name.strip() if isinstance(name, str) and name.strip() else None
    try:
        flow = connecting.flow_of(manifest, flow_id)
    except ValidationError as exc:
        return _page(request, manifest, status=400, errors=exc.errors)
    try:
        values = connecting.read_fields(manifest, flow, form)
        if flow.kind is FlowKind.OAUTH:
            callback = f"{str(request.base_url).rstrip('/')}/connect/{manifest.slug}/callback"
            pending = connecting.begin(manifest, flow, values, callback, now=runtime.clock.now(), name=name)
            _pending(request)[pending.state] = pending
            request.session[SESSION_KEY] = pending.state
            return RedirectResponse(pending.url, status_code=303)
        record = await connecting.submit(runtime, manifest.slug, flow, values, name=name)
    except ValidationError as exc:
        entered = _entered(form, manifest, flow_id)
        return _page(request, manifest, status=400, errors=exc.errors, flow_id=flow_id, entered=entered)
    except FusionHubError as exc:
        entered = _entered(form, manifest, flow_id)
        return _page(request, manifest, status=400, error=exc.user_message, flow_id=flow_id, entered=entered)
    return RedirectResponse(f"/stores/{record.id}", status_code=303)


@admin_page
async def callback(request: Request) -> Response:
    try:
        manifest = _manifest(request)
    except ValidationError as exc:
        return render(request, "connect_index.html", 404, manifests=_connectable(request), error=exc.user_message)
    state = request.session.pop(SESSION_KEY, None)
    pending = _pending(request).pop(state, None) if isinstance(state, str) else None  # one use, success or not
    if pending is None or pending.platform != manifest.slug:
        why = "no connection of this platform was started in this browser session (or it expired): start again"
        return _page(request, manifest, status=400, error=why)
    try:
        record = await connecting.finish(request.app.state.runtime, pending, dict(request.query_params))
    except ValidationError as exc:
        return _page(request, manifest, status=400, errors=exc.errors)
    except FusionHubError as exc:
        return _page(request, manifest, status=400, error=exc.user_message)
    return RedirectResponse(f"/stores/{record.id}", status_code=303)


routes = [
    Route("/connect", index),
    Route("/connect/{platform}", platform_page),
    Route("/connect/{platform}/callback", callback),
    Route("/connect/{platform}/{flow}", start, methods=["POST"]),
]
