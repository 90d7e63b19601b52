"""What an earlier run of a write left on Gumroad (`once = "reconcile"`): Gumroad takes no
idempotency key, so a re-run after a crash or a lost answer looks before it sends again.

- create_product: the product of this name and price, completed (published) where the earlier
  run stopped. Two such products: nobody can tell which is the job's, so the job stops for a person.
- process_refund: a whole refund is there when the sale reads refunded. A partial one leaves no
  trace Gumroad reports apart from earlier partial refunds, so a re-run stops for a person.
"""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import OutcomeUnknown, Product, Refund, StoreContext, hookimpl
from fusionhub.plugin import params as p
from fusionhub_gumroad.client import call
from fusionhub_gumroad.endpoints import SLUG
from fusionhub_gumroad.mapping import cents, product
from fusionhub_gumroad.products import PUBLISHED, _publish, create_form
from fusionhub_gumroad.sales import _sale, refund_of


async def earlier_product(ctx: StoreContext, params: p.CreateProductParams) -> Product | None:
    form = create_form(params.product)
    listed = (await call(ctx, "GET", "products", operation="GET /products")).get("products") or []
    same = [r for r in listed if r.get("name") == form["name"] and r.get("price") == form["price"]]
    if len(same) > 1:
        raise OutcomeUnknown(
            f"create_product may have reached Gumroad before, and {len(same)} products are named"
            f" {form['name']!r} at this price: check them on gumroad.com, then run it again if one is missing",
            platform=SLUG,
        )
    if not same:
        return None
    found = same[0]
    if PUBLISHED[params.product.status.value] and not found.get("published"):
        found = await _publish(ctx, str(found["id"]), True)
    return product(found)


async def earlier_refund(ctx: StoreContext, params: p.ProcessRefundParams) -> Refund | None:
    sale = await _sale(ctx, "GET", params.order_id)
    if params.amount is None:
        return refund_of(ctx, sale, None) if sale.get("refunded") else None
    cents(params.amount, "params.amount")  # a bad amount is still refused as such
    raise OutcomeUnknown(
        f"a partial refund of sale {params.order_id} may have reached Gumroad before, and Gumroad does not"
        " say which refunds a sale had: check the sale on gumroad.com, then run it again if it is missing",
        platform=SLUG,
    )


@hookimpl
async def reconcile(ctx: StoreContext, capability: str, params: Any) -> Any:
    return await (earlier_product if capability == "create_product" else earlier_refund)(ctx, params)
