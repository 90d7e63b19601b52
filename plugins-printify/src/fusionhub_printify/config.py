"""A store's Printify settings (manifest.toml's config_schema): which shop, how old a webhook may be."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fusionhub.plugin import ValidationError

SLUG = "printify"
SHOP_ID = re.compile(r"^[1-9][0-9]{0,18}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class ShopConfig:
    shop_id: int
    currency: str = "USD"
    webhook_max_age_seconds: float | None = None

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> ShopConfig:
        raw = config.get("shop_id")
        if isinstance(raw, bool) or not SHOP_ID.match(str(raw if raw is not None else "")):
            raise ValidationError(
                errors=[{"loc": "config.shop_id", "msg": "set the numeric Printify shop id (GET /v1/shops.json)"}],
                platform=SLUG,
            )
        max_age = config.get("webhook_max_age_seconds")
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int | float) or max_age <= 0):
            raise ValidationError(
                errors=[{"loc": "config.webhook_max_age_seconds", "msg": "a number of seconds above 0"}], platform=SLUG
            )
        currency = config.get("currency", "USD")
        if not isinstance(currency, str) or not CURRENCY.match(currency):
            raise ValidationError(
                errors=[{"loc": "config.currency", "msg": "an ISO 4217 code in capitals, such as USD"}], platform=SLUG
            )
        return cls(
            shop_id=int(str(raw)),
            currency=currency,
            webhook_max_age_seconds=float(max_age) if max_age is not None else None,
        )
