"""Truncated bulk results: a result cut mid-line or short of its objectCount is never taken for the whole.

A bulk mutation's items are reported from what was read: a re-download recovers a cut once; an
item still without a line is "outcome unknown", neither succeeded nor failed. An export that stays
short raises instead of ending as complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from shopify_helpers import drive, sandbox_of
from test_shopify_bulk import until_finished

from fusionhub.models import OperationHandle, OperationStatus
from fusionhub.plugin import IncompleteResult
from fusionhub.testing.harness import SandboxRun
from fusionhub_shopify.ops import bulk
from fusionhub_shopify.sandbox.bulk import RESULTS_HOST


def _renames(run: SandboxRun, count: int) -> list[dict[str, Any]]:
    ids = [p["id"] for p in sandbox_of(run).state.products.values()][:count]
    return [{"product_id": pid, "changes": {"title": f"Renamed {n}"}} for n, pid in enumerate(ids)]


def _bulk_update(run: SandboxRun, items: list[dict[str, Any]], fault: str | None, times: int) -> OperationHandle:
    async def body(run: SandboxRun) -> OperationHandle:
        if fault:
            run.sandbox.faults.inject(fault, times, on="bulk_result")  # type: ignore[attr-defined]
        started = (await run.execute("bulk_update", {"items": items})).value
        done, _ = await until_finished(run, started.operation)
        return done

    return drive(run, body)


def _downloads(run: SandboxRun) -> int:
    return sum(1 for r in sandbox_of(run).requests if r.url.host == RESULTS_HOST)


@pytest.mark.parametrize("fault", ["cut_line", "short"])
def test_a_result_truncated_once_is_downloaded_again_and_every_item_is_known(
    shop: Callable[..., SandboxRun], fault: str
) -> None:
    run = shop(products=5)
    done = _bulk_update(run, _renames(run, 5), fault, times=1)
    assert done.status is OperationStatus.COMPLETED and done.result is not None
    assert (done.result["succeeded"], done.result["failed"], done.result["unknown"]) == (5, 0, 0)
    assert done.result["errors"] == []
    assert _downloads(run) == 2


@pytest.mark.parametrize("fault", ["cut_line", "short"])
def test_an_item_whose_line_stays_missing_is_outcome_unknown_not_failed(
    shop: Callable[..., SandboxRun], fault: str
) -> None:
    run = shop(products=5)
    done = _bulk_update(run, _renames(run, 5), fault, times=2)
    assert done.result is not None
    assert (done.result["succeeded"], done.result["failed"], done.result["unknown"]) == (4, 0, 1)
    [unknown] = done.result["errors"]
    assert unknown["index"] == 4 and unknown["category"] == bulk.UNKNOWN
    assert "outcome unknown" in unknown["errors"][0]
    assert _downloads(run) == 2  # re-downloaded once, not more
    titles = {p["title"] for p in sandbox_of(run).state.products.values()}
    assert {f"Renamed {n}" for n in range(5)} <= titles  # every item was applied: none may be reported failed


def test_a_real_failure_stays_failed_beside_an_unknown_item(shop: Callable[..., SandboxRun]) -> None:
    run = shop(products=3)
    items = [*_renames(run, 3), {"product_id": "gid://shopify/Product/999999", "changes": {"vendor": "Nobody"}}]
    items.append(_renames(run, 1)[0])
    done = _bulk_update(run, items, "short", times=2)
    assert done.result is not None
    assert (done.result["succeeded"], done.result["failed"], done.result["unknown"]) == (3, 1, 1)
    assert [(e["index"], e.get("category")) for e in done.result["errors"]] == [(3, None), (4, bulk.UNKNOWN)]


@pytest.mark.parametrize("fault", ["cut_line", "short"])
def test_an_export_short_of_its_object_count_does_not_end_as_complete(
    shop: Callable[..., SandboxRun], fault: str
) -> None:
    run = shop(products=30, variants_per_product=1)

    async def body(run: SandboxRun) -> tuple[list[Any], IncompleteResult | None, list[Any]]:
        handle = (await run.execute("bulk_operations", {"kind": "export_products"})).value
        done, _ = await until_finished(run, handle)
        run.sandbox.faults.inject(fault, 2, on="bulk_result")  # type: ignore[attr-defined]
        read: list[Any] = []
        error = None
        try:
            async for product in bulk.exported_products(run.ctx, done):
                read.append(product)
        except IncompleteResult as exc:
            error = exc
        run.sandbox.faults.inject(fault, 1, on="bulk_result")  # type: ignore[attr-defined]
        again = [p async for p in bulk.exported_products(run.ctx, done)]
        return read, error, again

    read, error, again = drive(run, body)
    assert error is not None and error.expected == 60 and error.read < 60
    assert len(read) < 30  # what was read is yielded, but the reader is told it is not all
    assert len(again) == 30  # truncated once: the second download completes it, each product once
    assert len({p.id for p in again}) == 30
