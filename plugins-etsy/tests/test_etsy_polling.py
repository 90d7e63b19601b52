"""Events by polling: every change to receipts and listings exactly once, none lost, none repeated."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fusionhub.models import EventBatch, EventSource, EventType


async def poll(run: Any, cursor: str | None) -> EventBatch:
    impl = run.registry.impl("etsy", "fusionhub_poll_events")
    batch: EventBatch = await impl(ctx=run.ctx, cursor=cursor)
    return batch


def test_each_receipt_change_is_reported_once(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()

    async def main() -> list[list[tuple[str, str | None]]]:
        rounds = []
        batch = await poll(run, None)  # the seed is a day old: nothing in the last interval
        rounds.append([(e.type.value, e.resource_id) for e in batch.events])
        receipt = run.sandbox.add_receipt()
        batch = await poll(run, batch.cursor)
        rounds.append([(e.type.value, e.resource_id) for e in batch.events])
        batch = await poll(run, batch.cursor)
        rounds.append([(e.type.value, e.resource_id) for e in batch.events])
        await run.clock.sleep(300)
        run.sandbox.ship(receipt["receipt_id"])
        batch = await poll(run, batch.cursor)
        rounds.append([(e.type.value, e.resource_id) for e in batch.events])
        assert all(e.source is EventSource.POLLING and e.platform == "etsy" for e in batch.events)
        return rounds

    rounds = run.clock.run(main())
    rid = str(max(run.sandbox.world.receipts))
    assert rounds == [[], [("order.created", rid)], [], [("order.updated", rid)]]


def test_a_change_in_the_same_second_as_the_cursor_is_not_lost(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()

    async def main() -> tuple[EventBatch, EventBatch]:
        run.sandbox.add_receipt()
        first = await poll(run, None)
        run.sandbox.add_receipt()  # same virtual second as the one just reported
        return first, await poll(run, first.cursor)

    first, second = run.clock.run(main())
    assert len(first.events) == 1 and len(second.events) == 1
    assert first.events[0].resource_id != second.events[0].resource_id


def test_hundreds_of_changes_page_through_without_gaps_or_repeats(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()

    async def main() -> list[str]:
        batch = await poll(run, None)
        for i in range(250):  # 150 of them in one second: more than a page at one timestamp
            if i >= 100:
                run.sandbox.add_receipt()
            else:
                await run.clock.sleep(1)
                run.sandbox.add_receipt()
        batch = await poll(run, batch.cursor)
        again = await poll(run, batch.cursor)
        assert again.events == []
        return [e.delivery_id for e in batch.events]

    deliveries = run.clock.run(main())
    assert len(deliveries) == len(set(deliveries)) == 250


def test_orders_arriving_and_shipping_over_an_hour_polled_every_300_s(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(order_every=45.0, ship_after=400.0)

    async def main() -> list[str]:
        seen: list[str] = []
        cursor = (await poll(run, None)).cursor
        for _ in range(12):
            await run.clock.sleep(300)
            batch = await poll(run, cursor)
            seen += [e.delivery_id for e in batch.events]
            cursor = batch.cursor
        return seen

    seen = run.clock.run(main())
    assert max(Counter(seen).values()) == 1
    start = run.clock.start
    receipts = [r for r in run.sandbox.world.receipts.values() if r["created_timestamp"] > start]
    shipped = [r for r in receipts if r["is_shipped"]]
    # ship_after (400 s) > the polling interval: each receipt is seen created, then seen shipped.
    reported = {d.split(":")[2] for d in seen}
    assert reported == {str(r["receipt_id"]) for r in receipts}
    assert shipped and len(seen) == len(receipts) + len(shipped)


def test_listing_changes_become_product_events(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))

    async def main() -> list[tuple[EventType, str | None]]:
        cursor = (await poll(run, None)).cursor
        await run.clock.sleep(5)
        await run.execute("update_product", {"product_id": listing_id, "changes": {"title": "Polled"}})
        batch = await poll(run, cursor)
        return [(e.type, e.resource_id) for e in batch.events if e.topic and e.topic.startswith("listing")]

    assert run.clock.run(main()) == [(EventType.PRODUCT_UPDATED, listing_id)]
