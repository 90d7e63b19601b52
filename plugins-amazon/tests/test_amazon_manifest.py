"""The manifest is the README's capability table; its config schema says what a store's config may hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from fusionhub.capabilities import Capability
from fusionhub.contracts import load_manifest

README = Path(__file__).resolve().parents[1] / "README.md"
MANIFEST = load_manifest("fusionhub_amazon")
SCHEMA = Draft7Validator(MANIFEST.config_schema)


def test_the_readme_table_states_the_declared_levels() -> None:
    section = README.read_text().split("## Capabilities", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| \**(native|workaround|unsupported)\**", section, flags=re.M)
    assert dict(rows) == {c.value: MANIFEST.contract(c).level.value for c in Capability}


def test_unsupported_capabilities_explain_and_offer_a_manual_workaround() -> None:
    refund = MANIFEST.contract(Capability.PROCESS_REFUND)
    assert refund.explanation and refund.manual_workaround and "Seller Central" in refund.manual_workaround


def test_the_sandbox_store_config_fits_the_schema() -> None:
    from fusionhub.clock import VirtualClock
    from fusionhub_amazon.sandbox import AmazonSandbox

    Draft7Validator.check_schema(MANIFEST.config_schema)
    assert list(SCHEMA.iter_errors(AmazonSandbox(VirtualClock()).store_config())) == []


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ({"marketplace_ids": ["ATVPDKIKX0DER"]}, "'seller_id' is a required property"),
        ({"seller_id": "A2SANDBOXSELLER1", "marketplace_ids": []}, "should be non-empty"),
        ({"seller_id": "A2SANDBOXSELLER1", "marketplace_ids": ["ATVPDKIKX0DER"], "region": "ASIA"}, "is not one of"),
        ({"seller_id": "A2SANDBOXSELLER1", "marketplace_ids": ["ATVPDKIKX0DER"], "role_arn": "x"}, "Additional"),
    ],
)
def test_the_schema_refuses_what_is_not_amazons(config: dict[str, Any], why: str) -> None:
    assert any(why in error.message for error in SCHEMA.iter_errors(config))
