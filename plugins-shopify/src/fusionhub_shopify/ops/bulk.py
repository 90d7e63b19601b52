"""Bulk operations: run a query or a mutation on Shopify's side, poll it, stream its JSONL.

Nothing here sleeps: starting returns an OperationHandle, `poll` returns it updated with the
wait before the next poll, and the runtime re-schedules. A bulk update may need two mutations
(product fields, variant prices); Shopify runs one bulk mutation at a time, so the second is
uploaded up front and started by the poll that sees the first complete.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from fusionhub.plugin import (
    BulkResult,
    OperationHandle,
    OperationStatus,
    Order,
    PlatformError,
    Product,
    Record,
    StoreContext,
    ValidationError,
    download_lines,
    hookimpl,
    meta,
    nested,
)
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute
from fusionhub_shopify.documents import bulk_document
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping import orders as om
from fusionhub_shopify.mapping import products as pm
from fusionhub_shopify.ops import products, shop
from fusionhub_shopify.responses import payload

# Shopify's statuses are ours by name, but for two
STATUS = {**OperationStatus.__members__, "CANCELING": OperationStatus.RUNNING, "EXPIRED": OperationStatus.FAILED}
EXPORTS = {p.BulkOperationKind.EXPORT_PRODUCTS: "ExportProducts", p.BulkOperationKind.EXPORT_ORDERS: "ExportOrders"}
FIRST_POLL, MAX_POLL = 1.0, 15.0
MAX_ERRORS = 100  # per-item errors kept in a finished handle


def _type_of(node: dict[str, Any]) -> str:
    """gid://shopify/ProductVariant/1 → ProductVariant."""
    parts = str(node.get("id", "")).split("/")
    return parts[3] if len(parts) > 4 else "Object"


def records(objects: AsyncIterable[dict[str, Any]]) -> AsyncIterator[Record]:
    """A bulk result's objects, each nested line after its root (it names it in `__parentId`)."""
    return nested(objects, parent_key="__parentId", kind=_type_of, platform="shopify")


def download(client: httpx.AsyncClient, url: str) -> AsyncIterator[Record]:
    """The records at a result's signed storage URL (no shop token goes there), streamed."""
    return records(download_lines(client, url, operation="bulk_result", platform="shopify"))


def _handle(op: dict[str, Any], kind: str, state: dict[str, Any]) -> OperationHandle:
    status = STATUS.get(str(op.get("status")), OperationStatus.RUNNING)
    interval = float(state.get("interval", FIRST_POLL))
    created = op.get("createdAt")
    error = op.get("errorCode") or ("expired" if op.get("status") == "EXPIRED" else None)
    count = int(op.get("objectCount") or 0)
    return OperationHandle(
        operation_id=op["id"],
        kind=kind,
        status=status,
        poll_after_seconds=interval,
        done=count,
        result={
            "url": op.get("url"),
            "partial_data_url": op.get("partialDataUrl"),
            "object_count": count,
            "root_object_count": int(op.get("rootObjectCount") or 0),
        },
        error=str(error).lower() if error and status is OperationStatus.FAILED else None,
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        state={**state, "interval": min(MAX_POLL, interval * 2)},
    )


async def start_query(ctx: StoreContext, kind: p.BulkOperationKind) -> OperationHandle:
    query = bulk_document(EXPORTS[kind]).text
    data = await execute(ctx, "BulkOperationRunQuery", {"query": query})
    op = payload(data, "bulkOperationRunQuery")["bulkOperation"]
    return _handle(op, "bulk_query", {"export": kind.value})


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
        variants = products.variant_updates(current, item)
        if variants:
            stages["UpdateVariants"].append((index, {"productId": product_id, "variants": variants}))
    return {name: lines for name, lines in stages.items() if lines}


async def _upload(ctx: StoreContext, lines: list[tuple[int, Any]]) -> str:
    """stagedUploadsCreate, then the multipart POST of the JSONL; returns the stagedUploadPath."""
    body = "".join(json.dumps(v, separators=(",", ":")) + "\n" for _, v in lines).encode()
    staged = {
        "resource": "BULK_MUTATION_VARIABLES",
        "filename": "bulk_op_vars.jsonl",
        "mimeType": "text/jsonl",
        "httpMethod": "POST",
    }
    target = payload(await execute(ctx, "StagedUploadsCreate", {"input": [staged]}), "stagedUploadsCreate")
    spot = target["stagedTargets"][0]
    form = {param["name"]: param["value"] for param in spot["parameters"]}
    response = await ctx.http.post(
        spot["url"],
        data=form,
        files={"file": ("bulk_op_vars.jsonl", io.BytesIO(body), "text/jsonl")},
        extensions=meta(cost=0, operation="staged_upload", retry=False),
    )
    if response.status_code not in (200, 201, 204):
        raise PlatformError(f"the staged upload answered {response.status_code}", platform="shopify")
    if "key" not in form:
        raise PlatformError("the staged upload target named no key", platform="shopify")
    return str(form["key"])


