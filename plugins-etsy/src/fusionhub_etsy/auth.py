"""Request authentication: `x-api-key: keystring:shared_secret` plus the OAuth bearer token.

Core's OAuth2RefreshAuth does it all: refresh before expiry and once after a 401, serialized,
every new token set handed on to be persisted (Hub.connect wires the store's saver), and the
API key sent beside the token as a secret header. Etsy rotates the refresh token on every
refresh, so persisting it is not optional.
"""

from __future__ import annotations

from fusionhub.plugin import AuthError, Credentials, OAuth2RefreshAuth, TokenSet
from fusionhub_etsy.endpoints import TOKEN_URL


def api_key(credentials: Credentials) -> str:
    """The x-api-key value: since 2026-02-09 Etsy rejects the keystring without its shared secret."""
    try:
        return f"{credentials['keystring']}:{credentials['shared_secret']}"
    except KeyError as missing:
        raise AuthError(f"the store's credentials lack {missing.args[0]}", platform="etsy") from None


def etsy_auth(credentials: Credentials, *, token_url: str = TOKEN_URL) -> OAuth2RefreshAuth:
    key = api_key(credentials)  # first: a missing keystring is an AuthError, not a KeyError
    return OAuth2RefreshAuth(
        TokenSet.from_credentials(credentials),
        token_url=token_url,
        client_id=credentials["keystring"],
        headers={"x-api-key": key},
    )
