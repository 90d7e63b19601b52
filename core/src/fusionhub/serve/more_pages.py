"""The events page (what platforms told the hub) and the plugins doctor (what loaded, what did not, and the fix)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fusionhub.registry import PluginStatus
from fusionhub.serve.auth import admin_page
from fusionhub.serve.pages import render

EVENTS_SHOWN = 200


@admin_page
async def events_page(request: Request) -> Response:
    runtime = request.app.state.runtime
    store_ref = request.query_params.get("store") or None
    stores = await runtime.stores.list()
    store_id = (await runtime.stores.get(store_ref)).id if store_ref else None
    found = await runtime.events.list(store_id, limit=EVENTS_SHOWN)
    for event in found:
        event["payload_text"] = json.dumps(event["payload"], indent=2, default=str)
    names = {s.id: s.name for s in stores}
    return render(request, "events.html", events=found, names=names, stores=stores, store_id=store_id)


@admin_page
async def plugins_page(request: Request) -> Response:
    records = request.app.state.runtime.hub.registry.records
    loaded = [r for r in records if r.status is PluginStatus.LOADED]
    blocked = [r for r in records if r.status is PluginStatus.BLOCKED]  # switched off on purpose: not a failure
    broken = [r for r in records if r.status not in {PluginStatus.LOADED, PluginStatus.BLOCKED}]
    return render(request, "plugins.html", loaded=loaded, broken=broken, blocked=blocked)


routes = [Route("/events", events_page), Route("/plugins", plugins_page)]
