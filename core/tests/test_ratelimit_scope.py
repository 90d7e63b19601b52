"""Budgets scoped as the platform scopes them: the store's own, or shared by a credential's value."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError
from runtime_db import database  # noqa: F401 - the parametrized fixture

from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.contracts import Dynamic, OperationRate, PluginManifest, RequestsPerSecond
from fusionhub.errors import RateLimited
from fusionhub.ratelimit import Limiter
from fusionhub.ratelimit.pg_store import bucket_store_for
from fusionhub.ratelimit.scope import budget_key
from fusionhub.storage import Database

SHARED = RequestsPerSecond(requests=2, scope="credential:api_key")


def _manifest(scope: str) -> dict[str, Any]:
    return {
        "slug": "scoped",
        "name": "Scoped",
        "version": "1.0.0",
        "api": "REST",
        "auth": "api_key",
        "credential_fields": ["api_key", "secret"],
        "constraints": {"rate_limit": {"type": "requests_per_second", "requests": 5, "scope": scope}},
        "capabilities": {},
    }


def test_a_store_scope_is_the_stores_own_and_a_credential_scope_is_shared_by_its_value() -> None:
    own = RequestsPerSecond(requests=2)
    assert own.shared_by is None and RequestsPerSecond(requests=2, scope="store").shared_by is None
    assert budget_key("acme", "s1", {"api_key": "K1"}, own) == "store:s1"
    assert budget_key("acme", "s1", {"api_key": "K1"}, None) == "store:s1"
    one, two = (budget_key("acme", s, {"api_key": "K1"}, SHARED) for s in ("s1", "s2"))
    assert one == two and one.startswith("shared:acme:") and "K1" not in one
    assert budget_key("acme", "s3", {"api_key": "K2"}, SHARED) != one  # another key, another budget
    assert budget_key("other", "s1", {"api_key": "K1"}, SHARED) != one  # another platform's key
    assert budget_key("acme", "s4", {}, SHARED) == "store:s4"  # nothing to share by
    per_op = Dynamic(operations={"getOrders": OperationRate(rate=0.5, burst=2)}, scope="credential:api_key")
    assert budget_key("acme", "s1", {"api_key": "K1"}, per_op) == one  # per operation, within the shared budget


def test_a_credential_scope_must_name_a_credential_field() -> None:
    assert PluginManifest.model_validate(_manifest("credential:api_key")).constraints.rate_limit is not None
    with pytest.raises(ValidationError, match="names no field of credential_fields"):
        PluginManifest.model_validate(_manifest("credential:account"))
    with pytest.raises(ValidationError, match="scope"):
        PluginManifest.model_validate(_manifest("app"))


async def test_stores_sharing_a_credential_spend_one_budget_in_the_database(database: Database) -> None:  # noqa: F811
    buckets = bucket_store_for(database)

    def limiter(store_id: str, api_key: str) -> Limiter:
        return Limiter(budget_key("acme", store_id, {"api_key": api_key}, SHARED), SHARED, buckets, SYSTEM_CLOCK)

    first, second, other_app = limiter("s1", "K1"), limiter("s2", "K1"), limiter("s3", "K2")
    await first.acquire(wait=False)  # a bucket of one request, refilled at 2/s
    with pytest.raises(RateLimited) as refused:
        await second.acquire(wait=False)  # the same key's budget: already spent
    assert 0.3 < refused.value.retry_after <= 0.6
    assert await other_app.acquire(wait=False) == 0.0  # another key: its own budget
    level = await second.level()
    assert level is not None and level.tokens < 1.0
    assert abs(level.last_refill - time.time()) < 60


def test_the_guides_scope_example_is_a_valid_shared_spec() -> None:
    import re
    import tomllib
    from pathlib import Path

    from fusionhub.contracts import Constraints

    guide = Path(__file__).parents[2] / "docs" / "http-ratelimit-observability.md"
    section = guide.read_text(encoding="utf-8").split("## Budgets", 1)[1]
    (snippet,) = re.findall(r"```toml\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    spec = Constraints.model_validate(tomllib.loads(snippet)["constraints"]).rate_limit
    assert isinstance(spec, RequestsPerSecond) and spec.shared_by == "keystring" and spec.window_burst == 1
