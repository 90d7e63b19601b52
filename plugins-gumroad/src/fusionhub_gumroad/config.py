"""A store's settings (manifest `config_schema`), read once per call with clear errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fusionhub.plugin import ValidationError
from fusionhub_gumroad.endpoints import SLUG

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class GumroadConfig:
    currency: str = "USD"
    allow_permanent_delete: bool = False

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> GumroadConfig:
        unknown = sorted(set(config) - {"currency", "allow_permanent_delete"})
        if unknown:
            raise _invalid(unknown[0], "not a Gumroad store setting (currency, allow_permanent_delete)")
        currency = config.get("currency", "USD")
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise _invalid("currency", "an ISO 4217 code in capitals, e.g. USD")
        allow = config.get("allow_permanent_delete", False)
        if not isinstance(allow, bool):
            raise _invalid("allow_permanent_delete", "true or false")
        return cls(currency, allow)


def _invalid(key: str, why: str) -> ValidationError:
    return ValidationError(errors=[{"loc": f"store.config.{key}", "msg": why}], platform=SLUG)
