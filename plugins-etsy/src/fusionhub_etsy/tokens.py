"""Etsy's token endpoint: the requests it takes and the token set it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from fusionhub.errors import AuthError


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    token_type: str = "Bearer"

    @property
    def user_id(self) -> str:
        """Etsy access tokens read `{user_id}.{token}`."""
        return self.access_token.split(".", 1)[0]


def _form_post(url: str, fields: Mapping[str, str]) -> httpx.Request:
    return httpx.Request(
        "POST",
        url,
        content=str(httpx.QueryParams(dict(fields))).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def refresh_request(url: str, credentials: Mapping[str, str]) -> httpx.Request:
    return _form_post(
        url,
        {
            "grant_type": "refresh_token",
            "client_id": credentials["keystring"],
            "refresh_token": credentials["refresh_token"],
        },
    )


def code_request(url: str, *, client_id: str, redirect_uri: str, code: str, code_verifier: str) -> httpx.Request:
    return _form_post(
        url,
        {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code": code,
            "code_verifier": code_verifier,
        },
    )


def parse_token_response(response: httpx.Response) -> TokenSet:
    if response.status_code != 200:
        try:
            reason = str(response.json().get("error_description") or response.json().get("error"))
        except ValueError:
            reason = f"HTTP {response.status_code}"
        raise AuthError(f"Etsy refused the token request: {reason}; reconnect the store", platform="etsy")
    body = response.json()
    try:
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_in=int(body.get("expires_in", 3600)),
            token_type=str(body.get("token_type", "Bearer")),
        )
    except (KeyError, TypeError, ValueError):
        raise AuthError("Etsy's token response lacks access_token/refresh_token", platform="etsy") from None
