"""The fake Shopify's app and first token are core's fixed sandbox credentials; rotation issues fresh ones."""

from __future__ import annotations

from fusionhub import VirtualClock
from fusionhub.sandbox import SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN
from fusionhub_shopify.sandbox import ShopifySandbox


def test_a_host_can_add_a_sandbox_store_with_the_fixed_credentials() -> None:
    sandbox = ShopifySandbox(VirtualClock(), products=1)
    assert sandbox.credentials() == {
        "access_token": SANDBOX_ACCESS_TOKEN,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    }
    assert sandbox.auth.accepts(SANDBOX_ACCESS_TOKEN)


def test_expiring_tokens_start_fixed_and_rotate_to_fresh_ones() -> None:
    clock = VirtualClock()
    sandbox = ShopifySandbox(clock, products=1, expiring_tokens=True)
    first = sandbox.credentials()
    assert (first["access_token"], first["refresh_token"]) == (SANDBOX_ACCESS_TOKEN, SANDBOX_REFRESH_TOKEN)
    form = {
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": SANDBOX_REFRESH_TOKEN,
    }
    issued = sandbox.auth.token_endpoint(form).json()
    assert issued["access_token"] != SANDBOX_ACCESS_TOKEN and sandbox.auth.accepts(issued["access_token"])
    assert not sandbox.auth.accepts(SANDBOX_ACCESS_TOKEN)  # rotation retired the fixed pair
