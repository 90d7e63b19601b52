"""Send one named GraphQL document for a store: cost up front, errors mapped (tokens: auth/token.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fusionhub.plugin import StoreContext, is_mutation, meta
from fusionhub_shopify.config import ShopConfig
from fusionhub_shopify.cost import largest_first, requested_cost
from fusionhub_shopify.documents import document
from fusionhub_shopify.responses import graphql_data


@dataclass(slots=True)
class ShopState:
    """What a store's calls learn once (`ctx.state(ShopState)`); it outlives reconnects."""

    parsed: tuple[dict[str, Any], ShopConfig] | None = None  # the config parsed, and from what
    currency: str | None = None
    location: str | None = None


def shop_config(ctx: StoreContext) -> ShopConfig:
    """The store's parsed settings, parsed again whenever its config changes."""
    state = ctx.state(ShopState)
    if state.parsed is None or state.parsed[0] != ctx.config:
        state.parsed = (dict(ctx.config), ShopConfig.of(ctx.config))
    return state.parsed[1]


def page_size(ctx: StoreContext, name: str, sizes: Mapping[str, int], wanted: int) -> int:
    """The largest `first` (at most `wanted`) that keeps document `name` under the single-query cost limit."""
    return largest_first(document(name, shop_config(ctx).api_version).text, sizes, "first", wanted)


KEY_VARIABLE = "$idempotencyKey"  # a document taking @idempotent(key:) declares it


async def execute(
    ctx: StoreContext, name: str, variables: Mapping[str, Any] | None = None, *, part: int = 0
) -> dict[str, Any]:
    """Run document `name` (in the store's API version); return its `data`. A document with an
    @idempotent key gets the call's key for its `part` (a batch): the same on every run of the call."""
    config = shop_config(ctx)
    doc = document(name, config.api_version)
    values = dict(variables or {})
    if KEY_VARIABLE in doc.text:
        values["idempotencyKey"] = ctx.idempotency_key(name, part)
    body = {"query": doc.text, "variables": values, "operationName": name}
    cost = requested_cost(doc.text, values)
    # A query may be resent after a network failure or a 5xx; a mutation never is.
    extensions = meta(cost=cost, operation=name, idempotent=not is_mutation(doc.text))
    response = await ctx.http.post(config.graphql_url, json=body, extensions=extensions)
    return graphql_data(response, name, cost)
