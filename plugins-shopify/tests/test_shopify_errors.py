"""Shopify's error rows: statuses and top-level GraphQL error codes map as declared, on top of core's."""

from __future__ import annotations

import httpx
import pytest

from fusionhub import AuthError, FusionHubError, NotFound, PlatformError, RateLimited, TransientError, ValidationError
from fusionhub_shopify.responses import graphql_data

URL = "https://sandbox-shop.myshopify.com/admin/api/2026-10/graphql.json"


def _answer(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", URL))


def _coded(code: str) -> dict[str, object]:
    return {"errors": [{"message": f"{code.lower()} happened", "extensions": {"code": code}}], "data": None}


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (400, {"errors": "bad JSON"}, PlatformError, "a plugin fault"),
        (401, {"errors": "[API] Invalid API key or access token"}, AuthError, "rejected the access token"),
        (403, {}, AuthError, "lacks a scope"),
        (404, {}, NotFound, "unknown shop or API version"),
        (423, {}, PlatformError, "locked"),
        (200, _coded("ACCESS_DENIED"), AuthError, "denied"),
        (200, _coded("UNAUTHORIZED"), AuthError, "denied"),
        (200, _coded("SERVICE_UNAVAILABLE"), TransientError, "retried"),
        (200, _coded("TIMEOUT"), TransientError, "retried"),
        (200, _coded("SOMETHING_ELSE"), PlatformError, "rejected the call"),
        # core's rows where Shopify has none of its own
        (422, {}, ValidationError, "could not process"),
        (429, {}, RateLimited, "rate limit"),
        (503, {}, TransientError, "unavailable"),
        (418, {}, PlatformError, "refused"),
    ],
)
def test_each_answer_maps_to_its_row(status: int, body: object, error: type[FusionHubError], message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        graphql_data(_answer(status, body), "getProduct", requested=1)
    assert type(caught.value) is error and caught.value.platform == "shopify"
    assert caught.value.details["operation"] == "getProduct"


def test_the_platforms_messages_are_kept() -> None:
    with pytest.raises(PlatformError, match="The platform said: something_else happened"):
        graphql_data(_answer(200, _coded("SOMETHING_ELSE")), "getProduct", requested=1)
    with pytest.raises(AuthError, match="Invalid API key"):
        graphql_data(_answer(401, {"errors": "[API] Invalid API key or access token"}), "getProduct", requested=1)


def test_data_without_errors_passes() -> None:
    assert graphql_data(_answer(200, {"data": {"shop": {}}}), "shop", requested=1) == {"shop": {}}
