"""docs/connect.md's example declaration is a valid connect flow, and the one Shopify's manifest has."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from fusionhub.connect import ConnectFlow
from fusionhub.registry import Registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "connect.md"


def test_the_documented_declaration_is_shopifys_install_flow() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    (documented,) = [ConnectFlow.model_validate(flow) for flow in tomllib.loads(blocks[0])["connect"]]
    actual = next(
        f for f in Registry.discover(allow={"shopify"}).platform("shopify").manifest.connect if f.id == "install"
    )  # type: ignore[union-attr]
    shown = documented.model_dump(exclude={"description", "fields"}, exclude_unset=True)
    assert shown == actual.model_dump(include=set(shown))
    for field in documented.fields:
        real = next(f for f in actual.fields if f.name == field.name)
        assert (field.into, field.secret, field.pattern) == (real.into, real.secret, real.pattern)
