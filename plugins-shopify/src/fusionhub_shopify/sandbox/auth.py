"""The sandbox's app and tokens: install codes, the token endpoint, expiring tokens that rotate."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx

from fusionhub.plugin import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Clock,
)

TOKEN_TTL = 3600.0
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

    def accepts(self, token: str | None) -> bool:
        if not token or token not in self.tokens:
            return False
        expiry = self.tokens[token]
        return expiry is None or self.clock.now() < expiry

    def token_endpoint(self, form: dict[str, str]) -> httpx.Response:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _json(401, {"error": "invalid_client"})
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
