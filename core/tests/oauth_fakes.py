"""A platform whose refresh tokens are single-use (Etsy's kind), its state in a file every process shares.

The token endpoint takes the current refresh token once and answers a new pair; a spent one is
`invalid_grant`. `GET /products` wants an access token it issued. The state file is locked
(flock) around each change, so several processes talk to one platform.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
from pathlib import Path
from typing import Any

import httpx

from fusionhub import Capability, hookimpl
from fusionhub.context import StoreContext
from fusionhub.http import HttpConfig, OAuth2RefreshAuth, TokenSet, raise_for_status
from fusionhub.models import Page, Product
from fusionhub.params import ListProductsParams
from fusionhub.registry import Registry
from fusionhub.stores import Store

SLUG = "oauthtest"
BASE = "https://oauth.invalid"
TOKEN_URL = f"{BASE}/token"


def manifest() -> dict[str, Any]:
    caps: dict[str, Any] = {c.value: {"level": "unsupported", "explanation": "not in the fake"} for c in Capability}
    caps["list_products"] = {"level": "native"}
    return {
        "slug": SLUG,
        "name": "OAuth Test",
        "version": "1.0.0",
        "api": "fake REST",
        "auth": "oauth2_refresh",
        "credential_fields": ["access_token", "refresh_token"],
        "capabilities": caps,
    }


class TokenServer:
    """The platform's side; `state` is a JSON file: the current refresh token and the access tokens issued."""

    def __init__(self, state: Path, *, think: float = 0.05) -> None:
        self.state = state
        self.think = think  # the token endpoint takes a while: two refreshes overlap

    def reset(self, refresh_token: str) -> None:
        self.state.write_text(json.dumps({"refresh": refresh_token, "access": [], "issued": 0}))

    def _change(self, change: Any) -> Any:
        with open(self.state, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            data = json.load(handle)
            answer = change(data)
            handle.seek(0)
            handle.truncate()
            json.dump(data, handle)
            return answer

    def current_refresh(self) -> str:
        return str(self._change(lambda data: data["refresh"]))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            await asyncio.sleep(self.think)
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            return httpx.Response(**self._change(lambda data: _refresh(data, form.get("refresh_token"))))
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not self._change(lambda data: token in data["access"]):
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={"items": [{"id": "p1", "title": "Mug"}]})

    def transport(self, store: Store | None = None) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.handle)


def _refresh(data: dict[str, Any], sent: str | None) -> dict[str, Any]:
    if sent != data["refresh"]:
        return {"status_code": 400, "json": {"error": "invalid_grant", "error_description": "refresh token spent"}}
    data["issued"] += 1
    access, refresh = f"access-{data['issued']}", f"refresh-{data['issued']}"
    data["refresh"] = refresh
    data["access"].append(access)
    return {"status_code": 200, "json": {"access_token": access, "refresh_token": refresh, "expires_in": 3600}}


class OAuthPlugin:
    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return manifest()

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        auth = OAuth2RefreshAuth(TokenSet.from_credentials(store.credentials), token_url=TOKEN_URL, client_id="app")
        return HttpConfig(base_url=BASE, auth=auth)

    @hookimpl
    async def fusionhub_list_products(self, ctx: StoreContext, params: ListProductsParams) -> Page[Product]:
        body = raise_for_status(await ctx.http.get("/products"), platform=SLUG).json()
        return Page[Product](items=[Product(id=p["id"], platform=SLUG, title=p["title"]) for p in body["items"]])


def registry() -> Registry:
    reg = Registry(allow=None, deny=())
    reg.add(OAuthPlugin(), SLUG)
    return reg
