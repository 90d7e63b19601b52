"""Bulk operations: start, poll without sleeping, stream the JSONL result in constant memory."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from shopify_helpers import drive, sandbox_of

from fusionhub import PlatformError, ValidationError, VirtualClock
from fusionhub.models import OperationHandle, OperationStatus
from fusionhub.params import ListProductsParams
from fusionhub.plugin import Record
from fusionhub.testing.harness import SandboxRun
from fusionhub_shopify import plugin
from fusionhub_shopify.ops import bulk
from fusionhub_shopify.ops import products as products_ops


async def _objects(lines: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for line in lines:
        yield dict(line)


def collect(lines: list[dict[str, Any]]) -> list[Record]:
    async def main() -> list[Record]:
        return [r async for r in bulk.records(_objects(lines))]

    return VirtualClock().run(main())


def test_children_join_their_parent_by_parent_id() -> None:
    lines = [
        {"id": "gid://shopify/Product/1", "title": "A"},
        {"id": "gid://shopify/ProductVariant/11", "__parentId": "gid://shopify/Product/1"},
        {"id": "gid://shopify/ProductVariant/12", "__parentId": "gid://shopify/Product/1"},
        {"id": "gid://shopify/InventoryLevel/5", "__parentId": "gid://shopify/ProductVariant/12"},
        {"id": "gid://shopify/Product/2", "title": "B"},
    ]
    first, second = collect(lines)
    assert first.node == {"id": "gid://shopify/Product/1", "title": "A"}
    assert [v["id"] for v in first.of_type("ProductVariant")] == [
        "gid://shopify/ProductVariant/11",
        "gid://shopify/ProductVariant/12",
    ]
    assert [c["id"] for c in first.of_type("InventoryLevel")] == ["gid://shopify/InventoryLevel/5"]
    assert second.node["title"] == "B" and second.children == {}


def test_a_child_without_its_parent_is_an_error() -> None:
    with pytest.raises(PlatformError):
        collect([{"id": "gid://shopify/ProductVariant/1", "__parentId": "gid://shopify/Product/9"}])


def test_records_are_yielded_while_the_stream_is_still_being_read() -> None:
    consumed = []

    async def source() -> AsyncIterator[dict[str, Any]]:
        for n in range(1, 1000):
            consumed.append(n)
            yield {"id": f"gid://shopify/Product/{n}"}

    async def main() -> int:
        async for _record in bulk.records(source()):
            return len(consumed)
        return -1

    assert VirtualClock().run(main()) == 2  # the first record is complete once the second root begins


def test_streaming_a_large_result_keeps_memory_flat() -> None:
    line = json.dumps({"id": "gid://shopify/Product/{n}", "title": "x" * 200, "tags": ["a", "b"]})

    async def body() -> AsyncIterator[bytes]:
        for n in range(50_000):
            yield (line.replace("{n}", str(n)) + "\n").encode()

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body()))

    async def main() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=transport) as client:
            tracemalloc.start()
            count = 0
            async for _record in bulk.download(client, "https://storage.example/result.jsonl"):
                count += 1
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return count, peak

    count, peak = VirtualClock().run(main())
    assert count == 50_000
    assert peak < 2_000_000, f"peak {peak} bytes while streaming ~{50_000 * len(line) // 1_000_000} MB"


# --- against the sandbox ----------------------------------------------------------------------


async def until_finished(run: SandboxRun, handle: OperationHandle) -> tuple[OperationHandle, int]:
    """Poll as the runtime would: wait what the handle says (on the clock), poll again."""
    polls = 0
    while not handle.finished:
        await run.clock.sleep(handle.poll_after_seconds)
        handle = await plugin.fusionhub_poll_operation(ctx=run.ctx, handle=handle)
        polls += 1
    return handle, polls


def test_export_products_streams_every_product_with_its_variants(shop: Callable[..., SandboxRun]) -> None:
    run = shop(products=40, variants_per_product=3)
    sandbox = sandbox_of(run)

    async def body(run: SandboxRun) -> tuple[OperationHandle, list[Any], list[Any]]:
        handle = (await run.execute("bulk_operations", {"kind": "export_products"})).value
        assert handle.status is OperationStatus.RUNNING and handle.poll_after_seconds > 0
        before = run.clock.elapsed
        again = await plugin.fusionhub_poll_operation(ctx=run.ctx, handle=handle)
        assert run.clock.elapsed - before < 0.5, "a poll never sleeps"
        assert again.status is OperationStatus.RUNNING
        done, _ = await until_finished(run, again)
        products = [p async for p in bulk.exported_products(run.ctx, done)]
        listed = [p async for p in products_ops.stream_products(run.ctx, ListProductsParams(limit=250))]
        return done, products, listed

    done, products, listed = drive(run, body)
    assert done.status is OperationStatus.COMPLETED
    assert done.result is not None and done.result["object_count"] == 40 * 4 and done.result["root_object_count"] == 40
    assert len(products) == 40 and all(len(p.variants) == 3 for p in products)
    assert sorted(p.model_dump_json() for p in products) == sorted(p.model_dump_json() for p in listed)
    finish = [d for d in sandbox.deliveries if d.headers["X-Shopify-Topic"] == "bulk_operations/finish"]
    assert finish == []  # nobody subscribed


def test_one_bulk_query_at_a_time(shop: Callable[..., SandboxRun]) -> None:
    run = shop(products=5)

    async def body(run: SandboxRun) -> None:
        await run.execute("bulk_operations", {"kind": "export_orders"})
        with pytest.raises(ValidationError, match="already in progress"):
            await run.execute("bulk_operations", {"kind": "export_products"})

    drive(run, body)


def test_bulk_update_runs_product_and_price_mutations_and_reports_each_item(shop: Callable[..., SandboxRun]) -> None:
    run = shop(products=4, variants_per_product=2)
    sandbox = sandbox_of(run)
    ids = [p["id"] for p in sandbox.state.products.values()]
    items = [
        {"product_id": ids[0], "changes": {"title": "Renamed"}},
        {"product_id": ids[1], "changes": {"price": {"amount": "9.99", "currency": "USD"}}},
        {"product_id": ids[2], "changes": {"title": "Both", "price": {"amount": "1.00", "currency": "USD"}}},
        {"product_id": "gid://shopify/Product/999999", "changes": {"vendor": "Nobody"}},
    ]

    async def body(run: SandboxRun) -> tuple[Any, OperationHandle, int]:
        started = (await run.execute("bulk_update", {"items": items})).value
        assert started.total == 4 and started.operation.status is OperationStatus.RUNNING
        done, polls = await until_finished(run, started.operation)
        return started, done, polls

    _started, done, polls = drive(run, body)
    assert done.status is OperationStatus.COMPLETED and polls >= 2
    assert done.result is not None
    assert (done.result["succeeded"], done.result["failed"]) == (3, 1)
    assert done.result["errors"] == [{"index": 3, "errors": ["id: Product does not exist"]}]
    products = sandbox.state.products
    assert products[int(ids[0].rsplit("/", 1)[1])]["title"] == "Renamed"
    assert {v["price"] for v in products[int(ids[1].rsplit("/", 1)[1])]["_variants"]} == {"9.99"}
    both = products[int(ids[2].rsplit("/", 1)[1])]
    assert both["title"] == "Both" and {v["price"] for v in both["_variants"]} == {"1.00"}
    uploads = [r for r in sandbox.requests if r.url.host.startswith("uploads.")]
    assert len(uploads) == 2 and all("x-shopify-access-token" not in r.headers for r in uploads)


def test_polling_an_unknown_operation_is_an_error(shop: Callable[..., SandboxRun]) -> None:
    run = shop(products=1)
    handle = OperationHandle(operation_id="gid://shopify/BulkOperation/424242", kind="bulk_query")

    async def body(run: SandboxRun) -> None:
        with pytest.raises(PlatformError):
            await run.execute("bulk_operations", {"handle": handle.model_dump()})

    drive(run, body)


def test_export_orders_streams_orders_with_their_lines(shop: Callable[..., SandboxRun]) -> None:
    run = shop(products=10, orders=15)
    sandbox = sandbox_of(run)

    async def body(run: SandboxRun) -> list[Any]:
        handle = (await run.execute("bulk_operations", {"kind": "export_orders"})).value
        done, _ = await until_finished(run, handle)
        return [o async for o in bulk.exported_orders(run.ctx, done)]

    orders = drive(run, body)
    expected = {o["id"]: len(o["_lines"]) for o in sandbox.state.orders.values()}
    assert {o.id: len(o.lines) for o in orders} == expected
    assert all(o.platform == "shopify" and o.total is not None for o in orders)
