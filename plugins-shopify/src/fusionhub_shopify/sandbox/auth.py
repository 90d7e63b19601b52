"""The sandbox's app and tokens: the install consent page, install codes, the token endpoint (codes,
refresh tokens and the client-credentials grant), expiring tokens that rotate.

The consent page (`GET https://{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state`) is a
form; posting `approve=yes` to the same URL is the merchant clicking Install: a 302 to the
redirect URI with `code, host, shop, state, timestamp` signed as Shopify signs them (`hmac`, hex).
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx

from fusionhub.plugin import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Clock,
    consent_answer,
    consent_page,
    redirect_to,
    refused_page,
)
from fusionhub_shopify.auth.oauth import CALLBACK_SIGNATURE

TOKEN_TTL = 3600.0
CLIENT_CREDENTIALS_TTL = 86_399.0  # a Dev Dashboard app's token: about 24 hours, no refresh token
REFRESH_TTL = 90 * 86_400.0


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "application/json"}, content=json.dumps(body).encode())


class SandboxAuth:
    def __init__(self, clock: Clock, *, scopes: str, expiring: bool) -> None:
        self.clock = clock
        self.scopes = scopes
        self.expiring = expiring
        self.client_id, self.client_secret = SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
        self.tokens: dict[str, float | None] = {}  # access token → expiry (None: never)
        self.refresh_token: str | None = None
        self.codes: set[str] = set()
        self.access_token = self._issue(expiring, (SANDBOX_ACCESS_TOKEN, SANDBOX_REFRESH_TOKEN))["access_token"]

    def _issue(self, expiring: bool, fixed: tuple[str, str] | None = None) -> dict[str, Any]:
        """A new token (and refresh token if `expiring`): `fixed` ones, or fresh random ones."""
        token, refresh = fixed or ("shpat_" + secrets.token_hex(16), "shprt_" + secrets.token_hex(16))
        self.tokens[token] = self.clock.now() + TOKEN_TTL if expiring else None
        body: dict[str, Any] = {"access_token": token, "scope": self.scopes}
        if expiring:
            self.refresh_token = refresh
            body.update(
                expires_in=int(TOKEN_TTL), refresh_token=self.refresh_token, refresh_token_expires_in=int(REFRESH_TTL)
            )
        self.access_token = token
        return body

    def credentials(self) -> dict[str, str]:
        out = {"access_token": self.access_token, "client_id": self.client_id, "client_secret": self.client_secret}
        expiry = self.tokens.get(self.access_token)
        if expiry is not None and self.refresh_token:
            out.update(refresh_token=self.refresh_token, expires_at=f"{expiry:.0f}")
        return out

    def new_code(self) -> str:
        """What Shopify puts in the redirect after the merchant approves the install."""
        code = secrets.token_hex(16)
        self.codes.add(code)
        return code

    def consent(self, request: httpx.Request, shop: str) -> httpx.Response:
        """The install page (GET), or the merchant's answer to it (POST): back to the app with a code."""
        query = dict(request.url.params)
        if query.get("client_id") != self.client_id:
            return refused_page("The client_id is not an app of this shop")
        redirect = query.get("redirect_uri", "")
        if urlsplit(redirect).scheme not in ("http", "https") or not query.get("state"):
            return refused_page("The redirect_uri and state are required")
        if request.method == "GET":
            return consent_page("Shopify", self.client_id, query.get("scope", "").split(","), account=shop)
        answer = consent_answer(request)
        if answer is None:
            return refused_page("Install or cancel")
        if not answer:
            return redirect_to(redirect, {"error": "access_denied", "state": query["state"]})
        host = base64.b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode()).decode()
        params = {
            "code": self.new_code(),
            "host": host,
            "shop": shop,
            "state": query["state"],
            "timestamp": str(int(self.clock.now())),
        }
        return redirect_to(redirect, CALLBACK_SIGNATURE.sign(self.client_secret, params))

    def accepts(self, token: str | None) -> bool:
        if not token or token not in self.tokens:
            return False
        expiry = self.tokens[token]
        return expiry is None or self.clock.now() < expiry

    def token_endpoint(self, form: dict[str, str]) -> httpx.Response:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _json(401, {"error": "invalid_client"})
        if form.get("grant_type") == "client_credentials":  # a Dev Dashboard app: a 24-hour token, renewed the same way
            token = "shpat_" + secrets.token_hex(16)
            self.tokens[token] = self.clock.now() + CLIENT_CREDENTIALS_TTL
            self.access_token = token
            return _json(200, {"access_token": token, "scope": self.scopes, "expires_in": int(CLIENT_CREDENTIALS_TTL)})
        if form.get("grant_type") == "refresh_token":
            if not self.refresh_token or form.get("refresh_token") != self.refresh_token:
                return _json(400, {"error": "invalid_grant"})
            self.tokens.pop(self.access_token, None)  # rotation retires the old pair
            return _json(200, self._issue(True))
        code = form.get("code", "")
        if code not in self.codes:
            return _json(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "The authorization code was not found or was already used",
                },
            )
        self.codes.discard(code)
        return _json(200, self._issue(form.get("expiring") == "1"))
