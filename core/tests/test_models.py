"""Domain and params models: field-path errors, exact money, opaque cursors, raw payloads kept."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionhub import CAPABILITY_SPECS, Capability
from fusionhub import params as p
from fusionhub.errors import from_pydantic
from fusionhub.models import (
    BulkResult,
    InventoryTarget,
    Money,
    OperationHandle,
    OperationStatus,
    Order,
    Page,
    Product,
    ProductChanges,
)


def locs(model: type[pydantic.BaseModel], data: Any) -> set[str]:
    with pytest.raises(pydantic.ValidationError) as err:
        model.model_validate(data)
    return {e["loc"] for e in from_pydantic(err.value).errors}


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        (p.GetProductParams, {"product_id": ""}, {"product_id"}),
        (p.ListProductsParams, {"limit": 0, "cursor": 5}, {"limit", "cursor"}),
        (p.ListProductsParams, {"page": 2}, {"page"}),  # unknown fields are errors, not dropped
        (
            p.CreateProductParams,
            {"product": {"title": "", "variants": [{"price": {"amount": "1", "currency": "eur"}}]}},
            {"product.title", "product.variants.0.price.currency"},
        ),
        (
            p.CreateProductParams,
            {"product": {"title": "Mug", "images": [{"url": "not a url"}]}},
            {"product.images.0.url"},
        ),
        (p.UpdateProductParams, {"product_id": "p1", "changes": {}}, {""}),  # nothing to change
        (
            p.BulkUpdateParams,
            {"items": [{"product_id": "p1", "changes": {"title": "ok"}}, {"product_id": "", "changes": {"tags": "x"}}]},
            {"items.1.product_id", "items.1.changes.tags"},
        ),
        (p.BulkUpdateParams, {"items": []}, {"items"}),
        (
            p.SyncInventoryParams,
            {"levels": [{"sku": "A", "quantity": -1}, {"quantity": 3}]},
            {"levels.0.quantity", "levels.1"},
        ),
        (p.GetInventoryParams, {}, {""}),
        (p.UpdateOrderStatusParams, {"order_id": "o1", "action": "teleport"}, {"action"}),
        (
            p.ProcessRefundParams,
            {
                "order_id": "o1",
                "amount": {"amount": "-5", "currency": "USD"},
                "lines": [{"line_id": "l", "quantity": 0}],
            },
            {"amount.amount", "lines.0.quantity"},
        ),
        (p.WebhooksParams, {"action": "subscribe", "topics": ["orders/create"]}, {""}),
        (p.BulkOperationsParams, {"kind": "update_products"}, {""}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_params_reject_bad_input_with_field_paths(
    model: type[pydantic.BaseModel], data: Any, expected: set[str]
) -> None:
    assert locs(model, data) == expected


def test_every_capability_has_params_and_a_result_type() -> None:
    assert set(CAPABILITY_SPECS) == set(Capability) and len(Capability) == 15
    for capability, spec in CAPABILITY_SPECS.items():
        assert issubclass(spec.params, p.Params), capability
        pydantic.TypeAdapter(spec.result)  # builds: a real pydantic type
        assert capability.hook_name == f"fusionhub_{capability.value}"


@pytest.mark.parametrize(
    ("raw", "exact"),
    [
        (0.1, Decimal("0.1")),
        (19.99, Decimal("19.99")),
        (1e-6, Decimal("0.000001")),
        ("10.005", Decimal("10.005")),
        (Decimal("0.30"), Decimal("0.30")),
        (7, Decimal(7)),
    ],
)
def test_money_is_exact_decimal(raw: Any, exact: Decimal) -> None:
    money = Money(amount=raw, currency="EUR")
    assert isinstance(money.amount, Decimal) and money.amount == exact
    assert str(money.amount) == str(exact)  # scale kept: 0.30 stays 0.30


def test_money_float_arithmetic_errors_do_not_leak_in() -> None:
    # 0.1 + 0.2 as a float is 0.30000000000000004: a money amount rejects what it cannot hold exactly.
    assert [loc for loc, _ in _errors(Money, {"amount": 0.1 + 0.2, "currency": "USD"})] == ["amount"]
    total = Money(amount=0.1, currency="USD").amount + Money(amount=0.2, currency="USD").amount
    assert total == Decimal("0.3")


def test_money_rejects_bad_values() -> None:
    for data in (
        {"amount": "-0.01", "currency": "USD"},
        {"amount": "1.0000001", "currency": "USD"},
        {"amount": "abc", "currency": "USD"},
        {"amount": "1", "currency": "usd"},
        {"amount": "1", "currency": "EURO"},
    ):
        assert _errors(Money, data), data


def test_money_round_trips_through_json_exactly() -> None:
    money = Money(amount="1234567.890000", currency="JPY")
    again = Money.model_validate_json(money.model_dump_json())
    assert again == money and again.amount == Decimal("1234567.890000")


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_any_two_place_decimal_is_kept_exactly(amount: Decimal) -> None:
    assert Money(amount=amount, currency="USD").amount == amount
    assert Money(amount=str(amount), currency="USD").amount == amount


@given(st.floats(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False))
def test_a_float_means_its_shortest_repr_or_is_rejected(value: float) -> None:
    try:
        money = Money(amount=value, currency="USD")
    except pydantic.ValidationError:
        assert len(Decimal(repr(value)).as_tuple().digits) > 18 or -Decimal(repr(value)).as_tuple().exponent > 6  # type: ignore[operator]
    else:
        assert money.amount == Decimal(repr(value))


def test_models_are_frozen_and_strict_about_unknown_fields() -> None:
    product = Product(id="p1", platform="shop", title="Mug")
    with pytest.raises(pydantic.ValidationError):
        product.title = "Cup"  # type: ignore[misc]
    assert _errors(Product, {"id": "p1", "platform": "shop", "title": "Mug", "colour": "red"})


def test_raw_payload_kept_but_not_in_repr() -> None:
    raw = {"id": 1, "body_html": "<p>Large mug</p>", "x-platform-only": True}
    product = Product(id="1", platform="shop", title="Mug", raw=raw)
    assert product.raw == raw and "body_html" not in repr(product)
    order = Order(id="o1", platform="shop", status="paid", customer_email="a@b.test")
    assert "a@b.test" not in repr(order)  # personal data stays out of logs


def test_page_cursor_is_opaque_and_generic() -> None:
    page = Page[Product].model_validate(
        {"items": [{"id": "p1", "platform": "shop", "title": "Mug"}], "next_cursor": "eyJvIjoxfQ=="}
    )
    assert isinstance(page.items[0], Product) and page.next_cursor == "eyJvIjoxfQ=="
    assert Page[Product](items=[]).next_cursor is None  # the last page
    with pytest.raises(pydantic.ValidationError):
        Page[Product].model_validate({"items": [{"id": "p1"}]})


def test_changes_know_what_was_set() -> None:
    changes = ProductChanges(title="New", price={"amount": "5", "currency": "EUR"})  # type: ignore[arg-type]
    assert set(changes.changed()) == {"title", "price"}
    assert ProductChanges(tags=[]).changed() == {"tags": []}  # clearing is a change


def test_inventory_target_needs_a_variant_name() -> None:
    assert _errors(InventoryTarget, {"quantity": 1}) == [
        ("", "Value error, name the variant: set variant_id, sku or inventory_item_id")
    ]
    assert InventoryTarget(sku="A-1", quantity=0).quantity == 0


def test_operation_handle_and_bulk_result() -> None:
    handle = OperationHandle(operation_id="op1", kind="bulk_query", status=OperationStatus.RUNNING, done=5, total=10)
    assert not handle.finished and handle.model_copy(update={"status": OperationStatus.COMPLETED}).finished
    result = BulkResult.model_validate(
        {"total": 2, "succeeded": 1, "failed": 1, "items": [{"index": 0, "ok": True}, {"index": 1, "ok": False}]}
    )
    assert [i.ok for i in result.items] == [True, False]


def _errors(model: type[pydantic.BaseModel], data: Any) -> list[tuple[str, str]]:
    try:
        model.model_validate(data)
    except pydantic.ValidationError as exc:
        return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
    return []


def test_an_address_is_read_through_a_platforms_field_map() -> None:
    from fusionhub.models import Address

    record = {"who": "Ada", "street": "1 Loop", "town": "Bath", "cc": "GB"}
    address = Address.read(record, ("who", "street", "unit", "town", "county", "zip", "cc"))
    assert address == Address(name="Ada", line1="1 Loop", city="Bath", country_code="GB")
    with pytest.raises(ValueError, match="needs 7 keys"):
        Address.read(record, ("who", "street"))


def test_platform_data_keeps_its_keys_as_received() -> None:
    """A signed payload or raw record is what the platform sent: no key is stripped (only our own fields are)."""
    from fusionhub.models import Event

    event = Event(platform="x", type="order.created", delivery_id=" d ", payload={" k ": " v ", "\r": 1})
    assert event.payload == {" k ": " v ", "\r": 1} and event.delivery_id == "d"
