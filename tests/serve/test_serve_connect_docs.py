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


def test_the_offline_try_in_serve_md_uses_the_sandboxs_own_values() -> None:
    from fusionhub.clock import SYSTEM_CLOCK
    from fusionhub_etsy.sandbox import EtsySandbox

    serve = (DOC.parent / "serve.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```bash\n(.*?)```", serve, re.S) if "--sandbox-approve" in b]
    sandbox = EtsySandbox(SYSTEM_CLOCK)
    expected = {**sandbox.credentials(), **sandbox.store_config()}
    fields = dict(re.findall(r"--field (\w+)=(\S+)", block))
    assert fields == {k: str(expected[k]) for k in ("keystring", "shared_secret", "shop_id")}
