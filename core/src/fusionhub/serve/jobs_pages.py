"""The jobs pages: the list (filtered by status and store), one job with its live progress, cancel."""

from __future__ import annotations

import json

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from fusionhub.errors import FusionHubError, NotFound
from fusionhub.jobs import JobStatus
from fusionhub.serve.auth import admin_form, admin_page
from fusionhub.serve.jobs_view import find_job, job_view, top_level_jobs
from fusionhub.serve.pages import render

PAGE_SIZE = 100
FAILED_ITEMS_SHOWN = 20
RESULT_CHARS = 20_000  # a bulk's params and result can be megabytes: the page shows their start, the API all


@admin_page
async def jobs_page(request: Request) -> Response:
    runtime = request.app.state.runtime
    status = request.query_params.get("status") or None
    store_ref = request.query_params.get("store") or None
    if status is not None and status not in {s.value for s in JobStatus}:
        return PlainTextResponse(f"status: one of {', '.join(s.value for s in JobStatus)}", status_code=400)
    stores = await runtime.stores.list()
    store_id = (await runtime.stores.get(store_ref)).id if store_ref else None
    chosen = JobStatus(status) if status else None
    top = await top_level_jobs(runtime.db, runtime.queue, status=chosen, store_id=store_id, limit=PAGE_SIZE)
    names = {s.id: s.name for s in stores}
    return render(
        request,
        "jobs.html",
        jobs=top,
        names=names,
        stores=stores,
        status=status,
        store_id=store_id,
        statuses=[s.value for s in JobStatus],
    )


@admin_page
async def job_page(request: Request) -> Response:
    runtime = request.app.state.runtime
    job = await find_job(runtime.queue, request.path_params["job"])
    view = await job_view(runtime.db, job)
    failed = await runtime.queue.list(parent_id=job.id, status=JobStatus.FAILED, limit=FAILED_ITEMS_SHOWN)
    try:
        store = (await runtime.stores.get(job.store_id)).name
    except NotFound:
        store = job.store_id
    result = json.dumps(job.result, indent=2, default=str) if job.result is not None else None
    params = json.dumps(job.params, indent=2)
    clipped = len(params) > RESULT_CHARS or (result is not None and len(result) > RESULT_CHARS)
    return render(
        request,
        "job.html",
        job=job,
        view=view,
        store=store,
        failed=failed,
        params=params[:RESULT_CHARS],
        result=result[:RESULT_CHARS] if result else None,
        clipped=clipped,
    )


@admin_form
async def cancel(request: Request, form: FormData) -> Response:
    runtime = request.app.state.runtime
    try:
        job = await find_job(runtime.queue, request.path_params["job"])
        await runtime.queue.cancel(job.id, now=runtime.clock.now())
    except FusionHubError as exc:
        return PlainTextResponse(exc.user_message, status_code=404 if isinstance(exc, NotFound) else 400)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


routes = [
    Route("/jobs", jobs_page),
    Route("/jobs/{job}", job_page),
    Route("/jobs/{job}/cancel", cancel, methods=["POST"]),
]
