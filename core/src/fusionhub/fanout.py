"""Per-item fan-out: one capability call per item, run by core, aggregated into a BulkResult.

A plugin whose platform has no bulk endpoint declares, for instance, `bulk_update` with
`fan_out = "update_product"` and writes neither loop nor hookimpl: `declared_fan_out` stands in
for the hookimpl, inside the same pluggy call (so wrappers see it). A hookimpl that fans out part
of its work (a bulk operation's updates) calls `fan_out_items`. Both go through the store's
`ctx.fan_out`: child jobs in a worker, the direct loop through the gate elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pydantic

    from fusionhub.capabilities import Capability
    from fusionhub.context import StoreContext
    from fusionhub.models import BulkResult


async def fan_out_items(ctx: StoreContext, capability: Capability, items: Sequence[pydantic.BaseModel]) -> BulkResult:
    """Run `capability` once per item (only the fields each item sets), aggregated."""
    assert ctx.fan_out is not None, "core sets ctx.fan_out on every capability call"
    return await ctx.fan_out(capability, [item.model_dump(mode="json", exclude_unset=True) for item in items])


async def declared_fan_out(ctx: StoreContext, params: Any) -> BulkResult:
    """Core's hookimpl for a capability whose contract declares `fan_out`: one call per `params.items`."""
    assert ctx.capability is not None, "core sets the capability before dispatch"
    target = ctx.manifest.contract(ctx.capability).fan_out
    assert target is not None, "only dispatched for a capability that declares fan_out"
    return await fan_out_items(ctx, target, params.items)
