"""Login with Amazon (LWA) on core's refreshing auth: the seller's token and grantless tokens.

Seller-authorized calls carry the LWA access token in `x-amz-access-token`, bare (no `Bearer `).
Core's `OAuth2RefreshAuth` refreshes it with LWA's refresh-token form (grant_type, refresh_token,
client_id, client_secret: RFC 6749's, so no override is needed), before expiry and once after a 401.
The token is sent only to SP-API hosts: never to the signed S3 URLs of feed documents.

Grantless operations (notification destinations) take a client-credentials token with a scope
instead; `grantless_token` keeps one per store in the store's state until shortly before expiry.

AWS SigV4 signing (the specification's "IAM credentials") has not been required since 2023-10-02:
IAM fields in a store's credentials are accepted and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from fusionhub.plugin import (
    AuthError,
    Credentials,
    OAuth2RefreshAuth,
    RequestMeta,
    StoreContext,
    TokenSet,
    exchange_code,
)
from fusionhub_amazon.endpoints import ALL_API_HOSTS, OPERATIONS, TOKEN_URL

TOKEN_HEADER = "x-amz-access-token"  # noqa: S105 (a header name)
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
GRANTLESS = frozenset(op.id for op in OPERATIONS.values() if op.grantless)


def lwa_credentials(credentials: Credentials) -> tuple[str, str]:
    """The app's LWA client id and secret, or an AuthError naming the missing field."""
    missing = [name for name in ("client_id", "client_secret") if not credentials.get(name)]
    if missing:
        raise AuthError(f"the store's credentials lack {', '.join(missing)} (the app's LWA credentials)")
    return credentials["client_id"], credentials["client_secret"]


class LwaAuth(OAuth2RefreshAuth):
    """The seller's LWA token on SP-API hosts; grantless operations are signed by their caller."""

    def applies_to(self, request: httpx.Request) -> bool:
        if RequestMeta.of(request).operation in GRANTLESS:
            return False
        return super().applies_to(request)


def lwa_auth(credentials: Credentials, *, token_url: str = TOKEN_URL) -> LwaAuth:
    client_id, client_secret = lwa_credentials(credentials)
    if not credentials.get("refresh_token"):
        raise AuthError("the store's credentials lack refresh_token: authorize the app in Seller Central first")
    return LwaAuth(
        TokenSet.from_credentials(credentials),
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        header=TOKEN_HEADER,
        prefix="",
        hosts=ALL_API_HOSTS,
    )


@dataclass
class GrantlessTokens:
    """Per store: the client-credentials tokens by scope."""

    tokens: dict[str, TokenSet] | None = None


async def grantless_token(ctx: StoreContext, scope: str = NOTIFICATIONS_SCOPE, *, token_url: str = TOKEN_URL) -> str:
    """A client-credentials access token for `scope`, fetched once and reused until it is due."""
    state = ctx.state(GrantlessTokens)
    tokens = state.tokens if state.tokens is not None else {}
    held = tokens.get(scope)
    if held is None or held.due(ctx.clock.now()):
        client_id, client_secret = lwa_credentials(ctx.credentials)
        form = {"grant_type": "client_credentials", "scope": scope, "client_id": client_id}
        form["client_secret"] = client_secret
        held = await exchange_code(ctx.http, token_url, form, clock=ctx.clock, platform="amazon-sc")
        tokens[scope] = held
        state.tokens = tokens
    return held.access_token
