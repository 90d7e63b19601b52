"""The fake shop's state and Etsy's response shapes (field sets of the OpenAPI document's schemas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Json = dict[str, Any]
CURRENCY = "USD"
USER_ID = 50_123_456


def money(amount: Decimal | float | str, currency: str = CURRENCY) -> Json:
    """Etsy Money: integer amount in the currency's minor unit over a divisor."""
    return {"amount": int((Decimal(str(amount)) * 100).to_integral_value()), "divisor": 100, "currency_code": currency}


@dataclass
class World:
    shop_id: int
    listings: dict[int, Json] = field(default_factory=dict)
    inventories: dict[int, Json] = field(default_factory=dict)
    images: dict[int, list[Json]] = field(default_factory=dict)
    receipts: dict[int, Json] = field(default_factory=dict)
    last_id: int = 1_000_000  # a plain number, not an iterator: the world is kept between processes

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    # --- listings ------------------------------------------------------------------------------

    def new_listing(self, now: int, fields: Json, state: str = "draft") -> Json:
        listing_id = self.next_id()
        listing: Json = {
            "listing_id": listing_id,
            "user_id": USER_ID,
            "shop_id": self.shop_id,
            "title": fields["title"],
            "description": fields["description"],
            "state": state,
            "creation_timestamp": now,
            "created_timestamp": now,
            "ending_timestamp": now + 120 * 86_400,
            "original_creation_timestamp": now,
            "last_modified_timestamp": now,
            "updated_timestamp": now,
            "state_timestamp": now,
            "quantity": int(fields["quantity"]),
            "shop_section_id": fields.get("shop_section_id"),
            "featured_rank": -1,
            "url": f"https://www.etsy.com/listing/{listing_id}",
            "num_favorers": 0,
            "non_taxable": False,
            "is_taxable": True,
            "is_customizable": False,
            "is_personalizable": False,
            "personalization_is_required": False,
            "personalization_char_count_max": None,
            "personalization_instructions": None,
            "listing_type": "physical",
            "tags": list(fields.get("tags", [])),
            "materials": list(fields.get("materials", [])),
            "shipping_profile_id": fields.get("shipping_profile_id"),
            "return_policy_id": fields.get("return_policy_id"),
            "processing_min": 1,
            "processing_max": 3,
            "who_made": fields["who_made"],
            "when_made": fields["when_made"],
            "is_supply": False,
            "item_weight": None,
            "item_weight_unit": "oz",
            "item_length": None,
            "item_width": None,
            "item_height": None,
            "item_dimensions_unit": "in",
            "is_private": False,
            "style": [],
            "file_data": "",
            "has_variations": False,
            "should_auto_renew": False,
            "language": "en-US",
            "price": money(fields["price"]),
            "taxonomy_id": int(fields["taxonomy_id"]),
            "readiness_state_id": 4_000_001,
        }
        self.listings[listing_id] = listing
        self.images[listing_id] = []
        sku = fields.get("sku", "")
        self.inventories[listing_id] = {
            "products": [self.new_product(sku, [], fields["price"], int(fields["quantity"]), True)],
            "price_on_property": [],
            "quantity_on_property": [],
            "sku_on_property": [],
            "readiness_state_on_property": [],
        }
        return listing

    def new_product(self, sku: str, properties: list[Json], price: Any, quantity: int, enabled: bool) -> Json:
        return {
            "product_id": self.next_id(),
            "sku": sku,
            "is_deleted": False,
            "offerings": [
                {
                    "offering_id": self.next_id(),
                    "quantity": quantity,
                    "is_enabled": enabled,
                    "is_deleted": False,
                    "price": money(price),
                    "readiness_state_id": 4_000_001,
                }
            ],
            "property_values": [
                {
                    "property_id": p["property_id"],
                    "property_name": p.get("property_name"),
                    "scale_id": p.get("scale_id"),
                    "scale_name": None,
                    "value_ids": list(p.get("value_ids") or [self.next_id() for _ in p.get("values", [])]),
                    "values": list(p.get("values", [])),
                }
                for p in properties
            ],
        }

    def touch_listing(self, listing_id: int, now: int) -> None:
        listing = self.listings[listing_id]
        listing["last_modified_timestamp"] = listing["updated_timestamp"] = now
        products = [p for p in self.inventories[listing_id]["products"] if not p["is_deleted"]]
        offerings = [o for p in products for o in p["offerings"] if o["is_enabled"]]
        listing["quantity"] = sum(o["quantity"] for o in offerings)
        if offerings:
            cheapest = min(offerings, key=lambda o: o["price"]["amount"] / o["price"]["divisor"])
            listing["price"] = dict(cheapest["price"])
        listing["has_variations"] = any(p["property_values"] for p in products)

    def image(self, listing_id: int, rank: int, alt: str, now: int) -> Json:
        image_id = self.next_id()
        base = f"https://i.etsystatic.com/{self.shop_id}/r/il/{image_id}"
        return {
            "listing_id": listing_id,
            "listing_image_id": image_id,
            "hex_code": "A0B0C0",
            "red": 160,
            "green": 176,
            "blue": 192,
            "hue": 210,
            "saturation": 17,
            "brightness": 75,
            "is_black_and_white": False,
            "creation_tsz": now,
            "created_timestamp": now,
            "rank": rank,
            "url_75x75": f"{base}_75x75.jpg",
            "url_170x135": f"{base}_170x135.jpg",
            "url_570xN": f"{base}_570xN.jpg",
            "url_fullxfull": f"{base}_fullxfull.jpg",
            "full_height": 1000,
            "full_width": 1000,
            "alt_text": alt,
        }

    # --- receipts ------------------------------------------------------------------------------

    def new_receipt(self, now: int, listing_id: int | None = None, paid: bool = True) -> Json:
        receipt_id = self.next_id()
        listing = self.listings.get(listing_id) if listing_id else next(iter(self.listings.values()), None)
        price = Decimal(listing["price"]["amount"]) / listing["price"]["divisor"] if listing else Decimal("10")
        shipping = Decimal("4.50")
        transaction: Json = {
            "transaction_id": self.next_id(),
            "title": listing["title"] if listing else "Item",
            "description": listing["description"] if listing else "",
            "seller_user_id": USER_ID,
            "buyer_user_id": 70_000_001,
            "create_timestamp": now,
            "created_timestamp": now,
            "paid_timestamp": now if paid else None,
            "shipped_timestamp": None,
            "quantity": 1,
            "listing_image_id": None,
            "receipt_id": receipt_id,
            "is_digital": False,
            "file_data": "",
            "listing_id": listing["listing_id"] if listing else None,
            "transaction_type": "listing",
            "product_id": None,
            "sku": "",
            "price": money(price),
            "shipping_cost": money(shipping),
            "variations": [],
            "product_data": [],
            "shipping_profile_id": None,
            "min_processing_days": 1,
            "max_processing_days": 3,
            "shipping_method": "Standard",
            "shipping_upgrade": "",
            "expected_ship_date": now + 3 * 86_400,
            "buyer_coupon": 0,
            "shop_coupon": 0,
        }
        receipt: Json = {
            "receipt_id": receipt_id,
            "receipt_type": 0,
            "seller_user_id": USER_ID,
            "seller_email": "seller@example.com",
            "buyer_user_id": 70_000_001,
            "buyer_email": "buyer@example.com",
            "name": "Ada Buyer",
            "first_line": "1 Market Street",
            "second_line": "",
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
            "status": "paid" if paid else "open",
            "formatted_address": "Ada Buyer\n1 Market Street\nSpringfield, IL 62701\nUnited States",
            "country_iso": "US",
            "payment_method": "cc",
            "payment_email": "",
            "message_from_seller": "",
            "message_from_buyer": "",
            "message_from_payment": "",
            "is_paid": paid,
            "is_shipped": False,
            "create_timestamp": now,
            "created_timestamp": now,
            "update_timestamp": now,
            "updated_timestamp": now,
            "is_gift": False,
            "gift_message": "",
            "gift_sender": "",
            "grandtotal": money(price + shipping),
            "subtotal": money(price),
            "total_price": money(price),
            "total_shipping_cost": money(shipping),
            "total_tax_cost": money(0),
            "total_vat_cost": money(0),
            "discount_amt": money(0),
            "gift_wrap_price": money(0),
            "shipments": [],
            "transactions": [transaction],
            "refunds": [],
        }
        self.receipts[receipt_id] = receipt
        return receipt

    def touch_receipt(self, receipt_id: int, now: int) -> Json:
        receipt = self.receipts[receipt_id]
        receipt["update_timestamp"] = receipt["updated_timestamp"] = now
        return receipt
