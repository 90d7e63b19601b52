"""The README's Python blocks run as written, against the Shopify sandbox: only the placeholders a
reader fills in (token, client secret, shop) are replaced by the sandbox's documented ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.runtime import Runtime
from fusionhub_shopify.sandbox import ShopifySandbox

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_its_tour() -> None:
    assert len(_blocks()) == 1 and "asyncio.run(main())" in _blocks()[0]


@pytest.mark.parametrize("number", range(len(_blocks())))
def test_a_readme_block_runs_on_the_sandbox(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = ShopifySandbox(SYSTEM_CLOCK)
    keys, config = sandbox.credentials(), sandbox.store_config()
    monkeypatch.setenv("FUSIONHUB_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    original = Runtime.open.__func__  # type: ignore[attr-defined]

    async def on_the_sandbox(cls: type[Runtime], url: str | None = None, **kwargs: Any) -> Runtime:
        kwargs.setdefault("transport_for", lambda store: sandbox.transport())
        return await original(cls, url, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Runtime, "open", classmethod(on_the_sandbox))
    code = (
        _blocks()[number]
        .replace("shpat_YOUR_TOKEN", keys["access_token"])
        .replace("YOUR_CLIENT_SECRET", keys["client_secret"])
        .replace("my-shop.myshopify.com", config["shop"])
    )
    exec(compile(code, f"README.md#python-{number}", "exec"), {"__name__": "__readme__"})  # noqa: S102
    printed = [line for line in capsys.readouterr().out.splitlines() if not line[:4].isdigit()]  # not log lines
    assert printed[0].startswith("native ['") and printed[-1] == "queued", printed
