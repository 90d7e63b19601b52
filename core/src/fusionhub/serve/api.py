"""The JSON API (read-only in this first cut): what `fusionhub stores|plugins|jobs … --json` print,
described by /api/openapi.json."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fusionhub.capabilities import Capability
from fusionhub.cli.jobs import job_data
from fusionhub.cli.report import capability_entry, platforms, plugin_entry
from fusionhub.jobs import JobStatus
from fusionhub.serve.auth import admin_api
from fusionhub.serve.openapi import DOCUMENT

MAX_LIMIT = 500


def _bad(field: str, message: str) -> JSONResponse:
    return JSONResponse({"error": "invalid", "errors": [{"loc": field, "msg": message}]}, status_code=400)


@admin_api
async def stores(request: Request) -> Response:
    return JSONResponse([s.to_dict() for s in await request.app.state.runtime.stores.list()])


@admin_api
async def plugins(request: Request) -> Response:
    return JSONResponse([plugin_entry(r) for r in request.app.state.runtime.hub.registry.records])


@admin_api
async def capabilities(request: Request) -> Response:
    """{capability: {platform: its contract}} for every loaded platform."""
    loaded = platforms(request.app.state.runtime.hub.registry.records)
    body = {c.value: {r.slug: capability_entry(r.manifest, c) for r in loaded if r.manifest} for c in Capability}
    return JSONResponse(body)


@admin_api
async def jobs(request: Request) -> Response:
    """Newest first; ?status=…&store=…&limit=… (top-level jobs only)."""
    runtime = request.app.state.runtime
    query = request.query_params
    status = query.get("status")
    if status is not None and status not in {s.value for s in JobStatus}:
        return _bad("status", f"one of {', '.join(s.value for s in JobStatus)}")
    limit_text = query.get("limit", "50")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        return _bad("limit", f"a whole number from 1 to {MAX_LIMIT}")
    store_id = (await runtime.stores.get(query["store"])).id if "store" in query else None
    found = await runtime.queue.list(status=JobStatus(status) if status else None, store_id=store_id, limit=None)
    top = [j for j in found if j.parent_id is None][: int(limit_text)]
    return JSONResponse([job_data(j) for j in top])


async def openapi(request: Request) -> Response:
    """The API's description: public, like any OpenAPI document (it holds no data)."""
    return JSONResponse(DOCUMENT)


routes = [
    Route("/api/openapi.json", openapi),
    Route("/api/stores", stores),
    Route("/api/plugins", plugins),
    Route("/api/capabilities", capabilities),
    Route("/api/jobs", jobs),
]
