"""The sandbox's slice of Printify's catalog: two blueprints, their print providers and variants.

Made-up but shaped like the real catalog (ids, titles, options, placeholders in pixels).
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

BLUEPRINTS: dict[int, Json] = {
    12: {"id": 12, "title": "Unisex Jersey Short Sleeve Tee", "brand": "Bella+Canvas", "model": "3001"},
    68: {"id": 68, "title": "Mug 11oz", "brand": "Generic brand", "model": "Mug 11oz"},
}
PROVIDERS: dict[int, dict[int, str]] = {12: {29: "Monster Digital", 99: "Printify Choice"}, 68: {1: "SPOKE Custom"}}
COLORS = {"White": 521, "Black": 418}  # option value ids
SIZES = {"S": 14, "M": 15, "L": 16, "11oz": 1189}
TEE_AREAS = [{"position": "front", "height": 3995, "width": 3153}, {"position": "back", "height": 3995, "width": 3153}]
MUG_AREAS = [{"position": "front", "height": 1200, "width": 2475}]


def _tee_variants(first_id: int, colors: list[str]) -> list[Json]:
    out = []
    for c, color in enumerate(colors):
        for s, size in enumerate(("S", "M", "L")):
            out.append(
                {
                    "id": first_id + c * 10 + s,
                    "title": f"{color} / {size}",
                    "options": {"color": color, "size": size},
                    "placeholders": TEE_AREAS,
                    "option_ids": [COLORS[color], SIZES[size]],
                    "cost": 1050 + s * 100,
                }
            )
    return out


VARIANTS: dict[tuple[int, int], list[Json]] = {
    (12, 29): _tee_variants(18100, ["White", "Black"]),
    (12, 99): _tee_variants(18500, ["White"]),
    (68, 1): [
        {
            "id": 33719,
            "title": "11oz",
            "options": {"size": "11oz"},
            "placeholders": MUG_AREAS,
            "option_ids": [SIZES["11oz"]],
            "cost": 520,
        }
    ],
}


def public_variant(variant: Json) -> Json:
    """A catalog variant as variants.json shows it (without the sandbox's bookkeeping)."""
    return {k: variant[k] for k in ("id", "title", "options", "placeholders")}


def option_lists(variants: list[Json]) -> list[Json]:
    """A product's `options`: each option with the values its variants use."""
    colors = {v["options"]["color"] for v in variants if "color" in v["options"]}
    sizes = {v["options"]["size"] for v in variants if "size" in v["options"]}
    options = []
    if colors:
        values = [{"id": COLORS[c], "title": c} for c in sorted(colors, key=COLORS.__getitem__)]
        options.append({"name": "Colors", "type": "color", "values": values})
    if sizes:
        values = [{"id": SIZES[s], "title": s} for s in sorted(sizes, key=SIZES.__getitem__)]
        options.append({"name": "Sizes", "type": "size", "values": values})
    return options
