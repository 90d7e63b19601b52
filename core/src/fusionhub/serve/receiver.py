"""`POST /webhooks/{store}`: a platform's delivery, verified and stored by the store's plugin.

Public (platforms cannot sign in) but verified: the raw body, the headers and the URL it came to
go to `runtime.events.ingest`, whose plugin checks the signature (or the URL's secret) before
anything is stored. A repeated delivery is stored once and still answered 200, so the platform
stops retrying it. The answer goes out as soon as the events are stored: the observers
(`fusionhub_on_event`) run after it, so a slow observer never makes a platform time out and retry.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fusionhub.errors import AuthError, CapabilityUnsupported, FusionHubError, NotFound, ValidationError
from fusionhub.models import Event
from fusionhub.observability.logs import get_logger
from fusionhub.stores import Store

log = get_logger("fusionhub.serve.receiver")

MAX_BODY = 5 * 1024 * 1024  # far above any platform's delivery; a larger body is not one


class TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > MAX_BODY:
            raise TooLarge
    return bytes(chunks)


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


def _tell_observers(request: Request, store: Store, events: list[Event]) -> None:
    """After the answer (in a worker thread: observer hooks are synchronous); a failing observer is logged."""
    try:
        request.app.state.runtime.events.notify(store, events)
    except Exception as exc:  # an observer's bug must not look like the platform's
        log.error("observer_failed", store_id=store.id, events=len(events), error=type(exc).__name__)


async def receive(request: Request) -> JSONResponse:
    ref = request.path_params["store"]
    try:
        body = await _body(request)
    except TooLarge:
        return _error(413, "too_large", f"a delivery is at most {MAX_BODY} bytes")
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    events = request.app.state.runtime.events
    try:
        store = await request.app.state.runtime.stores.load(ref)
        done = await events.ingest(store, dict(request.headers), body, url=url, notify=False)
    except NotFound:
        return _error(404, "unknown_store", f"no store {ref!r}")
    except CapabilityUnsupported:
        return _error(404, "no_webhooks", f"store {ref!r}'s platform takes no webhook deliveries")
    except AuthError:
        # Which check failed is the sender's business only when it holds the secret: say nothing more.
        return _error(401, "unauthorized", "the delivery's signature is missing, wrong or replayed")
    except ValidationError as exc:
        return _error(400, "malformed", exc.user_message)
    except FusionHubError as exc:  # e.g. its credentials cannot be decrypted with this host's keys
        log.error("webhook_refused", store=ref, error=type(exc).__name__, message=exc.user_message)
        return _error(503, "store_unavailable", exc.user_message)
    after = BackgroundTask(_tell_observers, request, store, done.new) if done.new else None
    return JSONResponse({"new": len(done.new), "duplicates": done.duplicates}, background=after)


routes = [Route("/webhooks/{store}", receive, methods=["POST"])]
