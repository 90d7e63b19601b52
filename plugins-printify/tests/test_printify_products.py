"""Products against the sandbox: paging, creation from a blueprint, updates, the publishing lock, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.errors import TransientError, ValidationError
from fusionhub.testing.harness import SandboxRun
from fusionhub_printify.sandbox import DESIGN_URL, SHOP_ID, PrintifySandbox

Make = Callable[..., SandboxRun]
TEE = {"blueprint_id": 12, "print_provider_id": 29}
USD = {"currency": "USD"}


def _run(run: SandboxRun, capability: str, params: dict[str, Any]) -> Any:
    return run.clock.run(run.execute(capability, params)).value


def _sandbox(run: SandboxRun) -> PrintifySandbox:
    assert isinstance(run.sandbox, PrintifySandbox)
    return run.sandbox


def _tee(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Logo tee",
        "variants": [
            {"options": {"color": "Black", "size": "L"}, "price": {"amount": "26.50", **USD}},
            {"id": "18100", "price": {"amount": "24.00", **USD}, "available": False},
        ],
        "images": [{"url": DESIGN_URL}],
        "platform_fields": dict(TEE),
        **extra,
    }


def test_list_products_pages_by_number_until_the_last_page(printify_run: Make) -> None:
    run = printify_run(products=7)
    first = _run(run, "list_products", {"limit": 3})
    assert len(first.items) == 3 and first.total == 7 and first.next_cursor
    second = _run(run, "list_products", {"limit": 50, "cursor": first.next_cursor})  # the cursor keeps its limit
    third = _run(run, "list_products", {"cursor": second.next_cursor})
    assert [len(p.items) for p in (second, third)] == [3, 1] and third.next_cursor is None
    ids = [p.id for page in (first, second, third) for p in page.items]
    assert len(set(ids)) == 7
    pages = [r.url.params["page"] for r in run.sandbox.requests]
    assert pages == ["1", "2", "3"] and {r.url.params["limit"] for r in run.sandbox.requests} == {"3"}


def test_a_product_reads_with_options_prices_and_availability(printify_run: Make) -> None:
    run = printify_run()
    pid = next(iter(_sandbox(run).world.products[SHOP_ID]))
    product = _run(run, "get_product", {"product_id": pid})
    assert product.platform == "printify" and product.status.value == "draft"
    assert [o.name for o in product.options] == ["Colors", "Sizes"]
    white_s = next(v for v in product.variants if v.id == "18100")
    assert white_s.options == {"Colors": "White", "Sizes": "S"} and str(white_s.price) == "20 USD"
    assert white_s.available is True and white_s.inventory_quantity is None
    assert product.platform_ids["blueprint_id"] == "12" and product.platform_ids["is_locked"] == "false"


def test_create_looks_up_the_catalog_uploads_by_url_and_creates(printify_run: Make) -> None:
    run = printify_run()
    product = _run(run, "create_product", {"product": _tee(tags=["logo"])})
    sent = [f"{r.method} {r.url.path}" for r in run.sandbox.requests]
    assert sent == [
        "GET /v1/catalog/blueprints/12.json",
        "GET /v1/catalog/blueprints/12/print_providers/29/variants.json",
        "POST /v1/uploads/images.json",
        f"POST /v1/shops/{SHOP_ID}/products.json",
    ]
    enabled = {v.id: v for v in product.variants if v.available}
    assert list(enabled) == ["18112"]  # Black / L; White / S was asked for disabled
    assert str(enabled["18112"].price) == "26.5 USD" and product.tags == ["logo"]
    area = product.raw["print_areas"][0]
    assert area["variant_ids"] == [18112, 18100] and area["placeholders"][0]["position"] == "front"


def test_an_active_product_is_published_and_stays_locked_until_acknowledged(printify_run: Make) -> None:
    run = printify_run()
    product = _run(run, "create_product", {"product": _tee(status="active")})
    assert product.platform_ids["is_locked"] == "true"
    with pytest.raises(TransientError, match="locked it for editing") as locked:
        _run(run, "update_product", {"product_id": product.id, "changes": {"title": "Too soon"}})
    assert locked.value.category.value == "transient"  # a worker retries it with back-off
    ack = {"publishing_succeeded": {"id": "shop-42", "handle": "https://shop.example.com/p/42"}}
    done = _run(run, "update_product", {"product_id": product.id, "changes": {"title": "Now", "platform_fields": ack}})
    assert done.title == "Now" and done.status.value == "active" and done.handle == "https://shop.example.com/p/42"
    assert done.platform_ids == {**done.platform_ids, "is_locked": "false", "external_id": "shop-42"}


def test_a_failed_publication_is_acknowledged_too(printify_run: Make) -> None:
    run = printify_run()
    pid = next(iter(_sandbox(run).world.products[SHOP_ID]))
    published = _run(run, "update_product", {"product_id": pid, "changes": {"status": "active"}})
    assert published.platform_ids["is_locked"] == "true"
    failed = {"platform_fields": {"publishing_failed": "the channel refused the images"}}
    assert _run(run, "update_product", {"product_id": pid, "changes": failed}).platform_ids["is_locked"] == "false"


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"vendor": "ACME"}, "params.changes.vendor"),
        ({"product_type": "Mug"}, "params.changes.product_type"),
        ({"platform_fields": {"blueprint_id": 68}}, "params.changes.platform_fields.blueprint_id"),
        ({"platform_fields": {"print_provider_id": 99}}, "params.changes.platform_fields.print_provider_id"),
        ({"platform_fields": {"colour": "red"}}, "params.changes.platform_fields.colour"),
        ({"status": "archived"}, "params.changes.status"),
        ({"variants": [{"id": "18100", "options": {"size": "XL"}}]}, "params.changes.variants.0.options"),
        ({"variants": [{"id": "18100", "inventory_quantity": 3}]}, "params.changes.variants.0.inventory_quantity"),
        ({"variants": [{"price": {"amount": "1", **USD}}]}, "params.changes.variants.0"),
    ],
)
def test_read_only_fields_are_refused_before_anything_is_sent(printify_run: Make, changes: Any, loc: str) -> None:
    run = printify_run()
    pid = next(iter(_sandbox(run).world.products[SHOP_ID]))
    with pytest.raises(ValidationError) as refused:
        _run(run, "update_product", {"product_id": pid, "changes": changes})
    assert refused.value.errors[0]["loc"] == loc and run.request_count == 0


def test_variant_prices_and_availability_change_by_id_or_sku(printify_run: Make) -> None:
    run = printify_run()
    pid, product = next(iter(_sandbox(run).world.products[SHOP_ID].items()))
    sku = product["variants"][1]["sku"]
    changes = {
        "variants": [
            {"id": "18100", "price": {"amount": "30.00", **USD}},
            {"sku": sku, "available": False},
        ]
    }
    updated = _run(run, "update_product", {"product_id": pid, "changes": changes})
    by_id = {v.id: v for v in updated.variants}
    assert str(by_id["18100"].price) == "30 USD" and by_id["18101"].available is False
    put = run.sandbox.requests[-1]
    assert put.method == "PUT" and len(__import__("json").loads(put.content)["variants"]) == len(product["variants"])
    with pytest.raises(ValidationError, match="no variant"):
        _run(run, "update_product", {"product_id": pid, "changes": {"variants": [{"id": "1", "available": True}]}})


@pytest.mark.parametrize(
    ("product", "loc"),
    [
        ({"platform_fields": {"print_provider_id": 29}}, "params.product.platform_fields.blueprint_id"),
        (
            {"platform_fields": {"blueprint_id": "tee", "print_provider_id": 29}},
            "params.product.platform_fields.blueprint_id",
        ),
        ({"variants": []}, "params.product.variants"),
        ({"variants": [{"id": "18100"}]}, "params.product.variants.0.price"),
        ({"variants": [{"price": {"amount": "5", **USD}}]}, "params.product.variants.0"),
        ({"images": []}, "params.product.images"),
        ({"vendor": "ACME"}, "params.product.vendor"),
        ({"status": "archived"}, "params.product.status"),
    ],
)
def test_a_bad_creation_is_refused_before_any_request(printify_run: Make, product: Any, loc: str) -> None:
    run = printify_run()
    with pytest.raises(ValidationError) as refused:
        _run(run, "create_product", {"product": {**_tee(), **product}})
    assert refused.value.errors[0]["loc"] == loc and run.request_count == 0


@pytest.mark.parametrize(
    ("fields", "variant", "loc", "sent"),
    [
        ({"blueprint_id": 999, "print_provider_id": 29}, None, "params.product.platform_fields.blueprint_id", 1),
        ({"blueprint_id": 12, "print_provider_id": 1}, None, "params.product.platform_fields.print_provider_id", 2),
        (TEE, {"options": {"color": "Pink"}, "price": {"amount": "5", **USD}}, "params.product.variants.0", 2),
        (TEE, {"options": {"color": "White"}, "price": {"amount": "5", **USD}}, "params.product.variants.0", 2),
        ({**TEE, "position": "sleeve"}, None, "params.product.platform_fields.position", 2),
    ],
)
def test_the_catalog_says_what_does_not_exist(
    printify_run: Make, fields: Any, variant: Any, loc: str, sent: int
) -> None:
    run = printify_run()
    product = _tee(platform_fields=fields)
    if variant is not None:
        product["variants"] = [variant]
    with pytest.raises(ValidationError) as refused:
        _run(run, "create_product", {"product": product})
    assert refused.value.errors[0]["loc"] == loc
    assert run.request_count == sent  # catalog reads only: nothing was uploaded or created


def test_delete_is_permanent_and_must_be_asked_for(printify_run: Make) -> None:
    run = printify_run()
    pid = next(iter(_sandbox(run).world.products[SHOP_ID]))
    with pytest.raises(ValidationError, match="permanent=true") as refused:
        _run(run, "delete_product", {"product_id": pid})
    assert refused.value.errors[0]["loc"] == "params.permanent" and run.request_count == 0
    assert _run(run, "delete_product", {"product_id": pid, "permanent": True}).permanent is True
    assert pid not in _sandbox(run).world.products[SHOP_ID]


def test_a_malformed_id_is_refused_and_a_missing_one_is_not_found(printify_run: Make) -> None:
    run = printify_run()
    with pytest.raises(ValidationError):
        _run(run, "get_product", {"product_id": "42"})
    from fusionhub.errors import NotFound

    with pytest.raises(NotFound):
        _run(run, "get_product", {"product_id": "f" * 24})


def test_catalog_look_ups_keep_to_100_a_minute(printify_run: Make) -> None:
    """Each creation reads the catalog twice: 60 creations are 120 catalog reads, paced at 0.6 s."""
    run = printify_run()

    async def main() -> None:
        for _ in range(60):
            await run.execute("create_product", {"product": _tee()})

    run.clock.run(main())
    catalog = [
        t for r, t in zip(run.sandbox.requests, run.sandbox.received_at, strict=True) if "/catalog/" in r.url.path
    ]
    assert len(catalog) == 120 and run.sandbox.throttled == 0
    assert max(sum(1 for t in catalog if s <= t < s + 60) for s in catalog) <= 100


def test_publishing_keeps_to_200_per_30_minutes(printify_run: Make) -> None:
    run = printify_run(products=12)
    ids = list(_sandbox(run).world.products[SHOP_ID])
    ack = {"platform_fields": {"publishing_failed": "test"}}

    async def main() -> None:
        for _ in range(20):  # 240 publications of 12 products, each acknowledged so it can publish again
            for pid in ids:
                await run.execute("update_product", {"product_id": pid, "changes": {"status": "active"}})
                await run.execute("update_product", {"product_id": pid, "changes": ack})

    run.clock.run(main())
    published = [
        t
        for r, t in zip(run.sandbox.requests, run.sandbox.received_at, strict=True)
        if r.url.path.endswith("/publish.json")
    ]
    assert len(published) == 240 and run.sandbox.throttled == 0
    assert max(sum(1 for t in published if s <= t < s + 1800) for s in published) <= 200
