"""Shopify: listing a catalog against the sandbox's cost bucket, on virtual time.

listing  — every product page by page through Hub.execute at the Standard (100 pts/s, bucket
           2,000) and Plus (1,000 pts/s, bucket 20,000) rates: virtual seconds against the
           bucket's minimum (points actually served − bucket) ÷ restore rate, and THROTTLED count;
bulk     — the same catalog by bulkOperationRunQuery: start, poll as the handle says, stream
           the JSONL; virtual seconds against the paginated listing (the sandbox models a bulk
           query at 2,000 objects/s — an assumption, not a Shopify figure);
memory   — tracemalloc peak while streaming a 100,000-line JSONL result through the plugin's
           reader (core's fusionhub.jsonl lines, children joined by __parentId), against the size of the file.

  python -m bench.shopify_listing [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import AsyncIterator

import httpx

from bench import Row
from fusionhub.clock import VirtualClock
from fusionhub.testing.harness import SandboxRun, sandbox_run
from fusionhub_shopify import plugin
from fusionhub_shopify.ops import bulk
from fusionhub_shopify.sandbox import ShopifySandbox


def _sandbox(run: SandboxRun) -> ShopifySandbox:
    assert isinstance(run.sandbox, ShopifySandbox)
    return run.sandbox


async def _list_all(run: SandboxRun) -> int:
    return sum([1 async for _ in run.hub.iterate(run.store, "list_products", {"limit": 250})])


def listing(products: int, plan: str) -> tuple[Row, float]:
    run = sandbox_run("shopify", options={"plan": plan, "products": products, "orders": 0, "variants_per_product": 3})
    started = time.perf_counter()

    async def main() -> int:
        try:
            return await _list_all(run)
        finally:
            await run.aclose()

    count = run.clock.run(main())
    sandbox = _sandbox(run)
    assert count == products
    note = (
        f"{count:,} products, {len(sandbox.requests)} requests, THROTTLED {sandbox.throttled}, "
        f"wall {time.perf_counter() - started:.0f} s"
    )
    row = Row(
        f"list {products:,} products, {plan} (virtual s)", sandbox.minimum_seconds(), run.clock.elapsed, "s", note
    )
    return row, run.clock.elapsed


def bulk_export(products: int, paginated_seconds: float) -> Row:
    run = sandbox_run(
        "shopify", options={"plan": "standard", "products": products, "orders": 0, "variants_per_product": 3}
    )

    async def main() -> tuple[int, int]:
        try:
            handle = (await run.execute("bulk_operations", {"kind": "export_products"})).value
            polls = 0
            while not handle.finished:
                await run.clock.sleep(handle.poll_after_seconds)
                handle = await plugin.fusionhub_poll_operation(ctx=run.ctx, handle=handle)
                polls += 1
            count = 0
            async for _product in bulk.exported_products(run.ctx, handle):
                count += 1
            return count, polls
        finally:
            await run.aclose()

    count, polls = run.clock.run(main())
    assert count == products
    note = f"{count:,} products, {polls} polls, {len(_sandbox(run).requests)} requests; sandbox bulk rate is modelled"
    return Row(
        f"bulk export {products:,} products vs paginated, standard (virtual s)",
        paginated_seconds,
        run.clock.elapsed,
        "s",
        note,
    )


def memory(lines: int) -> Row:
    template = json.dumps(
        {
            "id": "gid://shopify/ProductVariant/{n}",
            "sku": "SKU-{n}",
            "price": "19.99",
            "__parentId": "gid://shopify/Product/{p}",
        }
    )
    parent = json.dumps({"id": "gid://shopify/Product/{p}", "title": "Product {p}", "status": "ACTIVE"})

    def line(n: int) -> str:
        p = n // 4
        text = parent if n % 4 == 0 else template
        return text.replace("{n}", str(n)).replace("{p}", str(p)) + "\n"

    size = sum(len(line(n)) for n in range(lines))

    async def body() -> AsyncIterator[bytes]:
        for n in range(lines):
            yield line(n).encode()

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body()))

    async def main() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=transport) as client:
            tracemalloc.start()
            records = 0
            async for _record in bulk.download(client, "https://storage.example/result.jsonl"):
                records += 1
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return records, peak

    records, peak = VirtualClock().run(main())
    note = f"{lines:,} lines, {records:,} records joined; baseline = the JSONL's size"
    return Row(f"stream a {lines:,}-line JSONL (MB)", size / 1e6, peak / 1e6, "MB", note)


def rows(quick: bool) -> list[Row]:
    products = 2_000 if quick else 20_000
    standard, paginated = listing(products, "standard")
    plus, _ = listing(products, "plus")
    return [standard, plus, bulk_export(products, paginated), memory(10_000 if quick else 100_000)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.shopify_listing")
    parser.add_argument("--quick", action="store_true")
    for row in rows(parser.parse_args().quick):
        figures = f"baseline {row.baseline:,.2f} {row.unit}, ours {row.ours:,.2f} {row.unit}, ratio {row.ratio:.4f}"
        print(f"{row.scenario}: {figures} — {row.note}")
