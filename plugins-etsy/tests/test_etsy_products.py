"""Listings as products on the sandbox: pagination, create with validation, update, deactivate/delete."""

from __future__ import annotations

from typing import Any

import pytest

from fusionhub.errors import AuthError, ValidationError
from fusionhub.models import ProductStatus

PLATFORM_FIELDS = {"who_made": "i_did", "when_made": "made_to_order", "taxonomy_id": 1062}


def new_product(**overrides: Any) -> dict[str, Any]:
    product = {
        "title": "Linen apron",
        "description": "Washed linen.",
        "variants": [{"sku": "APRON-1", "price": {"amount": "32.00", "currency": "USD"}, "inventory_quantity": 4}],
        "platform_fields": dict(PLATFORM_FIELDS),
    }
    product.update(overrides)
    return product


def test_list_products_pages_through_every_listing_with_an_opaque_cursor(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(listings=8)

    async def main() -> list[str]:
        ids, cursor = [], None
        while True:
            page = (await run.execute("list_products", {"limit": 3, "cursor": cursor})).value
            ids += [p.id for p in page.items]
            assert page.total == 7  # 8 seeded, the last one inactive
            if (cursor := page.next_cursor) is None:
                return ids
            assert "offset" not in cursor  # opaque

    ids = run.clock.run(main())
    assert len(ids) == len(set(ids)) == 7
    limits = [r.url.params["limit"] for r in run.sandbox.requests]
    assert limits == ["3", "3", "3"]


def test_list_products_caps_the_page_at_100(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    run.clock.run(run.execute("list_products", {"limit": 250}))
    assert run.sandbox.requests[0].url.params["limit"] == "100"


def test_get_product_maps_money_variants_and_images(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = next(iter(run.sandbox.world.listings))
    product = run.clock.run(run.execute("get_product", {"product_id": str(listing_id)})).value
    assert product.platform == "etsy" and product.status is ProductStatus.ACTIVE
    assert str(product.variants[0].price.amount) == "10.5" and product.variants[0].price.currency == "USD"
    assert product.variants[0].sku == "SKU-1" and product.variants[0].inventory_quantity == 5
    assert product.images and str(product.images[0].url).endswith("_fullxfull.jpg")


@pytest.mark.parametrize(
    ("product", "locs"),
    [
        (new_product(description=None), {"params.product.description"}),
        (new_product(platform_fields={}), {f"params.product.platform_fields.{k}" for k in PLATFORM_FIELDS}),
        (new_product(variants=[]), {"params.product.variants.0.price", "params.product.variants.0.inventory_quantity"}),
        (
            new_product(platform_fields={**PLATFORM_FIELDS, "who_made": "robot"}),
            {"params.product.platform_fields.who_made"},
        ),
        (new_product(platform_fields={**PLATFORM_FIELDS, "colour": "red"}), {"params.product.platform_fields.colour"}),
        (new_product(tags=[f"t{i}" for i in range(14)]), {"params.product.tags"}),
        (new_product(vendor="ACME"), {"params.product.vendor"}),
    ],
)
def test_create_rejects_incomplete_input_with_field_paths_before_sending(etsy_run, product, locs) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    with pytest.raises(ValidationError) as caught:
        run.clock.run(run.execute("create_product", {"product": product}))
    assert {e["loc"] for e in caught.value.errors} == locs
    assert run.sandbox.requests == []


def test_store_listing_defaults_fill_the_required_etsy_fields(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(config={"listing_defaults": PLATFORM_FIELDS})
    product = run.clock.run(run.execute("create_product", {"product": new_product(platform_fields={})})).value
    assert product.raw["who_made"] == "i_did" and product.raw["taxonomy_id"] == 1062


def test_create_with_variants_images_and_activation(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    product = new_product(
        status="active",
        options=[{"name": "Size", "values": ["S", "M"]}],
        variants=[
            {
                "sku": "AP-S",
                "options": {"Size": "S"},
                "price": {"amount": "30", "currency": "USD"},
                "inventory_quantity": 2,
            },
            {
                "sku": "AP-M",
                "options": {"Size": "M"},
                "price": {"amount": "34", "currency": "USD"},
                "inventory_quantity": 3,
            },
        ],
        images=[{"url": "https://img.example.com/apron-front.png"}, {"url": "https://img.example.com/apron-back.png"}],
    )
    created = run.clock.run(run.execute("create_product", {"product": product})).value
    ops = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in run.sandbox.requests]
    assert ops[0] == ("POST", "listings") and ops[1] == ("PUT", "inventory")
    assert ops[2:4] == [("POST", "images"), ("POST", "images")] and ops[4][0] == "PATCH"
    assert created.status is ProductStatus.ACTIVE
    assert [v.sku for v in created.variants] == ["AP-S", "AP-M"]
    assert [v.options for v in created.variants] == [{"Size": "S"}, {"Size": "M"}]
    assert len(created.images) == 2 and len(run.sandbox.image_requests) == 2
    assert all("x-api-key" not in r.headers and "authorization" not in r.headers for r in run.sandbox.image_requests)


def test_more_than_20_images_is_refused_before_sending(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    images = [{"url": f"https://img.example.com/{i}.png"} for i in range(21)]
    with pytest.raises(ValidationError, match="at most 20 images"):
        run.clock.run(run.execute("create_product", {"product": new_product(images=images)}))
    assert run.sandbox.requests == []


def test_update_title_is_one_patch(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))
    product = run.clock.run(
        run.execute("update_product", {"product_id": listing_id, "changes": {"title": "New name", "tags": ["linen"]}})
    ).value
    assert product.title == "New name" and product.tags == ["linen"]
    assert [r.method for r in run.sandbox.requests] == ["PATCH"]


def test_update_price_rewrites_the_inventory_keeping_every_variant(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    created = run.clock.run(
        run.execute(
            "create_product",
            {
                "product": new_product(
                    options=[{"name": "Size", "values": ["S", "M"]}],
                    variants=[
                        {
                            "sku": "S",
                            "options": {"Size": "S"},
                            "price": {"amount": "30", "currency": "USD"},
                            "inventory_quantity": 2,
                        },
                        {
                            "sku": "M",
                            "options": {"Size": "M"},
                            "price": {"amount": "30", "currency": "USD"},
                            "inventory_quantity": 3,
                        },
                    ],
                )
            },
        )
    ).value
    changes = {"price": {"amount": "41.25", "currency": "USD"}}
    updated = run.clock.run(run.execute("update_product", {"product_id": created.id, "changes": changes})).value
    assert [(v.sku, str(v.price.amount), v.inventory_quantity) for v in updated.variants] == [
        ("S", "41.25", 2),
        ("M", "41.25", 3),
    ]


def test_update_rejects_fields_etsy_does_not_have(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    with pytest.raises(ValidationError) as caught:
        run.clock.run(
            run.execute("update_product", {"product_id": "1000001", "changes": {"vendor": "ACME", "status": "draft"}})
        )
    assert {e["loc"] for e in caught.value.errors} == {"params.changes.vendor", "params.changes.status"}
    assert run.sandbox.requests == []


def test_delete_deactivates_by_default(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = next(iter(run.sandbox.world.listings))
    result = run.clock.run(run.execute("delete_product", {"product_id": str(listing_id)})).value
    assert result.permanent is False
    assert run.sandbox.world.listings[listing_id]["state"] == "inactive"
    assert [r.method for r in run.sandbox.requests] == ["PATCH"]


def test_permanent_delete_needs_the_store_flag(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    inactive = next(i for i, x in run.sandbox.world.listings.items() if x["state"] == "inactive")
    with pytest.raises(AuthError, match="allow_permanent_delete"):
        run.clock.run(run.execute("delete_product", {"product_id": str(inactive), "permanent": True}))
    assert run.sandbox.requests == []
    run.store.config["allow_permanent_delete"] = True
    result = run.clock.run(run.execute("delete_product", {"product_id": str(inactive), "permanent": True})).value
    assert result.permanent is True and inactive not in run.sandbox.world.listings
    assert [r.method for r in run.sandbox.requests] == ["DELETE"]


def test_permanent_delete_without_the_listings_d_grant_is_an_auth_error(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(scopes=["listings_r", "listings_w"], config={"allow_permanent_delete": True})
    inactive = next(i for i, x in run.sandbox.world.listings.items() if x["state"] == "inactive")
    with pytest.raises(AuthError):
        run.clock.run(run.execute("delete_product", {"product_id": str(inactive), "permanent": True}))
    assert inactive in run.sandbox.world.listings
