"""`fusionhub serve` from the command line: listed, and a refusal is one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from live_server import free_port

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


def _serve_until_ready(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """`fusionhub serve` on a loopback port; its first lines once it answers."""
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "fusionhub.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline().strip(), process.stdout.readline().strip()]
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, lines
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return process, lines
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, lines
        time.sleep(0.2)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_on_loopback_a_token_is_generated_printed_once_and_kept(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    env.update(
        PYTHONUNBUFFERED="1",
        XDG_DATA_HOME=str(tmp_path / "data"),
        FUSIONHUB_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
    )
    port = free_port()
    process, lines = _serve_until_ready(env, port)
    try:
        assert lines[0] == f"fusionhub serve: http://127.0.0.1:{port}/ (webhooks: POST /webhooks/STORE)"
        kept = tmp_path / "data" / "fusionhub" / "admin.token"
        assert lines[1].startswith(f"admin token (kept in {kept}): ")
        token = lines[1].rsplit(" ", 1)[1]
        assert kept.read_text().strip() == token and len(token) >= 32
        api = f"http://127.0.0.1:{port}/api/stores"
        assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert httpx.get(api, headers={"Authorization": "Bearer not-it-0123456789"}).status_code == 401
    finally:
        _stop(process)
    process, lines = _serve_until_ready(env, port)  # the next start: the same token, not printed again
    try:
        assert lines[1] == f"admin token: the one in {kept}" and token not in "\n".join(lines)
        assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        _stop(process)
