"""A store's actions beyond enable/remove: run a capability (queued as a job a person asked for),
check the connection (a cheap authenticated call), update credentials.

Each is a form (the session's CSRF token, or a bearer token for scripts); the outcome comes back
to the store's page as a one-line notice, never with a credential in it.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fusionhub.capabilities import Capability
from fusionhub.context import RunMode
from fusionhub.errors import FusionHubError, NotFound, ValidationError
from fusionhub.serve.auth import admin_form
from fusionhub.serve.pages import store_page_with
from fusionhub.stores.service import StoreRecord

if TYPE_CHECKING:
    from fusionhub.runtime import Runtime

CHECK_SECONDS = 20.0  # a check that waits longer than this for the platform says so
MAX_PARAMS = 1024 * 1024


def _back(record: StoreRecord, request: Request, notice: str) -> RedirectResponse:
    request.session["notice"] = notice
    return RedirectResponse(f"/stores/{record.id}", status_code=303)


def _params(form: FormData) -> dict[str, Any]:
    raw = form.get("params") or "{}"
    if not isinstance(raw, str) or len(raw) > MAX_PARAMS:
        raise ValidationError(errors=[{"loc": "params", "msg": f"a JSON object of at most {MAX_PARAMS} bytes"}])
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(errors=[{"loc": "params", "msg": f"not JSON: {exc.msg} at line {exc.lineno}"}]) from None
    if not isinstance(value, dict):
        raise ValidationError(errors=[{"loc": "params", "msg": "a JSON object ({...})"}])
    return value


@admin_form
async def run(request: Request, form: FormData) -> Response:
    """Queue the capability as a person's (interactive) job and show it: the contract gate, the
    params and the store are checked first, exactly as the job would be."""
    runtime = request.app.state.runtime
    ref = request.path_params["store"]
    try:
        record = await runtime.stores.get(ref)
        job = await runtime.enqueue(
            record.id, str(form.get("capability") or ""), _params(form), mode=RunMode.INTERACTIVE
        )
    except NotFound:
        raise
    except FusionHubError as exc:
        return await store_page_with(request, ref, problem=exc.user_message, status_code=400)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


async def check_store(runtime: Runtime, ref: str) -> tuple[StoreRecord, bool, str]:
    """(the store, whether it answered, what to tell the person): its saved config and credentials as
    its plugin wants them, then one product read with them (interactive: waits out a rate limit)."""
    record = await runtime.stores.get(ref)
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await runtime.execute(record.id, Capability.LIST_PRODUCTS, {"limit": 1}, mode=RunMode.INTERACTIVE)
    except TimeoutError:
        return record, False, f"no answer from {record.platform} within {CHECK_SECONDS:g} s"
    except FusionHubError as exc:
        return record, False, exc.user_message
    return record, True, f"connected: {record.platform} answered an authenticated request"


@admin_form
async def check(request: Request, form: FormData) -> Response:
    record, ok, message = await check_store(request.app.state.runtime, request.path_params["store"])
    return _back(record, request, ("✓ " if ok else "✗ ") + message)


@admin_form
async def update_credentials(request: Request, form: FormData) -> Response:
    """Set the filled-in keys and keep the others; the new set is checked against the plugin's rules."""
    runtime = request.app.state.runtime
    ref = request.path_params["store"]
    given = {
        k.removeprefix("credential."): v
        for k, v in form.items()
        if k.startswith("credential.") and isinstance(v, str) and v
    }
    extra_key, extra_value = form.get("extra_key"), form.get("extra_value")
    if isinstance(extra_key, str) and extra_key.strip() and isinstance(extra_value, str) and extra_value:
        given[extra_key.strip()] = extra_value
    try:
        if not given:
            raise ValidationError(errors=[{"loc": "credentials", "msg": "fill in at least one credential"}])
        record = await runtime.stores.update_credentials(ref, given, merge=True)
    except NotFound:
        raise
    except FusionHubError as exc:
        return await store_page_with(request, ref, problem=exc.user_message, status_code=400)
    runtime.forget(record.id)
    return _back(record, request, f"credentials updated: {', '.join(sorted(given))}")


routes = [
    Route("/stores/{store}/run", run, methods=["POST"]),
    Route("/stores/{store}/check", check, methods=["POST"]),
    Route("/stores/{store}/credentials", update_credentials, methods=["POST"]),
]
