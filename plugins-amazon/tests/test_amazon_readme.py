"""The README's runnable snippet (the seller authorization against the sandbox) runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_sandbox_authorization_snippet_runs() -> None:
    runnable = [block for block in python_blocks() if "AmazonSandbox" in block]
    assert len(runnable) == 1
    exec(compile(runnable[0], str(README), "exec"), {"__name__": "readme"})  # noqa: S102 - our own README
