"""Writes that take effect once: the contract's `once`, the call's idempotency key, the reconcile hook.

The queue suite (queue_suite.py) runs the same on both job backends with a worker that dies
after its write reached the fake platform; these are the pieces on their own.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from fusionhub import Capability, CapabilityContract, Once, PluginManifest, Registry, hookimpl
from fusionhub.clock import VirtualClock
from fusionhub.context import RunMode
from fusionhub.registry import PluginStatus
from fusionhub.testing.harness import sandbox_run

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md"


def _manifest(**capabilities: Any) -> dict[str, Any]:
    return {
        "slug": "oncetest",
        "name": "Once",
        "version": "1.0.0",
        "api": "t",
        "auth": "none",
        "capabilities": capabilities,
    }


def test_the_guides_example_contracts_are_valid() -> None:
    section = GUIDE.read_text()[GUIDE.read_text().index("### Writes that take effect once") :]
    (snippet,) = re.findall(r"```toml\n(.*?)```", section[: section.index("\n#", 5)], re.DOTALL)
    contracts = {c: CapabilityContract.model_validate(v) for c, v in tomllib.loads(snippet)["capabilities"].items()}
    assert contracts["create_product"].once is Once.RECONCILE and contracts["process_refund"].once is Once.KEY


def test_once_belongs_to_writes_only() -> None:
    with pytest.raises(ValueError, match="get_product only read"):
        PluginManifest.model_validate(_manifest(get_product={"level": "native", "once": "natural"}))
    with pytest.raises(ValueError, match="drop `once`"):
        CapabilityContract.model_validate(
            {
                "level": "workaround",
                "workaround": {"description": "per item"},
                "fan_out": "update_product",
                "once": "key",
            }
        )


def test_a_reconcile_contract_without_its_hook_fails_the_plugin() -> None:
    class NoReconcile:
        @hookimpl
        def fusionhub_manifest(self) -> dict[str, Any]:
            return _manifest(create_product={"level": "native", "once": "reconcile"})

        @hookimpl
        async def fusionhub_create_product(self, ctx: Any, params: Any) -> Any:
            return None

    record = Registry(allow=None, deny=(), strict=False).add(NoReconcile(), "oncetest")
    assert record.status is PluginStatus.FAILED
    assert "once = 'reconcile' but fusionhub_reconcile has no hookimpl" in (record.error or "")


def test_the_idempotency_key_is_the_calls_across_runs_and_no_one_elses() -> None:
    run = sandbox_run("example", clock=VirtualClock())
    first = run.ctx.for_call(RunMode.AUTOMATED, Capability.PROCESS_REFUND, call_key="job-1")
    again = run.ctx.for_call(RunMode.AUTOMATED, Capability.PROCESS_REFUND, call_key="job-1", rerun_since=5.0)
    other = run.ctx.for_call(RunMode.AUTOMATED, Capability.PROCESS_REFUND, call_key="job-2")
    key = first.idempotency_key()
    assert uuid.UUID(key).version == 4 and key == again.idempotency_key()
    assert key != other.idempotency_key() and key != first.idempotency_key("batch", 1)
    assert first.idempotency_key("batch", 1) == again.idempotency_key("batch", 1)
    assert again.rerun and not first.rerun
    with pytest.raises(RuntimeError, match="capability call"):
        run.ctx.idempotency_key()  # the store's context is no call
