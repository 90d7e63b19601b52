"""A real `fusionhub worker` process runs jobs on a sandbox store; Prometheus' view of it is scraped:
the capability calls, the jobs it ran by outcome, and the queue's depth.

Everything is real but the platform: the jobs are queued by the CLI in a SQLite file, the worker
is its own process (FUSIONHUB_SANDBOX=1: the Shopify plugin's in-process sandbox), and its
metrics come over HTTP on loopback from fusionhub-prometheus, started through the
`fusionhub_start_exporters` hook with the port from FUSIONHUB_METRICS_PORT.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fusionhub import Registry
from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.runtime import Runtime

pytest.importorskip("fusionhub_prometheus", reason="the exporter under test")
pytest.importorskip("fusionhub_shopify", reason="the platform whose sandbox the jobs run on")
pytestmark = pytest.mark.slow

MISSING = "gid://shopify/Product/987654321"
HOUR = 3600.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    return {
        **base,
        "FUSIONHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "FUSIONHUB_SECRET_KEY_FILE": str(tmp_path / "keys"),
        "FUSIONHUB_SANDBOX": "1",
    }


def _cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "fusionhub.cli", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _total(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and want <= ls)


async def _enqueue_later(store: str) -> str:
    """A job due in an hour, queued through the Python API into the worker's database."""
    async with await Runtime.open() as runtime:
        job = await runtime.enqueue(store, "list_products", {"limit": 1}, run_at=runtime.clock.now() + HOUR)
        return job.id


def _until(check: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def worker(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    command = [sys.executable, "-m", "fusionhub.cli", "worker", "--concurrency", "2", "--no-events"]
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        command, env={**env, "FUSIONHUB_METRICS_PORT": str(port)}, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_a_running_worker_exposes_the_calls_and_jobs_it_just_ran_and_the_queue_depth(
    env: dict[str, str], worker: tuple[subprocess.Popen[str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Registry.discover(allow={"shopify"}).platform("shopify").impls["fusionhub_sandbox"]
    shop = sandbox(clock=SYSTEM_CLOCK, options={})
    pairs = [a for k, v in shop.credentials().items() for a in ("--credential", f"{k}={v}")]
    store = _cli(env, "stores", "add", "metered", "shopify", *pairs, "--config", json.dumps(shop.store_config()))
    for key in ("a", "b"):
        _cli(env, "run", "metered", "list_products", "--params", '{"limit": 5}', "--key", key)
    _cli(env, "run", "metered", "get_product", "--params", json.dumps({"product_id": MISSING}))
    for key, value in env.items():  # this process opens the worker's database with its keys
        if key.startswith("FUSIONHUB_"):
            monkeypatch.setenv(key, value)
    later = asyncio.run(_enqueue_later("metered"))  # stays queued: the queue's depth is not zero

    proc, port = worker
    where = {"platform": "shopify", "store": store["id"]}

    def served() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            found = _scrape(port)
        except httpx.TransportError:
            return False  # not listening yet
        calls = "fusionhub_capability_calls_total"
        return (
            _total(found, calls, **where, capability="list_products") == 2
            and _total(found, calls, **where, capability="get_product") >= 1
            and _total(found, "fusionhub_jobs_settled_total", **where, outcome="failed") == 1
            and _total(found, "fusionhub_queue_jobs", **where, state="queued") == 1  # counted after the runs
            and _total(found, "fusionhub_queue_jobs", **where, state="running") == 0
            # The depth is sampled, the counters live: a sample from before the last job ran can
            # show one queued job too (that one, due) while the later one was not yet enqueued.
            and _total(found, "fusionhub_queue_due_jobs", **where) == 0
        )

    _until(served, "the worker's metrics to show its three jobs")
    found = _scrape(port)
    calls = "fusionhub_capability_calls_total"
    assert _total(found, calls, **where, capability="list_products", outcome="ok") == 2
    assert _total(found, calls, **where, capability="get_product", outcome="error") >= 1
    errors = "fusionhub_capability_errors_total"
    assert _total(found, errors, **where, capability="get_product", category="not_found") >= 1
    assert _total(found, "fusionhub_capability_call_duration_seconds_count", **where, capability="list_products") == 2
    assert _total(found, "fusionhub_api_requests_total", **where, capability="list_products", status="200") >= 2
    assert _total(found, "fusionhub_rate_limit_cost_total", **where) > 0  # Shopify's cost points spent
    assert _total(found, "process_cpu_seconds_total") > 0  # the worker's own process

    settled = "fusionhub_jobs_settled_total"  # the jobs it ran, by outcome
    assert _total(found, settled, **where, capability="list_products", outcome="succeeded") == 2
    assert _total(found, settled, **where, capability="get_product", outcome="failed") == 1
    assert _total(found, settled, **where) == 3  # not the job due in an hour
    assert _total(found, "fusionhub_job_failures_total", **where, capability="get_product", category="not_found") == 1
    assert _total(found, "fusionhub_job_run_duration_seconds_count", platform="shopify") == 3
    depth = "fusionhub_queue_jobs"  # the queue as the worker last counted it: only the later job is left
    assert _total(found, depth, **where, state="queued") == 1, later
    assert _total(found, depth, **where, state="running") == 0
    assert _total(found, "fusionhub_queue_due_jobs", **where) == 0

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)  # stopped with the worker


def test_a_metrics_port_without_an_exporter_is_refused(env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "fusionhub.cli", "worker", "--metrics-port", str(_free_port())],
        env={**env, "FUSIONHUB_DISABLE_PLUGINS": "prometheus"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "no installed plugin exports metrics" in done.stderr and "Traceback" not in done.stderr


def test_a_taken_metrics_port_is_a_one_line_error(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "fusionhub.cli", "worker", "--metrics-port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert f"cannot start exporters on metrics port {port}" in done.stderr and "Traceback" not in done.stderr


def test_serve_exposes_the_queue_depth_without_a_worker(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Registry.discover(allow={"shopify"}).platform("shopify").impls["fusionhub_sandbox"]
    shop = sandbox(clock=SYSTEM_CLOCK, options={})
    pairs = [a for k, v in shop.credentials().items() for a in ("--credential", f"{k}={v}")]
    store = _cli(env, "stores", "add", "served", "shopify", *pairs, "--config", json.dumps(shop.store_config()))
    for key, value in env.items():
        if key.startswith("FUSIONHUB_"):
            monkeypatch.setenv(key, value)
    asyncio.run(_enqueue_later("served"))
    port, metrics = _free_port(), _free_port()
    serving = {**env, "XDG_DATA_HOME": str(tmp_path / "data"), "FUSIONHUB_METRICS_PORT": str(metrics)}
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "fusionhub.cli", "serve", "--port", str(port)],
        env=serving,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    where = {"platform": "shopify", "store": store["id"], "state": "queued"}

    def counted() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return _total(_scrape(metrics), "fusionhub_queue_jobs", **where) == 1
        except httpx.TransportError:
            return False

    try:
        _until(counted, "serve's count of the queue")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
