"""Which product fields a Printify PUT may change, as data (update_product refuses the others before sending)."""

from __future__ import annotations

# ProductChanges fields Printify has no writable counterpart for.
READ_ONLY_CHANGES = {
    "vendor": "Printify products have no vendor: the print provider is fixed at creation",
    "product_type": "the blueprint decides a Printify product's type and is fixed at creation",
}
# Product fields Printify sets itself or fixes at creation (platform_fields naming them are refused).
READ_ONLY_FIELDS = {
    "id": "assigned by Printify",
    "blueprint_id": "fixed at creation: create a new product from another blueprint",
    "print_provider_id": "fixed at creation: create a new product with another print provider",
    "options": "come from the blueprint's catalog variants",
    "images": "mockups Printify renders from the print areas",
    "is_locked": "set by Printify while a product is being published",
    "shop_id": "the store's shop",
    "user_id": "the account",
    "external": "set by publishing_succeeded",
    "created_at": "set by Printify",
    "updated_at": "set by Printify",
}
# Variant fields that come from the catalog (a variant's price and availability are what can change).
READ_ONLY_VARIANT = ("title", "options", "compare_at_price", "barcode", "inventory_item_id")
# platform_fields sent as they are in the PUT body.
WRITABLE_FIELDS = ("print_areas",)
# platform_fields that acknowledge a publication (POST publishing_succeeded.json / publishing_failed.json).
PUBLISHING_SUCCEEDED = "publishing_succeeded"  # {"id": <the channel's id>, "handle": <its URL>}
PUBLISHING_FAILED = "publishing_failed"  # "<the reason>"
# What a publish call asks the sales channel to take over from Printify (POST publish.json).
PUBLISH_ALL = {
    "title": True,
    "description": True,
    "images": True,
    "variants": True,
    "tags": True,
    "keyFeatures": True,
    "shipping_template": True,
}
