"""What create_product needs from Printify's catalog: a blueprint, its provider's variants, uploaded designs.

A product is made from a catalog blueprint (the item) printed by one print provider, in some of
that provider's variants (colour, size…), with designs placed on print areas. Everything the
caller can get wrong without asking Printify is refused before the first request (`Blueprint.of`);
the catalog then says whether the blueprint, provider and variants exist.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fusionhub.plugin import NotFound, ProductImage, ProductInput, StoreContext, ValidationError
from fusionhub_printify.client import call, refuse
from fusionhub_printify.config import SLUG
from fusionhub_printify.mapping import Json, to_cents

FIELDS = "params.product.platform_fields"
VARIANTS = "params.product.variants"
DEFAULT_POSITION = "front"


def _catalog_id(fields: dict[str, Any], name: str) -> int:
    value = fields.get(name)
    if isinstance(value, bool) or not str(value if value is not None else "").isdigit() or int(str(value)) < 1:
        raise refuse(f"{FIELDS}.{name}", "Printify creates products only from its catalog: set the numeric id")
    return int(str(value))


@dataclass(frozen=True, slots=True)
class Wanted:
    """One variant the caller asked for: a catalog variant id or its options, and its retail price."""

    loc: str
    variant_id: int | None
    options: dict[str, str]
    price: int
    enabled: bool

    def matches(self, catalog_variant: Json) -> bool:
        if self.variant_id is not None:
            return int(catalog_variant["id"]) == self.variant_id
        theirs = {str(k).lower(): str(v).lower() for k, v in (catalog_variant.get("options") or {}).items()}
        return all(theirs.get(k.lower()) == v.lower() for k, v in self.options.items())


@dataclass(frozen=True, slots=True)
class Blueprint:
    """The checked request: which catalog item, provider, variants, designs and print position."""

    blueprint_id: int
    print_provider_id: int
    variants: list[Wanted]
    position: str
    print_areas: list[Json] | None  # given whole by the caller: sent as they are

    @classmethod
    def of(cls, item: ProductInput) -> Blueprint:
        fields = item.platform_fields
        unknown = sorted(set(fields) - {"blueprint_id", "print_provider_id", "position", "print_areas"})
        if unknown:
            raise refuse(f"{FIELDS}.{unknown[0]}", "not a Printify product field this plugin sends")
        blueprint_id, provider_id = _catalog_id(fields, "blueprint_id"), _catalog_id(fields, "print_provider_id")
        if not item.variants:
            raise refuse(VARIANTS, "choose at least one of the print provider's catalog variants")
        wanted = []
        for i, v in enumerate(item.variants):
            loc = f"{VARIANTS}.{i}"
            if v.price is None:
                raise refuse(f"{loc}.price", "Printify needs each variant's retail price")
            if v.id is None and not v.options:
                raise refuse(loc, "name the catalog variant: its id, or its options (e.g. color and size)")
            if v.id is not None and not v.id.isdigit():
                raise refuse(f"{loc}.id", "a Printify catalog variant id is a number")
            variant_id = int(v.id) if v.id is not None else None
            wanted.append(Wanted(loc, variant_id, dict(v.options), to_cents(v.price), v.available is not False))
        areas = fields.get("print_areas")
        if areas is not None and (not isinstance(areas, list) or not all(isinstance(a, dict) for a in areas)):
            raise refuse(f"{FIELDS}.print_areas", "a list of print areas ({variant_ids, placeholders})")
        if areas is None and not item.images:
            raise refuse("params.product.images", "a Printify product needs a design: give at least one image URL")
        if areas is not None and item.images:
            raise refuse("params.product.images", "give images or platform_fields.print_areas, not both")
        for name in ("vendor", "product_type"):
            if getattr(item, name) is not None:
                raise refuse(f"params.product.{name}", "Printify has no such field: the blueprint decides it")
        position = fields.get("position", DEFAULT_POSITION)
        if not isinstance(position, str) or not position:
            raise refuse(f"{FIELDS}.position", "the print area's position, such as front or back")
        return cls(blueprint_id, provider_id, wanted, position, areas)

    async def catalog_variants(self, ctx: StoreContext) -> list[Json]:
        """The provider's variants of the blueprint; a blueprint or provider the catalog lacks is a bad input."""
        try:
            await call(ctx, "getBlueprint", blueprint_id=self.blueprint_id)
        except NotFound:
            raise refuse(f"{FIELDS}.blueprint_id", f"no blueprint {self.blueprint_id} in Printify's catalog") from None
        try:
            found = await call(
                ctx, "getProviderVariants", blueprint_id=self.blueprint_id, print_provider_id=self.print_provider_id
            )
        except NotFound:
            msg = f"print provider {self.print_provider_id} does not print blueprint {self.blueprint_id}"
            raise refuse(f"{FIELDS}.print_provider_id", msg) from None
        variants: list[Json] = found.get("variants", []) if isinstance(found, dict) else list(found or [])
        return variants

    def chosen(self, catalog: list[Json]) -> list[tuple[Wanted, Json]]:
        """Each wanted variant with its catalog variant; one that matches none (or several) is refused."""
        pairs, errors = [], []
        for want in self.variants:
            hits = [c for c in catalog if want.matches(c)]
            if len(hits) == 1:
                pairs.append((want, hits[0]))
            else:
                what = want.variant_id if want.variant_id is not None else want.options
                why = "matches no" if not hits else f"matches {len(hits)}"
                errors.append({"loc": want.loc, "msg": f"{what} {why} variant of provider {self.print_provider_id}"})
        if errors:
            raise ValidationError(errors=errors, platform=SLUG)
        positions = {p.get("position") for _, c in pairs for p in c.get("placeholders") or []}
        if self.print_areas is None and positions and self.position not in positions:
            raise refuse(f"{FIELDS}.position", f"this blueprint prints on {', '.join(sorted(map(str, positions)))}")
        return pairs


async def upload(ctx: StoreContext, images: list[ProductImage]) -> list[str]:
    """Each image uploaded to Printify's media library by URL (Printify fetches it): the upload ids."""
    ids = []
    for image in images:
        url = str(image.url)
        name = posixpath.basename(urlsplit(url).path) or "design.png"
        uploaded: Json = await call(ctx, "uploadImage", json={"file_name": name, "url": url})
        ids.append(str(uploaded["id"]))
    return ids


def creation_body(item: ProductInput, plan: Blueprint, pairs: list[tuple[Wanted, Json]], uploads: list[str]) -> Json:
    """POST products.json: the product, its variants' prices and its print areas."""
    variant_ids = [int(c["id"]) for _, c in pairs]
    areas = plan.print_areas or [
        {
            "variant_ids": variant_ids,
            "placeholders": [
                {
                    "position": plan.position,
                    "images": [{"id": i, "x": 0.5, "y": 0.5, "scale": 1, "angle": 0} for i in uploads],
                }
            ],
        }
    ]
    body: Json = {
        "title": item.title,
        "description": item.description or "",
        "blueprint_id": plan.blueprint_id,
        "print_provider_id": plan.print_provider_id,
        "variants": [{"id": int(c["id"]), "price": w.price, "is_enabled": w.enabled} for w, c in pairs],
        "print_areas": areas,
    }
    if item.tags:
        body["tags"] = list(item.tags)
    return body
