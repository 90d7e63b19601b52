"""`fusionhub stores connect` end to end: the command (a real process) listens for the callback and
prints the consent URL; the test approves the app on the Shopify sandbox server's consent page and
follows the redirect to the command's callback; the command exchanges the code at the same sandbox
and saves the store, which a second process then uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
from connect_fixtures import click_approve, sandbox_server
from cryptography.fernet import Fernet

from fusionhub.plugin import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

SHOP = "sandbox-shop.myshopify.com"
FIELDS = (f"shop={SHOP}", f"client_id={SANDBOX_CLIENT_ID}", f"client_secret={SANDBOX_CLIENT_SECRET}")


def _env(tmp_path: Path, sandbox: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    env.update(
        FUSIONHUB_SANDBOX=sandbox,
        FUSIONHUB_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        FUSIONHUB_SECRET_KEYS=Fernet.generate_key().decode(),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    return env


def _connect(env: dict[str, str], *fields: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "fusionhub.cli", "stores", "connect", "shopify", "--flow", "install", "--port", "0"]
    for field in fields:
        argv += ["--field", field]
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [*argv, "--timeout", "60"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _consent_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    said = []
    for line in process.stderr:
        if line.startswith("https://"):
            return line.strip()
        said.append(line)
    raise AssertionError(f"no consent URL printed; exit {process.wait(10)}: {''.join(said)}")


def test_stores_connect_runs_the_install_flow_with_a_local_callback(tmp_path: Path) -> None:
    with sandbox_server("shopify") as sandbox:
        env = _env(tmp_path, sandbox)
        process = _connect(env, *FIELDS)
        try:
            consent_url = _consent_url(process)
            query = dict(parse_qsl(urlsplit(consent_url).query))
            assert query["redirect_uri"].startswith("http://127.0.0.1:")
            assert query["redirect_uri"].endswith("/connect/shopify/callback")
            callback = click_approve(sandbox, consent_url)
            assert callback.startswith(query["redirect_uri"] + "?")
            landed = httpx.get(callback, timeout=30)
            assert landed.status_code == 200 and "Connected sandbox-shop (shopify)" in landed.text
            out, err = process.communicate(timeout=30)
        finally:
            process.kill()
        assert process.returncode == 0, err
        assert out.startswith("connected sandbox-shop (shopify) ")
        assert SANDBOX_CLIENT_SECRET not in out + err
        run = subprocess.run(
            [sys.executable, "-m", "fusionhub.cli", "run", "sandbox-shop", "list_products", "--wait", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        job = json.loads(run.stdout)
        assert job["status"] == "succeeded" and len(job["result"]["items"]) > 0, job


def test_a_forged_callback_to_the_command_is_refused_and_nothing_saved(tmp_path: Path) -> None:
    with sandbox_server("shopify") as sandbox:
        env = _env(tmp_path, sandbox)
        process = _connect(env, *FIELDS)
        try:
            consent_url = _consent_url(process)
            callback = click_approve(sandbox, consent_url)
            forged = callback.replace("state=", "state=forged")
            landed = httpx.get(forged, timeout=30)
            assert landed.status_code == 400 and "Not connected" in landed.text
            _, err = process.communicate(timeout=30)
        finally:
            process.kill()
        assert process.returncode == 1 and "hmac does not match" in err, err
        listed = subprocess.run(
            [sys.executable, "-m", "fusionhub.cli", "stores", "list", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert json.loads(listed.stdout) == []


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "fusionhub.cli", *args], env=env, capture_output=True, text=True, timeout=90, check=False
    )


def test_sandbox_approve_connects_etsy_offline_and_another_process_uses_the_store(tmp_path: Path) -> None:
    """A new user's offline try: the command approves on the Etsy sandbox server's consent page itself."""
    with sandbox_server("etsy") as sandbox:
        env = _env(tmp_path, sandbox)
        fields = [f"keystring={SANDBOX_CLIENT_ID}", f"shared_secret={SANDBOX_CLIENT_SECRET}", "shop_id=31415926"]
        argv = ["stores", "connect", "etsy", "--name", "try-etsy", "--port", "0", "--sandbox-approve", "--json"]
        connected = _cli(env, *argv, *[a for f in fields for a in ("--field", f)])
        assert connected.returncode == 0, connected.stderr
        assert json.loads(connected.stdout)["name"] == "try-etsy"
        assert "https://www.etsy.com/oauth/connect?" in connected.stderr  # the consent URL, printed
        ran = _cli(env, "run", "try-etsy", "list_products", "--wait", "--json")
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout)["status"] == "succeeded"


def test_sandbox_approve_is_refused_outside_a_sandbox(tmp_path: Path) -> None:
    env = _env(tmp_path, "")
    del env["FUSIONHUB_SANDBOX"]
    refused = _cli(env, "stores", "connect", "etsy", "--sandbox-approve")
    assert refused.returncode == 2 and "set FUSIONHUB_SANDBOX first" in refused.stderr
