"""Capabilities end to end against the sandbox: what changed in the fake shop, what came back."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from shopify_helpers import drive, sandbox_of

from fusionhub import NotFound, TransientError, ValidationError
from fusionhub.models import EventType, OrderStatus, ProductStatus
from fusionhub.testing.harness import SandboxRun
from fusionhub_shopify import plugin
from fusionhub_shopify.sandbox.state import number

Shop = Callable[..., SandboxRun]


def value(run: SandboxRun, capability: str, params: dict[str, Any]) -> Any:
    return drive(run, lambda r: r.execute(capability, params)).value


def test_create_product_with_options_and_variants(shop: Shop) -> None:
    run = shop(products=0, orders=0)
    params = {
        "product": {
            "title": "Rain Jacket",
            "vendor": "North",
            "tags": ["outer"],
            "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Color", "values": ["Red"]}],
            "variants": [
                {
                    "sku": "RJ-S",
                    "price": {"amount": "80", "currency": "USD"},
                    "options": {"Size": "S", "Color": "Red"},
                    "inventory_quantity": 4,
                },
                {
                    "sku": "RJ-M",
                    "price": {"amount": "82.5", "currency": "USD"},
                    "options": {"Size": "M", "Color": "Red"},
                },
            ],
        }
    }
    product = value(run, "create_product", params)
    assert product.title == "Rain Jacket" and product.status is ProductStatus.DRAFT and product.vendor == "North"
    assert [(o.name, o.values) for o in product.options] == [("Size", ["S", "M"]), ("Color", ["Red"])]
    assert [(v.sku, str(v.price), v.options) for v in product.variants] == [
        ("RJ-S", "80.00 USD", {"Size": "S", "Color": "Red"}),
        ("RJ-M", "82.50 USD", {"Size": "M", "Color": "Red"}),
    ]
    assert product.variants[0].inventory_quantity == 4
    assert len(sandbox_of(run).state.products) == 1  # the standalone variant was replaced, not kept


def test_create_without_options_sets_the_default_variant(shop: Shop) -> None:
    run = shop(products=0, orders=0)
    product = value(
        run,
        "create_product",
        {"product": {"title": "Poster", "variants": [{"sku": "P-1", "price": {"amount": "15", "currency": "USD"}}]}},
    )
    assert product.options == [] and len(product.variants) == 1
    assert (product.variants[0].sku, str(product.variants[0].price)) == ("P-1", "15.00 USD")


def test_create_rejects_variants_that_do_not_name_every_option(shop: Shop) -> None:
    run = shop(products=0, orders=0)
    params = {
        "product": {
            "title": "Cap",
            "options": [{"name": "Size", "values": ["S"]}],
            "variants": [{"sku": "C"}, {"sku": "D", "options": {"Size": "S"}}],
        }
    }
    with pytest.raises(ValidationError) as caught:
        value(run, "create_product", params)
    assert caught.value.errors == [{"loc": "product.variants.0.options", "msg": "set a value for each of ['Size']"}]
    assert sandbox_of(run).requests == []  # refused before any request


def test_create_removes_the_product_again_when_its_variants_are_rejected(shop: Shop) -> None:
    run = shop(products=0, orders=0)
    same = {"sku": "X", "options": {"Size": "S"}}
    params = {"product": {"title": "Dup", "options": [{"name": "Size", "values": ["S"]}], "variants": [same, same]}}
    with pytest.raises(ValidationError) as caught:
        value(run, "create_product", params)
    assert caught.value.errors[0]["loc"] == "product.variants.variants.1"
    assert sandbox_of(run).state.products == {}


def test_update_changes_only_what_is_set_and_prices_every_variant(shop: Shop) -> None:
    run = shop(products=2, variants_per_product=3)
    sandbox = sandbox_of(run)
    target = next(iter(sandbox.state.products.values()))
    before = dict(target)
    product = value(
        run,
        "update_product",
        {"product_id": target["id"], "changes": {"vendor": "New", "price": {"amount": "5", "currency": "USD"}}},
    )
    assert product.vendor == "New" and product.title == before["title"]
    assert {str(v.price) for v in product.variants} == {"5.00 USD"} and len(product.variants) == 3


def test_update_of_a_variant_needs_its_id(shop: Shop) -> None:
    run = shop(products=1)
    pid = next(iter(sandbox_of(run).state.products.values()))["id"]
    with pytest.raises(ValidationError) as caught:
        value(run, "update_product", {"product_id": pid, "changes": {"variants": [{"sku": "NEW"}]}})
    assert caught.value.errors == [{"loc": "changes.variants.0.id", "msg": "an update names each variant by id"}]


def test_delete_archives_unless_permanent(shop: Shop) -> None:
    run = shop(products=2)
    first, second = (p["id"] for p in sandbox_of(run).state.products.values())

    async def body(run: SandboxRun) -> None:
        await run.execute("delete_product", {"product_id": first})
        archived = (await run.execute("get_product", {"product_id": first})).value
        assert archived.status is ProductStatus.ARCHIVED
        await run.execute("delete_product", {"product_id": second, "permanent": True})
        with pytest.raises(NotFound):
            await run.execute("get_product", {"product_id": second})

    drive(run, body)


@pytest.mark.parametrize("version", ["2025-01", "2026-04"])
def test_inventory_set_and_read_back_on_each_api_version(shop: Shop, version: str) -> None:
    run = shop(products=2, api_version=version)
    product = next(iter(sandbox_of(run).state.products.values()))
    skus = [v["sku"] for v in product["_variants"]]

    async def body(run: SandboxRun) -> Any:
        await run.execute(
            "sync_inventory", {"levels": [{"sku": sku, "quantity": 11 + i} for i, sku in enumerate(skus)]}
        )
        await run.execute(
            "update_variant_inventory", {"target": {"variant_id": product["_variants"][0]["id"], "quantity": 3}}
        )
        by_product = (await run.execute("get_inventory", {"product_id": product["id"]})).value
        by_sku = (await run.execute("get_inventory", {"skus": skus[1:]})).value
        return by_product, by_sku

    by_product, by_sku = drive(run, body)
    assert [(lvl.sku, lvl.available) for lvl in by_product.levels] == [(skus[0], 3), (skus[1], 12)]
    assert [(lvl.sku, lvl.available) for lvl in by_sku.levels] == [(skus[1], 12)]


def test_unknown_sku_is_a_validation_error_naming_the_level(shop: Shop) -> None:
    run = shop(products=1)
    with pytest.raises(ValidationError) as caught:
        value(run, "sync_inventory", {"levels": [{"sku": "NOPE", "quantity": 1}]})
    assert caught.value.errors == [{"loc": "levels.0", "msg": "no Shopify variant NOPE"}]


def test_orders_list_get_and_status_changes(shop: Shop) -> None:
    run = shop(products=5, orders=8)
    sandbox = sandbox_of(run)
    orders = list(sandbox.state.orders.values())

    async def body(run: SandboxRun) -> None:
        page = (await run.execute("list_orders", {"limit": 3})).value
        assert len(page.items) == 3 and page.next_cursor
        rest = (await run.execute("list_orders", {"limit": 250, "cursor": page.next_cursor})).value
        assert len(page.items) + len(rest.items) == 8
        shipped = (
            await run.execute(
                "update_order_status",
                {"order_id": orders[0]["id"], "action": "ship", "tracking": {"number": "1Z999", "carrier": "UPS"}},
            )
        ).value
        assert shipped.status is OrderStatus.FULFILLED and shipped.tracking[0].number == "1Z999"
        with pytest.raises(ValidationError, match="nothing left to fulfil"):
            await run.execute("update_order_status", {"order_id": orders[0]["id"], "action": "fulfill"})
        cancelled = (
            await run.execute(
                "update_order_status", {"order_id": orders[1]["id"], "action": "cancel", "reason": "customer"}
            )
        ).value
        assert cancelled.status is OrderStatus.CANCELLED
        closed = (await run.execute("update_order_status", {"order_id": orders[2]["id"], "action": "close"})).value
        assert closed.status is OrderStatus.CLOSED

    drive(run, body)


def test_mark_paid_only_when_pending(shop: Shop) -> None:
    run = shop(products=5, orders=12)
    orders = list(sandbox_of(run).state.orders.values())
    pending = next(o for o in orders if o["_financial"] == "PENDING")
    paid = next(o for o in orders if o["_financial"] == "PAID")

    async def body(run: SandboxRun) -> None:
        now_paid = (await run.execute("update_order_status", {"order_id": pending["id"], "action": "mark_paid"})).value
        assert now_paid.status is OrderStatus.PAID
        with pytest.raises(ValidationError, match="cannot be marked as paid"):
            await run.execute("update_order_status", {"order_id": paid["id"], "action": "mark_paid"})

    drive(run, body)


def test_refunds_partial_then_full(shop: Shop) -> None:
    run = shop(products=5, orders=12)
    order = next(o for o in sandbox_of(run).state.orders.values() if o["_financial"] == "PAID")
    line = order["_lines"][0]

    async def body(run: SandboxRun) -> None:
        partial = (
            await run.execute(
                "process_refund", {"order_id": order["id"], "lines": [{"line_id": line["id"], "quantity": 1}]}
            )
        ).value
        assert partial.amount.amount == line["_price"] and partial.lines[0].quantity == 1
        after = (await run.execute("get_order", {"order_id": order["id"]})).value
        assert after.status is OrderStatus.PARTIALLY_REFUNDED
        full = (await run.execute("process_refund", {"order_id": order["id"]})).value
        assert full.amount.amount == order["_total"] - line["_price"]
        assert (await run.execute("get_order", {"order_id": order["id"]})).value.status is OrderStatus.REFUNDED
        with pytest.raises(ValidationError):
            await run.execute(
                "process_refund", {"order_id": order["id"], "amount": {"amount": "1.00", "currency": "USD"}}
            )

    drive(run, body)
    assert order["_refunded"] == order["_total"] > Decimal(0)


def test_webhook_subscriptions_and_signed_deliveries(shop: Shop) -> None:
    run = shop(products=2)
    sandbox = sandbox_of(run)
    pid = next(iter(sandbox.state.products.values()))["id"]

    async def body(run: SandboxRun) -> None:
        subs = (
            await run.execute(
                "webhooks",
                {
                    "action": "subscribe",
                    "topics": ["products/update", "ORDERS_PAID"],
                    "callback_url": "https://hooks.example/shopify",
                },
            )
        ).value
        assert sorted(s.topic for s in subs.subscriptions) == ["ORDERS_PAID", "PRODUCTS_UPDATE"]
        with pytest.raises(ValidationError) as caught:
            await run.execute(
                "webhooks",
                {"action": "subscribe", "topics": ["products/update"], "callback_url": "https://hooks.example/shopify"},
            )
        assert caught.value.errors[0]["loc"] == "topics.0"
        await run.execute("update_product", {"product_id": pid, "changes": {"title": "Hooked"}})
        remaining = (
            await run.execute("webhooks", {"action": "unsubscribe", "subscription_id": subs.subscriptions[0].id})
        ).value
        assert len(remaining.subscriptions) == 1

    drive(run, body)
    [delivery] = sandbox.deliveries
    assert delivery.url == "https://hooks.example/shopify"

    async def parse() -> Any:
        return await plugin.fusionhub_parse_webhook(store=run.store, headers=delivery.headers, body=delivery.body)

    [event] = run.clock.run(parse())
    assert event.type is EventType.PRODUCT_UPDATED and event.resource_id == pid


def test_injected_faults_map_to_errors_and_queries_recover(shop: Shop) -> None:
    run = shop(products=2)
    sandbox = sandbox_of(run)
    pid = next(iter(sandbox.state.products.values()))["id"]

    async def body(run: SandboxRun) -> None:
        sandbox.faults.inject("timeout")
        sandbox.faults.inject("5xx")
        sandbox.faults.inject("reset")
        assert (await run.execute("get_product", {"product_id": pid})).value.id == pid  # retried three times
        sandbox.faults.inject("reset")
        with pytest.raises(TransientError):  # a mutation whose connection dropped is not resent
            await run.execute("update_product", {"product_id": pid, "changes": {"title": "Maybe"}})
        sandbox.faults.inject("malformed")
        with pytest.raises(TransientError):
            await run.execute("delete_product", {"product_id": pid})
        sandbox.faults.inject("internal")
        with pytest.raises(TransientError):
            await run.execute("update_product", {"product_id": pid, "changes": {"title": "T"}})

    drive(run, body)
    assert sandbox.state.products[number(pid)]["status"] == "ACTIVE"  # no write happened


def test_refund_of_a_custom_amount_goes_through_the_sale_gateway(shop: Shop) -> None:
    run = shop(products=5, orders=12)
    order = next(o for o in sandbox_of(run).state.orders.values() if o["_financial"] == "PAID")

    async def body(run: SandboxRun) -> Any:
        too_much = order["_total"] + 1
        with pytest.raises(ValidationError) as caught:
            await run.execute(
                "process_refund", {"order_id": order["id"], "amount": {"amount": str(too_much), "currency": "USD"}}
            )
        assert caught.value.errors[0]["loc"] == "amount"
        return (
            await run.execute(
                "process_refund", {"order_id": order["id"], "amount": {"amount": "2.50", "currency": "USD"}}
            )
        ).value

    refund = drive(run, body)
    assert refund.amount.amount == Decimal("2.50") and refund.lines == []
    assert order["_refunded"] == Decimal("2.50") and order["_financial"] == "PARTIALLY_REFUNDED"


def test_products_with_more_variants_than_fit_inline_are_completed(shop: Shop) -> None:
    run = shop(products=2, orders=0)
    state = sandbox_of(run).state
    sizes = [f"S{n}" for n in range(120)]
    big = state.add_product("Many sizes", options=[{"name": "Size", "values": sizes}])
    for size in sizes:
        state.add_variant(big, [{"name": "Size", "value": size}], price="3.00", sku=f"MANY-{size}")

    async def body(run: SandboxRun) -> tuple[Any, Any]:
        listed = (await run.execute("list_products", {"limit": 250})).value
        fetched = (await run.execute("get_product", {"product_id": big["id"]})).value
        return listed, fetched

    listed, fetched = drive(run, body)
    in_page = next(p for p in listed.items if p.id == big["id"])
    assert len(in_page.variants) == 120 and len(fetched.variants) == 120
    assert [v.sku for v in fetched.variants] == [f"MANY-{s}" for s in sizes]
