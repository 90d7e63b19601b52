"""The authoring guide's sandbox toolkit example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md"


def test_the_sandbox_toolkit_example_runs() -> None:
    section = GUIDE.read_text().split("### Sandbox toolkit", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{GUIDE}:Sandbox toolkit", "exec"), {"__name__": "guide_example"})  # noqa: S102 (our own doc)
