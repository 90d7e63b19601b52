"""The JSON API: what `fusionhub stores|plugins|jobs|events|run … --json` print and do, described by
/api/openapi.json. Mistakes are 400 naming the field; unknown stores and jobs 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fusionhub.capabilities import Capability
from fusionhub.cli.jobs import job_data
from fusionhub.cli.report import capability_entry, platforms, plugin_entry
from fusionhub.context import RunMode
from fusionhub.errors import FusionHubError, NotFound
from fusionhub.jobs import JobStatus
from fusionhub.serve import api_stores
from fusionhub.serve.api_common import bad, check_fields, json_object, limit_of, refused, takes
from fusionhub.serve.auth import admin_api
from fusionhub.serve.jobs_view import find_job, job_view, progress_view, top_level_jobs
from fusionhub.serve.openapi import DOCUMENT
from fusionhub.serve.store_actions import check_store


@admin_api
@takes()
async def check(request: Request) -> Response:
    """`fusionhub stores check`: one cheap authenticated call; 200 either way, `ok` says how it went."""
    record, ok, message = await check_store(request.app.state.runtime, request.path_params["store"])
    return JSONResponse({"store": record.name, "ok": ok, "message": message})


@admin_api
@takes()
async def plugins(request: Request) -> Response:
    return JSONResponse([plugin_entry(r) for r in request.app.state.runtime.hub.registry.records])


@admin_api
@takes()
async def capabilities(request: Request) -> Response:
    """{capability: {platform: its contract}} for every loaded platform."""
    loaded = platforms(request.app.state.runtime.hub.registry.records)
    body = {c.value: {r.slug: capability_entry(r.manifest, c) for r in loaded if r.manifest} for c in Capability}
    return JSONResponse(body)


@admin_api
@takes("status", "store", "limit")
async def jobs(request: Request) -> Response:
    """Newest first; ?status=…&store=…&limit=… (top-level jobs only)."""
    runtime = request.app.state.runtime
    query = request.query_params
    status = query.get("status")
    if status is not None and status not in {s.value for s in JobStatus}:
        return bad("status", f"one of {', '.join(s.value for s in JobStatus)}")
    limit = limit_of(request)
    if isinstance(limit, JSONResponse):
        return limit
    store_id = (await runtime.stores.get(query["store"])).id if "store" in query else None
    chosen = JobStatus(status) if status else None
    top = await top_level_jobs(runtime.db, runtime.queue, status=chosen, store_id=store_id, limit=limit)
    return JSONResponse([job_data(j) for j in top])


@admin_api
@takes()
async def enqueue(request: Request) -> Response:
    """`fusionhub run STORE CAPABILITY --params … [--key …]`: queued as a person's (interactive) job."""
    body = await json_object(request)
    if isinstance(body, JSONResponse):
        return body
    wrong = check_fields(body, {"store": str, "capability": str}, {"params": dict, "idempotency_key": str})
    if wrong is not None:
        return wrong
    runtime = request.app.state.runtime
    try:
        job = await runtime.enqueue(
            body["store"],
            body["capability"],
            body.get("params") or {},
            mode=RunMode.INTERACTIVE,
            idempotency_key=body.get("idempotency_key"),
        )
    except FusionHubError as exc:
        return refused(exc)
    return JSONResponse(await job_view(runtime.db, job), status_code=201)


@admin_api
@takes()
async def job(request: Request) -> Response:
    """One job with its per-item counts."""
    runtime = request.app.state.runtime
    return JSONResponse(await job_view(runtime.db, await find_job(runtime.queue, request.path_params["job"])))


@admin_api
@takes()
async def progress(request: Request) -> Response:
    """What moves while a job runs (status, progress, per-item counts): what the job page polls."""
    runtime = request.app.state.runtime
    return JSONResponse(await progress_view(runtime.db, await find_job(runtime.queue, request.path_params["job"])))


@admin_api
@takes()
async def cancel(request: Request) -> Response:
    runtime = request.app.state.runtime
    found = await find_job(runtime.queue, request.path_params["job"])
    cancelled = await runtime.queue.cancel(found.id, now=runtime.clock.now())
    if cancelled is None:  # removed with its store meanwhile
        raise NotFound(f"no job {found.id!r}")
    return JSONResponse(await job_view(runtime.db, cancelled))


@admin_api
@takes("store", "limit")
async def events(request: Request) -> Response:
    """Newest first; ?store=…&limit=… (`fusionhub events list --json`)."""
    limit = limit_of(request, default=100)
    if isinstance(limit, JSONResponse):
        return limit
    found = await request.app.state.runtime.events.list(request.query_params.get("store"), limit=limit)
    return JSONResponse([{k: v for k, v in e.items() if k != "replay_key"} for e in found])


async def jobs_collection(request: Request) -> Response:
    return await (enqueue if request.method == "POST" else jobs)(request)


async def openapi(request: Request) -> Response:
    """The API's description: public, like any OpenAPI document (it holds no data)."""
    return JSONResponse(DOCUMENT)


routes = [
    *api_stores.routes,
    Route("/api/openapi.json", openapi),
    Route("/api/stores/{store}/check", check, methods=["POST"]),
    Route("/api/plugins", plugins),
    Route("/api/capabilities", capabilities),
    Route("/api/jobs", jobs_collection, methods=["GET", "POST"]),  # one route: a 405 then lists both
    Route("/api/jobs/{job}", job),
    Route("/api/jobs/{job}/progress", progress),
    Route("/api/jobs/{job}/cancel", cancel, methods=["POST"]),
    Route("/api/events", events),
]
