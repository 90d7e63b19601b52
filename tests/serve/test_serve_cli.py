"""`fusionhub serve` from the command line: listed, and a refusal is one line, never a traceback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


def test_beyond_loopback_without_a_token_is_a_one_line_refusal(fusionhub_cli: CliRunner, tmp_path: Path) -> None:
    result = fusionhub_cli("serve", "--host", "0.0.0.0", env={"XDG_DATA_HOME": str(tmp_path)})  # noqa: S104
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: refusing to serve on '0.0.0.0'") and "FUSIONHUB_ADMIN_TOKEN" in line
    assert not (tmp_path / "fusionhub" / "admin.token").exists()


def test_serve_is_a_command(fusionhub_cli: CliRunner) -> None:
    listing = fusionhub_cli("--help")
    assert "serve" in listing.stdout
    usage = fusionhub_cli("serve", "--help")
    assert usage.returncode == 0 and "--host" in usage.stdout and "--port" in usage.stdout
