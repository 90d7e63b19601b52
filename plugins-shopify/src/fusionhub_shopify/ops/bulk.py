"""Bulk operations: run a query or a mutation on Shopify's side, poll it, stream its JSONL.

Nothing here sleeps: starting returns an OperationHandle, `poll` returns it updated with the
wait before the next poll, and the runtime re-schedules. A bulk update may need two mutations
(product fields, variant prices); Shopify runs one bulk mutation at a time, so the second is
uploaded up front and started by the poll that sees the first complete.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import httpx

from fusionhub.plugin import (
    OUTCOME_UNKNOWN,
    BulkResult,
    IncompleteResult,
    OperationHandle,
    OperationStatus,
    Order,
    PlatformError,
    Product,
    Record,
    StoreContext,
    ValidationError,
    bulk_summary,
    download_lines,
    field_errors,
    hookimpl,
    nested,
    tally_lines,
    upload_lines,
)
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute
from fusionhub_shopify.documents import bulk_document
from fusionhub_shopify.ids import gid, kind_of
from fusionhub_shopify.mapping import orders as om
from fusionhub_shopify.mapping import products as pm
from fusionhub_shopify.mapping.operations import FIRST_POLL, handle_from
from fusionhub_shopify.ops import products, shop
from fusionhub_shopify.responses import payload

FILE = "bulk_op_vars.jsonl"
EXPORTS = {p.BulkOperationKind.EXPORT_PRODUCTS: "ExportProducts", p.BulkOperationKind.EXPORT_ORDERS: "ExportOrders"}
UNKNOWN = OUTCOME_UNKNOWN  # an item whose result line is missing: the mutation may or may not have been applied


def records(objects: AsyncIterable[dict[str, Any]]) -> AsyncIterator[Record]:
    """A bulk result's objects, each nested line after its root (it names it in `__parentId`)."""
    return nested(objects, parent_key="__parentId", kind=kind_of, platform="shopify")


def download(client: httpx.AsyncClient, url: str, expected: int | None = None) -> AsyncIterator[Record]:
    """The records at a result's signed storage URL (no shop token goes there), streamed."""
    return records(download_lines(client, url, operation="bulk_result", platform="shopify", expected=expected))


async def start_query(ctx: StoreContext, kind: p.BulkOperationKind) -> OperationHandle:
    query = bulk_document(EXPORTS[kind]).text
    data = await execute(ctx, "BulkOperationRunQuery", {"query": query})
    op = payload(data, "bulkOperationRunQuery")["bulkOperation"]
    return handle_from(op, "bulk_query", {"export": kind.value})


# --- bulk mutations ---------------------------------------------------------------------------


async def _variables(ctx: StoreContext, items: list[p.UpdateProductParams]) -> dict[str, list[tuple[int, Any]]]:
    """Per bulk mutation, the (item index, JSONL variables) it runs."""
    stages: dict[str, list[tuple[int, Any]]] = {"UpdateProduct": [], "UpdateVariants": []}
    for index, item in enumerate(items):
        product_id = gid("Product", item.product_id)
        fields = pm.update_input(product_id, item.changes)
        if fields is not None:
            stages["UpdateProduct"].append((index, {"product": fields}))
        current = await products.fetch(ctx, product_id) if item.changes.price is not None else None
        variants = pm.variant_updates(current, item)
        if variants:
            stages["UpdateVariants"].append((index, {"productId": product_id, "variants": variants}))
    return {name: lines for name, lines in stages.items() if lines}


async def _upload(ctx: StoreContext, lines: list[tuple[int, Any]]) -> str:
    """stagedUploadsCreate, then the JSONL of variables to the target it names; returns the stagedUploadPath."""
    staged = {"resource": "BULK_MUTATION_VARIABLES", "filename": FILE, "mimeType": "text/jsonl", "httpMethod": "POST"}
    target = payload(await execute(ctx, "StagedUploadsCreate", {"input": [staged]}), "stagedUploadsCreate")
    spot = target["stagedTargets"][0]
    form = {param["name"]: param["value"] for param in spot["parameters"]}
    if "key" not in form:
        raise PlatformError("the staged upload target named no key", platform="shopify")
    variables = [v for _, v in lines]
    await upload_lines(
        ctx.http, spot["url"], variables, fields=form, filename=FILE, operation="staged_upload", platform="shopify"
    )
    return str(form["key"])


