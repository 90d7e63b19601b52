"""Connecting a store: the OAuth 2.0 authorization-code flow (RFC 6749 §4.1, PKCE per RFC 7636).

1. `start_authorization(...)` gives the consent URL to send the user to, with a fresh `state`
   (and a PKCE verifier); keep the returned `AuthorizationRequest` server-side.
2. The platform redirects back: `check_callback(query, request.state)` returns the code once the
   state matches (constant time); a platform that signs the callback's query is checked first
   with `QueryHmac.verify`.
3. `exchange_code(http, token_url, form)` posts the form and reads the answer into a `TokenSet`
   (`request.code_form(code)` is RFC 6749's form; a platform with another shape passes its own).

Everything platform-specific (URLs, scope separator, extra parameters, host checks, the signed
query's canonical form) is a parameter: the plugin's own facts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from fusionhub.clock import SYSTEM_CLOCK, Clock
from fusionhub.errors import AuthError
from fusionhub.http.auth import AUTH_META, TokenSet
from fusionhub.observability.redaction import scrub
from fusionhub.webhooks import HmacSha256

__all__ = [
    "AuthorizationRequest",
    "QueryHmac",
    "check_callback",
    "code_challenge",
    "exchange_code",
    "new_state",
    "new_verifier",
    "sorted_query",
    "start_authorization",
]


def new_state() -> str:
    """An unguessable `state` (256 random bits) tying the callback to this user's session."""
    return secrets.token_urlsafe(32)


def new_verifier() -> str:
    """A PKCE code verifier: 43-128 unreserved characters (RFC 7636 §4.1), here 64 random bytes, base64url."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode("ascii")[:128]


def code_challenge(verifier: str) -> str:
    """The S256 challenge: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """One started authorization: where to send the user, and what to keep until the callback."""

    url: str = field(repr=False)
    state: str = field(repr=False)
    code_verifier: str | None = field(repr=False)  # None without PKCE
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]

    def code_form(self, code: str) -> dict[str, str]:
        """RFC 6749 §4.1.3's token request for `code` (with the PKCE verifier when there is one)."""
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code": code,
        }
        if self.code_verifier is not None:
            form["code_verifier"] = self.code_verifier
        return form


def start_authorization(
    authorize_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: Iterable[str],
    scope_separator: str = " ",
    pkce: bool = False,
    state: str | None = None,
    response_type: str | None = "code",
    extra: Mapping[str, str] | None = None,
) -> AuthorizationRequest:
    """The consent URL with a fresh `state` (or the one given) and, with `pkce`, an S256 challenge.

    Scopes keep their order, duplicates dropped. `response_type=None` leaves the parameter out
    (for a platform whose URL does without it); `extra` adds the platform's own parameters.
    """
    state = state or new_state()
    verifier = new_verifier() if pkce else None
    scope_list = tuple(dict.fromkeys(scopes))
    query = {"response_type": response_type} if response_type else {}
    query |= {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope_separator.join(scope_list),
        "state": state,
    }
    if verifier is not None:
        query |= {"code_challenge": code_challenge(verifier), "code_challenge_method": "S256"}
    url = f"{authorize_url}?{urlencode(query | dict(extra or {}))}"
    return AuthorizationRequest(url, state, verifier, client_id, redirect_uri, scope_list)


def check_callback(query: Mapping[str, str], expected_state: str, *, platform: str | None = None) -> str:
    """The callback's authorization code, once its `state` is this session's; AuthError otherwise."""
    if "error" in query:
        reason = scrub(query.get("error_description") or query["error"])  # the platform's words: no secret of ours
        raise AuthError(f"the authorization was refused: {reason}", platform=platform)
    given = query.get("state", "")
    if not expected_state or not hmac.compare_digest(given.encode(), expected_state.encode()):
        raise AuthError(
            "the OAuth callback's state does not match this session: not the request it started", platform=platform
        )
    code = query.get("code")
    if not code:
        raise AuthError("the OAuth callback carries no code", platform=platform)
    return code


def sorted_query(params: Mapping[str, str]) -> str:
    """`k=v` pairs sorted by key and joined with `&`, unescaped: a common signed-query form."""
    return "&".join(f"{key}={value}" for key, value in sorted(params.items()))


_HEX = HmacSha256()  # frozen, so one shared default is safe


@dataclass(frozen=True, slots=True)
class QueryHmac:
    """A platform signing its callback's query: HMAC-SHA256 of the other parameters' canonical form.

    `param` carries the signature; it and `unsigned` are left out of the message, which is
    `canonical(rest)` (the platform's own form, `sorted_query` by default).
    """

    param: str = "hmac"
    unsigned: Collection[str] = ()
    canonical: Callable[[Mapping[str, str]], str] = sorted_query
    scheme: HmacSha256 = _HEX

    def message(self, query: Mapping[str, str]) -> bytes:
        skip = {self.param, *self.unsigned}
        return self.canonical({k: v for k, v in query.items() if k not in skip}).encode()

    def sign(self, secret: str, query: Mapping[str, str]) -> dict[str, str]:
        """`query` with its signature added (for sandboxes and tests)."""
        return {**query, self.param: self.scheme.sign(secret, self.message(query))}

    def verify(self, secret: str, query: Mapping[str, str], *, platform: str | None = None) -> None:
        if not secret:
            raise AuthError("no client secret is configured: the OAuth callback cannot be verified", platform=platform)
        try:
            self.scheme.verify(secret, self.message(query), query.get(self.param), platform=platform)
        except AuthError:
            raise AuthError(
                f"the OAuth callback's {self.param} does not match: forged or altered", platform=platform
            ) from None


async def exchange_code(
    http: httpx.AsyncClient,
    token_url: str,
    form: Mapping[str, str],
    *,
    clock: Clock = SYSTEM_CLOCK,
    platform: str | None = None,
) -> TokenSet:
    """POST `form` to the token endpoint; its answer as a `TokenSet`, or AuthError with its reason.

    Sent once (a code works once, so a resend could only fail) and charged to no rate budget.
    """
    response = await http.post(token_url, data=dict(form), headers={"Accept": "application/json"}, extensions=AUTH_META)
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        said = (body.get("error_description") or body.get("error")) if isinstance(body, dict) else None
        reason = f"{scrub(str(said))} ({response.status_code})" if said else f"status {response.status_code}"
        raise AuthError(f"the token endpoint refused the code exchange: {reason}", platform=platform)
    return TokenSet.from_response(body, clock.now())
