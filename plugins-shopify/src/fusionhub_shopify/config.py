"""A store's Shopify settings: which shop, which API version, which defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fusionhub.plugin import ValidationError

# The version the base documents are written for and validated against
# (shared/specs/shopify/admin_schema_2025-01.json.gz); later changes live in graphql/<version>/.
BASE_API_VERSION = "2025-01"
# What a store talks unless its config says otherwise: a current, supported release (Shopify keeps
# each quarterly version about a year, so 2025-01 itself is retired by now).
DEFAULT_API_VERSION = "2026-10"
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
API_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")


@dataclass(frozen=True, slots=True)
class ShopConfig:
    shop: str
    api_version: str = DEFAULT_API_VERSION
    location_id: str | None = None
    currency: str | None = None
    webhook_max_age_seconds: float | None = None

    @classmethod
    def of(cls, config: dict[str, Any]) -> ShopConfig:
        shop = str(config.get("shop", "")).strip().lower()
        version = str(config.get("api_version") or DEFAULT_API_VERSION)
        errors = []
        if not SHOP_DOMAIN.match(shop):
            errors.append({"loc": "config.shop", "msg": "must be the shop's myshopify.com domain"})
        if not API_VERSION.match(version):
            errors.append({"loc": "config.api_version", "msg": "must look like 2025-01 (quarterly releases)"})
        if errors:
            raise ValidationError(errors=errors, platform="shopify")
        max_age = config.get("webhook_max_age_seconds")
        return cls(
            shop=shop,
            api_version=version,
            location_id=config.get("location_id"),
            currency=config.get("currency"),
            webhook_max_age_seconds=float(max_age) if max_age is not None else None,
        )

    @property
    def admin_url(self) -> str:
        return f"https://{self.shop}/admin/api/{self.api_version}"

    @property
    def graphql_url(self) -> str:
        return f"{self.admin_url}/graphql.json"
