"""The shell blocks of docs/cli.md and the README's sandbox-store block run as written, each line
its own `fusionhub` process on one fresh database, in order; each exits 0 without a traceback."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

pytest.importorskip("fusionhub_shopify")
ROOT = Path(__file__).resolve().parents[1]


def _commands(path: Path, only_with: str | None = None) -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", path.read_text("utf-8"), re.DOTALL)
    lines = [line for block in blocks if only_with is None or only_with in block for line in block.splitlines()]
    return [shlex.split(line, comments=True) for line in lines if line.strip()]


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "fusionhub", argv
    return subprocess.run(  # noqa: S603 - the documented argv, no shell
        [sys.executable, "-m", "fusionhub.cli", *argv[1:]], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize(
    ("doc", "only_with"), [("docs/cli.md", None), ("README.md", "--sandbox")], ids=["docs-cli", "readme"]
)
def test_the_documented_commands_run(tmp_path: Path, doc: str, only_with: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    env.update(
        FUSIONHUB_DATABASE_URL=f"sqlite:///{tmp_path / 'hub.db'}", FUSIONHUB_SECRET_KEYS=Fernet.generate_key().decode()
    )
    commands = _commands(ROOT / doc, only_with)
    assert commands and commands[0][:3] == ["fusionhub", "stores", "add"]
    outputs = []
    for argv in commands:
        done = _run(argv, env)
        assert done.returncode == 0, f"{shlex.join(argv)}\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr
        outputs.append(done.stdout)
    if doc == "docs/cli.md":  # the rename one process made is what the next one reads
        renamed = next(out for argv, out in zip(commands, outputs, strict=True) if "get_product" in argv)
        assert "title: Renamed" in renamed, renamed
        shown = json.loads(_run(["fusionhub", "stores", "show", "try-shop", "--json"], env).stdout)
        assert shown["sandbox"]["version"] >= 1 and shown["simulated_limit"] is None  # ended by --end
