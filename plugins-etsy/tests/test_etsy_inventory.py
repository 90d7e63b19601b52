"""Inventory: Etsy's PUT replaces every variant, so one variant's change must keep all the others."""

from __future__ import annotations

from typing import Any

import pytest

from fusionhub.errors import ValidationError


def three_variant_listing(run: Any) -> str:
    variants = [
        {
            "sku": sku,
            "options": {"Colour": sku},
            "price": {"amount": price, "currency": "USD"},
            "inventory_quantity": qty,
        }
        for sku, price, qty in (("RED", "20", 1), ("GREEN", "21", 2), ("BLUE", "22", 3))
    ]
    product = {
        "title": "Scarf",
        "description": "Wool.",
        "options": [{"name": "Colour", "values": ["RED", "GREEN", "BLUE"]}],
        "variants": variants,
        "platform_fields": {"who_made": "i_did", "when_made": "made_to_order", "taxonomy_id": 1062},
    }
    created = run.clock.run(run.execute("create_product", {"product": product})).value
    run.sandbox.requests.clear()
    return str(created.id)


def stock(run: Any, listing_id: str) -> dict[str, tuple[int, int]]:
    products = run.sandbox.world.inventories[int(listing_id)]["products"]
    return {p["sku"]: (p["offerings"][0]["quantity"], p["offerings"][0]["price"]["amount"]) for p in products}


def test_update_variant_inventory_is_read_modify_write_keeping_other_variants(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = three_variant_listing(run)
    level = run.clock.run(
        run.execute("update_variant_inventory", {"target": {"product_id": listing_id, "sku": "GREEN", "quantity": 9}})
    ).value
    assert (level.sku, level.available, level.product_id) == ("GREEN", 9, listing_id)
    assert [r.method for r in run.sandbox.requests] == ["GET", "PUT"]
    assert stock(run, listing_id) == {"RED": (1, 2000), "GREEN": (9, 2100), "BLUE": (3, 2200)}
    inventory = run.sandbox.world.inventories[int(listing_id)]
    assert [pv["values"] for p in inventory["products"] for pv in p["property_values"]] == [
        ["RED"],
        ["GREEN"],
        ["BLUE"],
    ]


def test_variant_named_by_its_etsy_product_id(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = three_variant_listing(run)
    blue = run.sandbox.world.inventories[int(listing_id)]["products"][2]["product_id"]
    target = {"product_id": listing_id, "variant_id": str(blue), "quantity": 0}
    level = run.clock.run(run.execute("update_variant_inventory", {"target": target})).value
    assert level.sku == "BLUE" and level.available == 0
    assert stock(run, listing_id)["BLUE"] == (0, 2200) and stock(run, listing_id)["RED"] == (1, 2000)


def test_sync_inventory_writes_each_listing_once_and_skips_no_ops(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = three_variant_listing(run)
    seeded = next(iter(run.sandbox.world.listings))
    levels = [
        {"product_id": listing_id, "sku": "RED", "quantity": 5},
        {"product_id": listing_id, "sku": "BLUE", "quantity": 6},
        {"product_id": str(seeded), "sku": "SKU-1", "quantity": 5},  # already 5: no write
    ]
    result = run.clock.run(run.execute("sync_inventory", {"levels": levels})).value
    assert sorted((lv.sku, lv.available) for lv in result.updated) == [("BLUE", 6), ("RED", 5)]
    assert result.unchanged == 1
    assert [r.method for r in run.sandbox.requests] == ["GET", "PUT", "GET"]
    assert stock(run, listing_id) == {"RED": (5, 2000), "GREEN": (2, 2100), "BLUE": (6, 2200)}


def test_unknown_sku_fails_with_its_field_path_and_writes_nothing(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = three_variant_listing(run)
    levels = [
        {"product_id": listing_id, "sku": "RED", "quantity": 5},
        {"product_id": listing_id, "sku": "PINK", "quantity": 1},
    ]
    with pytest.raises(ValidationError) as caught:
        run.clock.run(run.execute("sync_inventory", {"levels": levels}))
    assert caught.value.errors[0]["loc"] == "params.levels.1"
    assert [r.method for r in run.sandbox.requests] == ["GET"]


def test_get_inventory_needs_the_listing_and_filters_skus(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = three_variant_listing(run)
    levels = run.clock.run(
        run.execute("get_inventory", {"product_id": listing_id, "skus": ["RED", "BLUE"]})
    ).value.levels
    assert [(lv.sku, lv.available) for lv in levels] == [("RED", 1), ("BLUE", 3)]
    with pytest.raises(ValidationError, match="product_id"):
        run.clock.run(run.execute("get_inventory", {"skus": ["RED"]}))


def test_setting_the_quantity_a_variant_already_has_writes_nothing(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = three_variant_listing(run)
    target = {"product_id": listing_id, "sku": "GREEN", "quantity": 2}
    level = run.clock.run(run.execute("update_variant_inventory", {"target": target})).value
    assert (level.sku, level.available) == ("GREEN", 2)
    assert [r.method for r in run.sandbox.requests] == ["GET"]
