"""Listings against the fake SP-API: paging, put/patch/delete with Amazon's answers, stock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.errors import NotFound, ValidationError
from fusionhub.testing.harness import SandboxRun
from fusionhub_amazon.listings import every_item

Make = Callable[..., SandboxRun]


def run(amazon: SandboxRun, capability: str, params: dict[str, Any]) -> Any:
    return amazon.clock.run(amazon.execute(capability, params)).value


def test_pages_follow_the_page_token(amazon_run: Make) -> None:
    amazon = amazon_run(listings=45)
    seen, cursor, pages = [], None, 0
    while True:
        page = run(amazon, "list_products", {"limit": 250, "cursor": cursor})
        seen += [p.id for p in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 45 == len(set(seen))  # 20 + 20 + 5: pageSize is at most 20
    searches = amazon.sandbox.requests.matching("GET", "/listings/2021-08-01/items/{sellerId}")
    assert len(searches) == 3


def test_every_item_streams_with_core_paging(amazon_run: Make) -> None:
    amazon = amazon_run(listings=23)

    async def main() -> list[str]:
        return [item["sku"] async for item in every_item(amazon.ctx)]

    assert len(amazon.clock.run(main())) == 23


def test_a_foreign_cursor_is_refused(amazon_run: Make) -> None:
    amazon = amazon_run()
    with pytest.raises(ValidationError, match="cursor"):
        run(amazon, "list_products", {"cursor": "bm90LWEtY3Vyc29y"})


def test_get_product_maps_the_listing(amazon_run: Make) -> None:
    product = run(amazon_run(), "get_product", {"product_id": "SKU-001"})
    variant = product.variants[0]
    assert (product.id, product.title, product.status, product.product_type) == (
        "SKU-001",
        "Sandbox item 1",
        "active",
        "HOME",
    )
    assert variant.sku == "SKU-001" and variant.inventory_quantity == 5 and str(variant.price) == "10.50 USD"
    assert product.platform_ids["asin"].startswith("B0")
    with pytest.raises(NotFound):
        run(amazon_run(), "get_product", {"product_id": "NOPE"})


NEW = {
    "title": "Linen apron",
    "product_type": "HOME",
    "variants": [{"sku": "APRON/1", "price": {"amount": "19.99", "currency": "USD"}, "inventory_quantity": 4}],
}


def test_create_is_one_put_accepted_for_processing(amazon_run: Make) -> None:
    amazon = amazon_run()
    product = run(amazon, "create_product", {"product": NEW})
    assert product.id == "APRON/1" and product.platform_ids["submission_status"] == "ACCEPTED"
    puts = [r for r in amazon.sandbox.requests if r.method == "PUT"]
    assert len(puts) == 1 and b"APRON%2F1" in puts[0].url.raw_path  # a SKU is one path segment
    stored = run(amazon, "get_product", {"product_id": "APRON/1"})
    assert stored.title == "Linen apron" and stored.variants[0].inventory_quantity == 4


def test_validation_preview_writes_nothing(amazon_run: Make) -> None:
    amazon = amazon_run()
    preview = {**NEW, "platform_fields": {"mode": "VALIDATION_PREVIEW"}}
    product = run(amazon, "create_product", {"product": preview})
    assert product.platform_ids["submission_status"] == "VALID"
    with pytest.raises(NotFound):
        run(amazon, "get_product", {"product_id": "APRON/1"})


def test_an_invalid_submission_names_the_attribute(amazon_run: Make) -> None:
    stock = [{"fulfillment_channel_code": "DEFAULT", "quantity": -3}]  # core refuses it in its own fields
    attributes = {"fulfillment_availability": stock}
    bad = {**NEW, "variants": [{"sku": "APRON/2"}], "platform_fields": {"attributes": attributes}}
    with pytest.raises(ValidationError) as refused:
        run(amazon_run(), "create_product", {"product": bad})
    assert refused.value.errors[0]["loc"] == "product.fulfillment_availability"
    assert refused.value.errors[0]["msg"].startswith("99022")


def test_a_product_needs_one_sku_and_a_product_type(amazon_run: Make) -> None:
    with pytest.raises(ValidationError, match="one SKU"):
        run(amazon_run(), "create_product", {"product": {**NEW, "variants": []}})
    with pytest.raises(ValidationError, match="product type"):
        run(amazon_run(), "create_product", {"product": {**NEW, "product_type": None}})


def test_offer_changes_patch_under_product_and_text_under_the_listings_type(amazon_run: Make) -> None:
    amazon = amazon_run()
    price = {"price": {"amount": "12.00", "currency": "USD"}}
    updated = run(amazon, "update_product", {"product_id": "SKU-002", "changes": price})
    assert str(updated.variants[0].price) == "12.00 USD"
    renamed = run(amazon, "update_product", {"product_id": "SKU-002", "changes": {"title": "Renamed"}})
    assert renamed.title == "Renamed"
    patches = [r for r in amazon.sandbox.requests if r.method == "PATCH"]
    assert [b'"productType":"PRODUCT"' in r.content for r in patches] == [True, False]
    assert b'"productType":"HOME"' in patches[1].content  # read with getListingsItem first


def test_tags_have_no_amazon_field(amazon_run: Make) -> None:
    with pytest.raises(ValidationError, match="no tags"):
        run(amazon_run(), "update_product", {"product_id": "SKU-001", "changes": {"tags": ["x"]}})


def test_delete_archives_by_default_and_deletes_when_permanent(amazon_run: Make) -> None:
    amazon = amazon_run()
    archived = run(amazon, "delete_product", {"product_id": "SKU-001"})
    assert archived.permanent is False
    product = run(amazon, "get_product", {"product_id": "SKU-001"})
    assert product.variants[0].inventory_quantity == 0 and product.status == "inactive"
    assert run(amazon, "delete_product", {"product_id": "SKU-001", "permanent": True}).permanent is True
    with pytest.raises(NotFound):
        run(amazon, "get_product", {"product_id": "SKU-001"})


def test_mfn_stock_is_a_merge_patch_and_fba_stock_is_read(amazon_run: Make) -> None:
    amazon = amazon_run(listings=4, fba=2)
    level = run(amazon, "update_variant_inventory", {"target": {"sku": "SKU-003", "quantity": 11}})
    assert (level.sku, level.available, level.location_id) == ("SKU-003", 11, "DEFAULT")
    patch = amazon.sandbox.requests.matching("PATCH", "/listings/2021-08-01/items/{sellerId}/{sku}")[0]
    assert b'"op":"merge"' in patch.content and b'"fulfillment_channel_code":"DEFAULT"' in patch.content
    levels = run(amazon, "get_inventory", {"skus": ["SKU-001", "SKU-003"]}).levels
    by_sku = {x.sku: (x.location_id, x.available) for x in levels}
    assert by_sku == {"SKU-001": ("AFN:ATVPDKIKX0DER", 20), "SKU-003": ("DEFAULT", 11)}
    with pytest.raises(ValidationError, match="FBA stock is Amazon's"):
        run(amazon, "update_variant_inventory", {"target": {"sku": "SKU-001", "quantity": 1, "location_id": "AFN"}})


def test_fba_summaries_go_50_skus_a_call(amazon_run: Make) -> None:
    amazon = amazon_run(listings=120, fba=120)
    skus = [f"SKU-{i:03d}" for i in range(1, 121)]
    levels = run(amazon, "get_inventory", {"skus": skus, "location_id": "AFN:ATVPDKIKX0DER"}).levels
    assert len(levels) == 120
    assert len(amazon.sandbox.requests.matching("GET", "/fba/inventory/v1/summaries")) == 3


def test_sync_inventory_sets_each_sku(amazon_run: Make) -> None:
    amazon = amazon_run()
    result = run(
        amazon, "sync_inventory", {"levels": [{"sku": "SKU-001", "quantity": 0}, {"sku": "SKU-002", "quantity": 9}]}
    )
    assert [(x.sku, x.available) for x in result.updated] == [("SKU-001", 0), ("SKU-002", 9)]
    assert run(amazon, "get_product", {"product_id": "SKU-002"}).variants[0].inventory_quantity == 9