async def _run_mutation(ctx: StoreContext, stage: dict[str, Any], state: dict[str, Any]) -> OperationHandle:
    variables = {
        "mutation": bulk_document(stage["mutation"]).text,
        "stagedUploadPath": stage["path"],
        "clientIdentifier": stage["mutation"],
    }
    op = payload(await execute(ctx, "BulkOperationRunMutation", variables), "bulkOperationRunMutation")["bulkOperation"]
    return _handle(op, "bulk_mutation", {**state, "stage": stage, "interval": FIRST_POLL})


async def start_update(ctx: StoreContext, items: list[p.UpdateProductParams]) -> OperationHandle:
    stages = []
    for mutation, lines in (await _variables(ctx, items)).items():
        stages.append({"mutation": mutation, "path": await _upload(ctx, lines), "items": [i for i, _ in lines]})
    if not stages:
        raise ValidationError(errors=[{"loc": "items", "msg": "nothing to change"}], platform="shopify")
    state = {"total": len(items), "pending": stages[1:], "failed": {}}
    return await _run_mutation(ctx, stages[0], state)


@hookimpl
async def bulk_update(ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
    """Starts the bulk mutation(s) and returns at once; the outcome arrives with the polled handle."""
    handle = await start_update(ctx, params.items)
    return BulkResult(total=len(params.items), succeeded=0, failed=0, items=[], operation=handle)


def _failures(data: Any) -> list[str]:
    """A result line's userErrors as messages; none when its mutation succeeded."""
    result = next(iter(data.values()), None) if isinstance(data, dict) else None
    errors = result.get("userErrors") or [] if isinstance(result, dict) else []
    if errors or result is None:
        return [f"{'.'.join(e.get('field') or ())}: {e.get('message')}" for e in errors] or ["no result"]
    return []


async def _tally(ctx: StoreContext, handle: OperationHandle) -> dict[str, Any]:
    """Read a finished mutation's JSONL: which items failed, with their userErrors."""
    failed: dict[str, list[str]] = {k: list(v) for k, v in handle.state["failed"].items()}
    url = (handle.result or {}).get("url")
    lines = (
        {int(r.node.get("__lineNumber", -1)): _failures(r.node.get("data")) async for r in download(ctx.http, url)}
        if url
        else {}
    )
    for line, index in enumerate(handle.state["stage"]["items"]):
        messages = lines.get(line, ["no result line"])  # no line: the mutation never ran for this item
        if messages:
            failed.setdefault(str(index), []).extend(messages)
    return {**handle.state, "failed": failed}


def _summary(state: dict[str, Any]) -> dict[str, Any]:
    failed: dict[str, list[str]] = state["failed"]
    errors = [{"index": int(i), "errors": msgs} for i, msgs in sorted(failed.items(), key=lambda kv: int(kv[0]))]
    return {
        "total": state["total"],
        "succeeded": state["total"] - len(failed),
        "failed": len(failed),
        "errors": errors[:MAX_ERRORS],
    }


@hookimpl
async def poll(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    """One look at the operation; a finished stage of a bulk update starts the next one."""
    data = await execute(ctx, "BulkOperation", {"id": handle.operation_id})
    if data.get("node") is None:
        raise PlatformError(f"Shopify knows no bulk operation {handle.operation_id}", platform="shopify")
    updated = _handle(data["node"], handle.kind, dict(handle.state))
    if handle.kind != "bulk_mutation" or updated.status is not OperationStatus.COMPLETED:
        return updated
    state = await _tally(ctx, updated)
    if state["pending"]:
        return await _run_mutation(ctx, state["pending"][0], {**state, "pending": state["pending"][1:]})
    return updated.model_copy(update={"result": {**(updated.result or {}), **_summary(state)}, "state": state})


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return await poll(ctx, params.handle)
    if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS:
        return await start_update(ctx, params.items)
    return await start_query(ctx, params.kind)


def _result_url(handle: OperationHandle) -> str:
    url = (handle.result or {}).get("url")
    if handle.status is not OperationStatus.COMPLETED or not url:
        raise PlatformError("the bulk operation has no result to read yet", platform="shopify")
    return str(url)


async def exported_products(ctx: StoreContext, handle: OperationHandle) -> AsyncIterator[Product]:
    """The products of a finished export, streamed from its JSONL (one product in memory at a time)."""
    url = _result_url(handle)
    currency = await shop.currency(ctx)
    async for record in download(ctx.http, url):
        yield pm.product_from(record.node, record.of_type("ProductVariant"), currency)


async def exported_orders(ctx: StoreContext, handle: OperationHandle) -> AsyncIterator[Order]:
    """The orders of a finished export with their line items, streamed like products."""
    async for record in download(ctx.http, _result_url(handle)):
        yield om.order_from(record.node, record.of_type("LineItem"))
