"""Two processes find the same store's access token expired at once: one refreshes, the other
uses what it saved (the refresh token is single-use, as Etsy's is). 20 trials, no failure, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oauth_fakes import SLUG, TokenServer, registry

from fusionhub.errors import TransientError
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage.refresh_locks import RefreshLocks

RACER = Path(__file__).parent / "refresh_race_main.py"
TRIALS = 20
RACERS = ("a", "b")


def _expired(refresh_token: str) -> dict[str, str]:
    return {
        "access_token": "at-refresh-race-stale-0001",
        "refresh_token": refresh_token,
        "expires_at": repr(time.time() - 100),
    }


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


async def _expire(url: str, refresh_token: str, *, add: bool = False) -> None:
    """The store's access token expired, with this refresh token (the one the platform holds)."""
    runtime = await Runtime.open(url, registry=registry(), keyring=Keyring.load())
    if add:
        await runtime.stores.add("shop", SLUG, _expired(refresh_token))
    else:
        await runtime.stores.update_credentials("shop", _expired(refresh_token))
    await runtime.aclose()


def _spawn(url: str, server: TokenServer, sync: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(RACER), url, str(server.state), str(sync), str(TRIALS), name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_processes_refreshing_one_expired_token_never_fail(
    process_db_url: str, tmp_path: Path, secret_keys: str
) -> None:
    server = TokenServer(tmp_path / "platform.json")
    server.reset("refresh-0")
    asyncio.run(_expire(process_db_url, "refresh-0", add=True))
    sync = tmp_path / "sync"
    sync.mkdir()
    racers = [_spawn(process_db_url, server, sync, name) for name in RACERS]
    try:
        for name in RACERS:
            _wait_for(sync / f"ready-{name}")
        for trial in range(TRIALS):
            if trial:  # expired again
                asyncio.run(_expire(process_db_url, server.current_refresh()))
            ready = sync / f"go-{trial}.tmp"
            ready.write_text(repr(time.time() + 0.3))
            ready.rename(sync / f"go-{trial}")  # at once: a racer never reads it half written
            for name in RACERS:
                _wait_for(sync / f"result-{trial}-{name}")
        for racer in racers:
            _out, err = racer.communicate(timeout=60)
            assert racer.returncode == 0, err[-2000:]
    finally:
        for racer in racers:
            if racer.returncode is None:  # not communicated with: the test failed, show why
                if racer.poll() is None:
                    racer.send_signal(signal.SIGUSR1)
                    time.sleep(0.5)
                    racer.kill()
                print(racer.communicate()[1][-5000:])
    outcomes = [(sync / f"result-{t}-{n}").read_text() for t in range(TRIALS) for n in RACERS]
    assert [o for o in outcomes if o != "ok"] == []
    # One refresh per trial: the process that lost the race used the token the winner saved.
    assert server.current_refresh() == f"refresh-{TRIALS}"


async def test_a_held_refresh_lock_is_waited_for_then_refused_and_a_dead_holders_lapses(
    process_db_url: str, secret_keys: str
) -> None:
    await _expire(process_db_url, "refresh-0", add=True)
    runtime = await Runtime.open(process_db_url, registry=registry(), keyring=Keyring.load())
    store_id = (await runtime.stores.get("shop")).id
    locks = RefreshLocks(runtime.db, ttl=0.5, patience=0.2, poll=0.01)
    other = RefreshLocks(runtime.db, ttl=0.5, patience=0.2, poll=0.01)
    try:
        async with locks.held(store_id):
            with pytest.raises(TransientError, match="another process has been refreshing"):
                async with other.held(store_id):
                    pass
        async with other.held(store_id):  # released: taken at once
            pass
        if not runtime.db.sqlite:
            return  # PostgreSQL: a dead holder's connection closes, and its advisory lock with it
        holder = locks.held(store_id)
        await holder.__aenter__()  # taken, never released: its process died
        await asyncio.sleep(0.6)
        async with other.held(store_id):  # the row lapsed after its ttl
            pass
    finally:
        await runtime.aclose()
