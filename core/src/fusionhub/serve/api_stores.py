"""The stores in the JSON API, as `fusionhub stores list|show|add|update|enable|disable|remove --json`
do them: credentials go in, never come out (only which keys a store holds)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fusionhub.errors import FusionHubError, ValidationError
from fusionhub.serve.api_common import bad, check_fields, json_object, refused, takes
from fusionhub.serve.auth import admin_api
from fusionhub.storage.database import Database
from fusionhub.storage.schema import jobs as jt
from fusionhub.stores.checks import config_errors, credential_errors
from fusionhub.stores.service import StoreProblem, StoreRecord


async def job_counts(db: Database, store_id: str) -> dict[str, int]:
    """{status: the store's jobs in it} (only statuses it has), one grouped query."""
    query = sa.select(jt.c.status, sa.func.count()).where(jt.c.store_id == store_id).group_by(jt.c.status)
    async with db.read() as conn:
        return {str(status): int(n) for status, n in (await conn.execute(query)).all()}


def _listed(record: StoreRecord, problem: StoreProblem | None) -> dict[str, Any]:
    return {**record.to_dict(), "problem": problem.to_dict() if problem else None}


@admin_api
@takes()
async def stores(request: Request) -> Response:
    """Every store; one its plugin refuses as saved carries the problem and its fix."""
    service = request.app.state.runtime.stores
    problems = {p.store: p for p in await service.audit()}
    return JSONResponse([_listed(r, problems.get(r.name)) for r in await service.list()])


@admin_api
@takes()
async def store(request: Request) -> Response:
    """One store: which credential keys it holds (never their values) and its jobs per status."""
    runtime = request.app.state.runtime
    record = await runtime.stores.get(request.path_params["store"])
    keys = sorted((await runtime.stores.load(record.id)).credentials)
    return JSONResponse(
        {**record.to_dict(), "credential_fields": keys, "jobs": await job_counts(runtime.db, record.id)}
    )


@admin_api
@takes()
async def add(request: Request) -> Response:
    body = await json_object(request)
    if isinstance(body, JSONResponse):
        return body
    wrong = check_fields(body, {"name": str, "platform": str, "credentials": dict}, {"config": dict})
    if wrong is not None:
        return wrong
    try:
        record = await request.app.state.runtime.stores.add(
            body["name"], body["platform"], body["credentials"], body.get("config")
        )
    except FusionHubError as exc:
        return refused(exc)
    return JSONResponse(record.to_dict(), status_code=201)


@admin_api
@takes()
async def update(request: Request) -> Response:
    """Any of: `enabled`; `config` (the whole config, replaced); `credentials` (the keys to set, the
    others kept). Each is checked by the store's plugin before it is saved."""
    body = await json_object(request)
    if isinstance(body, JSONResponse):
        return body
    wrong = check_fields(body, {}, {"enabled": bool, "config": dict, "credentials": dict})
    if wrong is not None:
        return wrong
    if not body:
        return bad("body", "nothing to update: give enabled, config or credentials")
    runtime = request.app.state.runtime
    service = runtime.stores
    try:
        record = await service.get(request.path_params["store"])
        # Every mistake at once, before anything is saved (not the config saved, then the credentials refused).
        manifest = runtime.hub.manifest(record.platform)
        errors = config_errors(manifest, body["config"]) if "config" in body else []
        if body.get("credentials"):
            held = (await service.load(record.id)).credentials.reveal()
            errors += credential_errors(manifest, {**held, **body["credentials"]})
        if errors:
            raise ValidationError(errors=errors, platform=record.platform)
        if "config" in body:
            record = await service.update_config(record.id, body["config"])
        if body.get("credentials"):
            record = await service.update_credentials(record.id, body["credentials"], merge=True)
        if "enabled" in body:
            record = await service.set_enabled(record.id, body["enabled"])
    except FusionHubError as exc:
        return refused(exc)
    runtime.forget(record.id)
    return JSONResponse(record.to_dict())


@admin_api
@takes()
async def remove(request: Request) -> Response:
    """The store with its credentials, jobs and events; answers what was removed."""
    try:
        record = await request.app.state.runtime.stores.remove(request.path_params["store"])
    except FusionHubError as exc:
        return refused(exc)
    return JSONResponse(record.to_dict())


async def collection(request: Request) -> Response:
    return await (add if request.method == "POST" else stores)(request)


async def one(request: Request) -> Response:
    handler = {"PATCH": update, "DELETE": remove}.get(request.method, store)
    return await handler(request)


# One route per path, so a wrong method's 405 lists every method the path takes.
routes = [
    Route("/api/stores", collection, methods=["GET", "POST"]),
    Route("/api/stores/{store}", one, methods=["GET", "PATCH", "DELETE"]),
]
