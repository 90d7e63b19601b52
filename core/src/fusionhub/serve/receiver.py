"""`POST /webhooks/{store}`: a platform's delivery, verified and stored by the store's plugin.

Public (platforms cannot sign in) but verified: the raw body, the headers and the URL it came to
go to `runtime.events.ingest`, whose plugin checks the signature (or the URL's secret) before
anything is stored. A repeated delivery is stored once and still answered 200, so the platform
stops retrying it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fusionhub.errors import AuthError, CapabilityUnsupported, NotFound, ValidationError

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


async def receive(request: Request) -> JSONResponse:
    ref = request.path_params["store"]
    try:
        body = await _body(request)
    except TooLarge:
        return _error(413, "too_large", f"a delivery is at most {MAX_BODY} bytes")
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        done = await request.app.state.runtime.events.ingest(ref, dict(request.headers), body, url=url)
    except NotFound:
        return _error(404, "unknown_store", f"no store {ref!r}")
    except CapabilityUnsupported:
        return _error(404, "no_webhooks", f"store {ref!r}'s platform takes no webhook deliveries")
    except AuthError:
        # Which check failed is the sender's business only when it holds the secret: say nothing more.
        return _error(401, "unauthorized", "the delivery's signature is missing, wrong or replayed")
    except ValidationError as exc:
        return _error(400, "malformed", exc.user_message)
    return JSONResponse({"new": len(done.new), "duplicates": done.duplicates})


routes = [Route("/webhooks/{store}", receive, methods=["POST"])]
