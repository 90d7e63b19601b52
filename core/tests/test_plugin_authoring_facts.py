"""The snippets of docs/plugin-authoring.md section 7 (errors, webhooks, secret names, rate headers) run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md"


def _snippets() -> list[str]:
    text = DOC.read_text()
    section = text[text.index("## 7. Platform facts as data") :]
    end = re.compile(r"\n## \d").search(section, 3)
    section = section[: end.start()] if end else section
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_section_has_its_snippets() -> None:
    assert len(_snippets()) == 4


@pytest.mark.parametrize("number", range(4))
def test_snippet_runs(number: int) -> None:
    exec(compile(_snippets()[number], f"{DOC.name}#section7-{number}", "exec"), {})  # noqa: S102
