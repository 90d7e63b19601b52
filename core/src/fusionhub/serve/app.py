"""The ASGI app: receivers (public, verified), admin pages and the JSON API (admin token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fusionhub.errors import NotFound
from fusionhub.serve import api, connect, jobs_pages, more_pages, pages, receiver, store_actions
from fusionhub.serve.auth import AdminToken

if TYPE_CHECKING:
    from fusionhub.runtime import Runtime

SESSION_COOKIE = "fusionhub_session"
SESSION_SECONDS = 12 * 3600


async def _not_found(request: Request, exc: Exception) -> Response:
    message = exc.user_message if isinstance(exc, NotFound) else "not found"
    return JSONResponse({"error": "not_found", "message": message}, status_code=404)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": "http", "message": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def create_app(runtime: Runtime, token: AdminToken, *, secure_cookies: bool = False) -> Starlette:
    """The app over an open runtime (the caller closes it). `secure_cookies`: behind HTTPS."""
    app = Starlette(
        routes=[
            *receiver.routes,
            *api.routes,
            *pages.routes,
            *store_actions.routes,
            *jobs_pages.routes,
            *more_pages.routes,
            *connect.routes,
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=token.session_key(),
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_SECONDS,
                # lax, not strict: a platform's OAuth redirect back to /connect/…/callback is a
                # cross-site top-level GET that must carry the session (its pending flow); forms
                # stay protected by their CSRF token, and lax cookies never ride cross-site POSTs.
                same_site="lax",
                https_only=secure_cookies,
            )
        ],
        exception_handlers={NotFound: _not_found, HTTPException: _http_error},
    )
    app.state.runtime = runtime
    app.state.admin_token = token
    return app