async def _run_mutation(ctx: StoreContext, stage: dict[str, Any], state: dict[str, Any]) -> OperationHandle:
    variables = {
        "mutation": bulk_document(stage["mutation"]).text,
        "stagedUploadPath": stage["path"],
        "clientIdentifier": stage["mutation"],
    }
    op = payload(await execute(ctx, "BulkOperationRunMutation", variables), "bulkOperationRunMutation")["bulkOperation"]
    return handle_from(op, "bulk_mutation", {**state, "stage": stage, "interval": FIRST_POLL})


async def start_update(ctx: StoreContext, items: list[p.UpdateProductParams]) -> OperationHandle:
    stages = []
    for mutation, lines in (await _variables(ctx, items)).items():
        stages.append({"mutation": mutation, "path": await _upload(ctx, lines), "items": [i for i, _ in lines]})
    if not stages:
        raise ValidationError(errors=[{"loc": "items", "msg": "nothing to change"}], platform="shopify")
    state = {"total": len(items), "pending": stages[1:], "failed": {}, "unknown": []}
    return await _run_mutation(ctx, stages[0], state)


@hookimpl
async def bulk_update(ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
    """Starts the bulk mutation(s) and returns at once; the outcome arrives with the polled handle."""
    handle = await start_update(ctx, params.items)
    return BulkResult(total=len(params.items), succeeded=0, failed=0, items=[], operation=handle)


def _failures(data: Any) -> list[str]:
    """A result line's userErrors as messages; none when its mutation succeeded."""
    result = next(iter(data.values()), None) if isinstance(data, dict) else None
    if not isinstance(result, dict):
        return ["no result"]
    return [f"{e['loc']}: {e['msg']}" for e in field_errors(result.get("userErrors"))]


async def _tally(ctx: StoreContext, handle: OperationHandle) -> dict[str, Any]:
    """Read a finished mutation's JSONL (line n is for the stage's item n) into the outcomes so far;
    a line missing from a result that stayed incomplete when downloaded again is an unknown outcome."""
    lines: dict[int, list[str]] = {}
    url, count = _result(handle)
    with contextlib.suppress(IncompleteResult):  # what was read is known
        if url:
            async for obj in download_lines(ctx.http, url, operation="bulk_result", expected=count):
                lines[int(obj.get("__lineNumber", -1))] = _failures(obj.get("data"))
    return tally_lines(handle.state, handle.state["stage"]["items"], lines)


@hookimpl
async def poll(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    """One look at the operation; a finished stage of a bulk update starts the next one."""
    data = await execute(ctx, "BulkOperation", {"id": handle.operation_id})
    if data.get("node") is None:
        raise PlatformError(f"Shopify knows no bulk operation {handle.operation_id}", platform="shopify")
    updated = handle_from(data["node"], handle.kind, dict(handle.state))
    if handle.kind != "bulk_mutation" or updated.status is not OperationStatus.COMPLETED:
        return updated
    state = await _tally(ctx, updated)
    if state["pending"]:
        return await _run_mutation(ctx, state["pending"][0], {**state, "pending": state["pending"][1:]})
    result = {**(updated.result or {}), **bulk_summary(state, state["total"])}
    return updated.model_copy(update={"result": result, "state": state})


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return await poll(ctx, params.handle)
    if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS:
        return await start_update(ctx, params.items)
    return await start_query(ctx, params.kind)


def _result(handle: OperationHandle) -> tuple[str, int | None]:
    """A finished operation's result URL ("" when it wrote no line) and the object count Shopify reported."""
    result = handle.result or {}
    return result.get("url") or "", result.get("object_count")


async def exported_products(ctx: StoreContext, handle: OperationHandle) -> AsyncIterator[Product]:
    """The products of a finished export, streamed from its JSONL (one product in memory at a time)."""
    currency = await shop.currency(ctx)
    async for record in download(ctx.http, *_finished(handle)):
        yield pm.product_from(record.node, record.of_type("ProductVariant"), currency)


async def exported_orders(ctx: StoreContext, handle: OperationHandle) -> AsyncIterator[Order]:
    """The orders of a finished export with their line items, streamed like products."""
    async for record in download(ctx.http, *_finished(handle)):
        yield om.order_from(record.node, record.of_type("LineItem"))


def _finished(handle: OperationHandle) -> tuple[str, int | None]:
    url, count = _result(handle)
    if handle.status is not OperationStatus.COMPLETED or not url:
        raise PlatformError("the bulk operation has no result to read yet", platform="shopify")
    return url, count
