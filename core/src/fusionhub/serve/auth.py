"""Who may use the admin and the JSON API: one admin token, sent as a bearer or signed in once.

The token is FUSIONHUB_ADMIN_TOKEN, or one generated at first start and kept (mode 0600) in the
data directory. Scripts send `Authorization: Bearer <token>`; a browser signs in with it once and
then holds a signed session cookie; every form carries the session's CSRF token. Webhook
receivers need none of this: the platform's signature is their proof.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from fusionhub.errors import ErrorCategory, FusionHubError

TOKEN_ENV = "FUSIONHUB_ADMIN_TOKEN"  # noqa: S105 - the variable's name
TOKEN_FILE = "admin.token"  # noqa: S105 - the file's name in the data directory
MIN_TOKEN = 16
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"  # Starlette reads headers case-insensitively
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[Request], Awaitable[Response]]
FormHandler = Callable[[Request, FormData], Awaitable[Response]]


class BindRefused(FusionHubError):
    category = ErrorCategory.REFUSED
    default_message = "The admin cannot be served that way."


@dataclass(frozen=True, slots=True)
class AdminToken:
    value: str = field(repr=False)
    source: str  # "environment", "file" or "generated"
    path: Path | None = None

    def matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.value.encode())

    def session_key(self) -> str:
        """The session cookie's signing key: derived from the token, so a new token ends every session."""
        return hmac.new(self.value.encode(), b"fusionhub-serve-session", "sha256").hexdigest()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def admin_token(host: str, data_dir: Path, environ: Mapping[str, str] = os.environ) -> AdminToken:
    """The token for serving on `host`; BindRefused beyond loopback unless FUSIONHUB_ADMIN_TOKEN is set."""
    configured = environ.get(TOKEN_ENV, "")
    if configured:
        if len(configured) < MIN_TOKEN:
            raise BindRefused(f"{TOKEN_ENV} is too short: use at least {MIN_TOKEN} characters")
        return AdminToken(configured, "environment")
    if not is_loopback(host):
        raise BindRefused(
            f"refusing to serve on {host!r} without {TOKEN_ENV}: set it to a long random secret "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or bind to 127.0.0.1"
        )
    path = data_dir / TOKEN_FILE
    if path.exists():
        kept = path.read_text(encoding="utf-8").strip()
        if len(kept) >= MIN_TOKEN:
            return AdminToken(kept, "file", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return AdminToken(value, "generated", path)


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticated(request: Request) -> bool:
    """A valid bearer token, or a signed-in session."""
    token: AdminToken = request.app.state.admin_token
    given = bearer(request)
    if given is not None:
        return token.matches(given)
    return bool(request.session.get("signed_in"))


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form posts it back."""
    value = request.session.get(CSRF_FIELD)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(24)
        request.session[CSRF_FIELD] = value
    return value


def csrf_ok(request: Request, form: Mapping[str, Any]) -> bool:
    expected = request.session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD)
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(given, expected)


def sign_in(request: Request) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at sign-in: no fixation
    request.session["signed_in"] = True
    csrf_token(request)


def admin_page(handler: Handler) -> Handler:
    """A page: signed-out browsers go to the sign-in page and come back."""

    async def guarded(request: Request) -> Response:
        if not authenticated(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return await handler(request)

    return guarded


def admin_api(handler: Handler) -> Handler:
    """A JSON endpoint: 401 without a valid bearer token or session. A change (POST) made with the
    session cookie alone must also send the session's CSRF token in X-CSRF-Token: the cookie is
    ambient, so without it any page the browser visits could post here."""

    async def guarded(request: Request) -> Response:
        if not authenticated(request):
            return JSONResponse(
                {"error": "unauthorized", "message": "send Authorization: Bearer <admin token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        cookie_only = request.method not in SAFE_METHODS and bearer(request) is None
        if cookie_only and not csrf_ok(request, {CSRF_FIELD: request.headers.get(CSRF_HEADER)}):
            message = f"with the session cookie, send the page's CSRF token in {CSRF_HEADER}, or use a bearer token"
            return JSONResponse({"error": "csrf", "message": message}, status_code=403)
        return await handler(request)

    return guarded


def admin_form(handler: FormHandler) -> Handler:
    """A form's POST: signed in, and the session's CSRF token posted back (a bearer request carries no
    ambient credentials, so it needs none). 403 otherwise, before anything changes."""

    async def guarded(request: Request) -> Response:
        if not authenticated(request):
            return PlainTextResponse("sign in first", status_code=401)
        form = await request.form()
        if bearer(request) is None and not csrf_ok(request, form):
            return PlainTextResponse("the form's CSRF token is missing or wrong: reload the page", status_code=403)
        return await handler(request, form)

    return guarded
