"""The admin's pages, rendered on the server (Jinja2; no front-end build): sign-in, the
capability matrix, the stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from fusionhub.serve.auth import admin_page, csrf_ok, csrf_token, sign_in
from fusionhub.serve.matrix import matrix

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context["csrf"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _next(request: Request, value: object) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


async def login_form(request: Request) -> Response:
    return render(request, "login.html", next=_next(request, request.query_params.get("next")))


async def login(request: Request) -> Response:
    form = await request.form()
    target = _next(request, form.get("next"))
    if not csrf_ok(request, form):
        return render(request, "login.html", 403, next=target, error="The form expired: sign in again.")
    token = form.get("token")
    if not isinstance(token, str) or not request.app.state.admin_token.matches(token):
        return render(request, "login.html", 401, next=target, error="That is not the admin token.")
    sign_in(request)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return Response("CSRF token missing or wrong", status_code=403)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@admin_page
async def matrix_page(request: Request) -> Response:
    slugs, rows = matrix(request.app.state.runtime.hub.registry.records)
    return render(request, "matrix.html", slugs=slugs, rows=rows)


@admin_page
async def stores_page(request: Request) -> Response:
    stores = await request.app.state.runtime.stores.list()
    return render(request, "stores.html", stores=stores)


async def home(request: Request) -> Response:
    return RedirectResponse("/matrix", status_code=303)


routes = [
    Route("/", home),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/matrix", matrix_page),
    Route("/stores", stores_page),
]
