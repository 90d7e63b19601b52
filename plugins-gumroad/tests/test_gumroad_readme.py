"""The README's example runs as written (offline, on the plugin's sandbox)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_readme_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # its database file goes here
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    (block,) = python_blocks()
    exec(compile(block, str(README), "exec"), {"__name__": "readme"})  # noqa: S102 - our own documentation
    assert "Sample ebook" in capsys.readouterr().out
    assert (tmp_path / "gumroad-try.db").exists()
