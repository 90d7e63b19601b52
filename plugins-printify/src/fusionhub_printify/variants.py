"""Edits of a product's variants. Printify's PUT takes the variant list whole, so every edit is
read-modify-write: the product is read, the named variants changed, and the full list sent back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fusionhub_printify.client import refuse
from fusionhub_printify.mapping import Json


@dataclass(frozen=True, slots=True)
class VariantEdit:
    """One variant to change, named by Printify variant id or SKU; None fields stay as they are."""

    loc: str  # the input field path, for errors
    variant_id: str | None = None
    sku: str | None = None
    every: bool = False  # every variant (a new price for all)
    price: int | None = None  # cents
    enabled: bool | None = None

    def matches(self, variant: Json) -> bool:
        if self.every:
            return True
        if self.variant_id is not None:
            return str(variant.get("id")) == self.variant_id
        return self.sku is not None and variant.get("sku") == self.sku


def put_variants(product: Json, edits: Iterable[VariantEdit]) -> tuple[list[Json], list[int]]:
    """The `variants` of a PUT keeping every variant, with `edits` applied, and the indexes they changed.

    A variant no edit can find is refused with its field path, before anything is sent.
    """
    wanted = list(edits)
    current: list[Json] = list(product.get("variants") or [])
    for edit in wanted:
        if not any(edit.matches(v) for v in current):
            raise refuse(edit.loc, f"product {product.get('id')} has no variant {edit.variant_id or edit.sku!r}")
    out, changed = [], []
    for i, variant in enumerate(current):
        entry = {
            "id": variant["id"],
            "price": variant.get("price"),
            "is_enabled": bool(variant.get("is_enabled", True)),
        }
        before = dict(entry)
        for edit in wanted:
            if edit.matches(variant):
                if edit.price is not None:
                    entry["price"] = edit.price
                if edit.enabled is not None:
                    entry["is_enabled"] = edit.enabled
        if entry != before:
            changed.append(i)
        out.append(entry)
    return out, changed
