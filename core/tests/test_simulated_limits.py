"""`stores simulate-rate-limit`: kept in the database, so every process honours it until it ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture

from fusionhub.cli import cli
from fusionhub.errors import ValidationError
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database

pytest.importorskip("fusionhub_example", reason="sandbox stores of the example fixture plugin (5 requests/s)")


@pytest.fixture
async def pair(database: Database) -> AsyncIterator[tuple[Runtime, Runtime]]:  # noqa: F811
    keys = Keyring([Fernet.generate_key().decode()], "test keys")
    registry = Registry.discover()
    second = Database(database.url, schema=database.schema)
    runtimes = [Runtime(db, registry=registry, keyring=keys, store_ttl=0.0) for db in (database, second)]
    for runtime in runtimes:
        await runtime.register_plugins()
    yield runtimes[0], runtimes[1]
    await runtimes[1].aclose()
    await runtimes[0].hub.aclose()


async def test_a_simulation_set_in_one_runtime_lowers_the_other_until_it_ends(pair: tuple[Runtime, Runtime]) -> None:
    one, other = pair
    await one.sandboxes.add_store(one.stores, "shop", "example")
    assert (await other.context("shop")).limiter.simulation is None

    limit = await one.simulate_rate_limit("shop", 0.1, 600)
    assert limit is not None and limit.factor == 0.1
    simulation = (await other.context("shop")).limiter.simulation  # rebuilt: the store changed
    assert simulation is not None and simulation.until == pytest.approx(limit.until)
    assert simulation.spec.window == pytest.approx(10.0)  # 5 requests a second → 5 every 10 seconds

    assert await one.simulate_rate_limit("shop", 0.1, 0) is None  # ended
    assert (await other.context("shop")).limiter.simulation is None


async def test_impossible_simulations_are_refused_by_field(pair: tuple[Runtime, Runtime]) -> None:
    one, _ = pair
    await one.sandboxes.add_store(one.stores, "shop", "example")
    with pytest.raises(ValidationError) as caught:
        await one.simulate_rate_limit("shop", 0.0, -1)
    assert {e["loc"] for e in caught.value.errors} == {"factor", "duration"}


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    env.update(
        FUSIONHUB_DATABASE_URL=f"sqlite:///{tmp_path / 'hub.db'}",
        FUSIONHUB_SECRET_KEYS=Fernet.generate_key().decode(),
        COLUMNS="200",
    )
    return env


def _cli(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _jobs(env: dict[str, str]) -> list[dict[str, Any]]:
    return list(_cli(env, "jobs", "list", "--limit", "100"))


@pytest.mark.slow
def test_a_separate_worker_process_honours_the_simulation_until_it_ends(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _cli(env, "stores", "add", "shop", "example", "--sandbox")
    worker = subprocess.Popen(
        [sys.executable, "-m", "fusionhub.cli", "worker", "--no-events"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Set after the worker started: it sees the store change and lowers its own limiter.
        limited = _cli(env, "stores", "simulate-rate-limit", "shop", "--factor", "0.01", "--for", "10m")
        assert limited["simulated_limit"]["factor"] == 0.01
        time.sleep(2.5)  # longer than the worker's store_ttl
        for n in range(12):
            _cli(env, "run", "shop", "list_products", "--params", json.dumps({"limit": 1 + n}))
        time.sleep(8)  # at its own 5 requests a second the worker would be done with all 12 by now
        jobs = _jobs(env)
        done = [j for j in jobs if j["status"] in ("succeeded", "failed")]
        # 5 requests per 100 s (a hundredth of 5 a second): the bucket's 5, then one every 20 s.
        assert len(done) <= 6, [j["status"] for j in jobs]
        assert sum(j["throttled"] for j in jobs) > 0

        _cli(env, "stores", "simulate-rate-limit", "shop", "--end")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(j["status"] != "succeeded" for j in _jobs(env)):
            time.sleep(1)
        assert [j["status"] for j in _jobs(env)] == ["succeeded"] * 12
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=60)
    assert "Traceback" not in err, err
