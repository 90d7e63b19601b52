"""`fusionhub keys rotate`: re-encrypt every store's credentials under the newest key."""

from __future__ import annotations

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, run_async
from fusionhub.secrets import Keyring


@click.group()
def keys() -> None:
    """Keys that encrypt credentials at rest (FUSIONHUB_SECRET_KEYS or the generated key file)."""


@keys.command("rotate")
@click.option(
    "--new-key/--no-new-key",
    default=True,
    help="Key file: add a new key in front first. FUSIONHUB_SECRET_KEYS: put the new key first yourself.",
)
@database_option
@json_option
@run_async
async def rotate(new_key: bool, database: str | None, as_json: bool) -> None:
    """Re-encrypt all stores under the newest key, all or nothing (older keys still decrypt until removed)."""
    keyring = Keyring.load()
    if new_key and keyring.key_file is not None:
        keyring = keyring.with_new_key()
    runtime = await open_runtime(database, keyring=keyring)
    try:
        count = await runtime.stores.rotate_keys(keyring)
    finally:
        await runtime.aclose()
    if as_json:
        echo_json({"stores": count, "keys": keyring.size, "source": keyring.source})
    else:
        click.echo(f"re-encrypted {count} store(s) under the newest of {keyring.size} key(s) from {keyring.source}")
