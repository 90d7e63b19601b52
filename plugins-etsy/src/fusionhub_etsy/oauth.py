"""Connecting a shop: OAuth 2.0 authorization code with PKCE (S256), as Etsy requires.

`begin` makes the authorize URL with a fresh `state` and code challenge; the caller keeps the
returned `PendingAuthorization` (it holds the verifier) until the browser comes back; `complete`
checks the callback's `state` in constant time and exchanges the code with the verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from fusionhub.plugin import SYSTEM_CLOCK, AuthError, Clock, TokenSet
from fusionhub_etsy.endpoints import AUTHORIZE_URL, TOKEN_URL


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_verifier() -> str:
    """43-128 characters of the unreserved set (RFC 7636 §4.1): 64 random bytes, base64url."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode("ascii")[:128]


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    url: str = field(repr=False)
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str
    client_id: str
    scopes: tuple[str, ...]


def begin(
    client_id: str, redirect_uri: str, scopes: Iterable[str], *, authorize_url: str = AUTHORIZE_URL
) -> PendingAuthorization:
    state = secrets.token_urlsafe(32)
    verifier = new_verifier()
    scope_list = tuple(dict.fromkeys(scopes))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scope_list),
            "state": state,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return PendingAuthorization(f"{authorize_url}?{query}", state, verifier, redirect_uri, client_id, scope_list)


def check_callback(pending: PendingAuthorization, params: Mapping[str, str]) -> str:
    """The authorization code from the redirect's query, once `state` proves it is ours."""
    if "error" in params:
        raise AuthError(f"Etsy authorization failed: {params.get('error_description') or params['error']}")
    state = params.get("state", "")
    if not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise AuthError("OAuth state mismatch: the callback is not for this authorization request")
    code = params.get("code")
    if not code:
        raise AuthError("the OAuth callback carries no code")
    return code


def code_request(url: str, *, client_id: str, redirect_uri: str, code: str, code_verifier: str) -> httpx.Request:
    fields = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code": code,
        "code_verifier": code_verifier,
    }
    return httpx.Request("POST", url, data=fields)


def parse_token_response(response: httpx.Response, clock: Clock) -> TokenSet:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        raise AuthError(f"Etsy refused the code exchange: {reason or response.status_code}", platform="etsy")
    return TokenSet.from_response(body, clock.now())


async def complete(
    pending: PendingAuthorization,
    params: Mapping[str, str],
    client: httpx.AsyncClient,
    *,
    token_url: str = TOKEN_URL,
    clock: Clock = SYSTEM_CLOCK,
) -> TokenSet:
    """The access/refresh tokens for a checked callback; store them with the keystring and secret."""
    code = check_callback(pending, params)
    request = code_request(
        token_url,
        client_id=pending.client_id,
        redirect_uri=pending.redirect_uri,
        code=code,
        code_verifier=pending.code_verifier,
    )
    response = await client.send(request)
    return parse_token_response(response, clock)
