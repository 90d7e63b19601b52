"""Generated bad input to every capability of the installed platforms, through the Python API
(Runtime.enqueue and Runtime.execute) and the CLI (`fusionhub run`, with and without --wait):
every refusal is a clean taxonomy error (one line, exit code 1 or 2 on the CLI, never a
traceback), nothing is queued and no request leaves (issue 12, item 7)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusionhub.capabilities import Capability, spec_of
from fusionhub.cli import cli
from fusionhub.errors import FusionHubError, ValidationError
from fusionhub.params import parse_params
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring

pytest.importorskip("fusionhub_etsy")
pytest.importorskip("fusionhub_shopify")

STORES: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "shop-s": (
        "shopify",
        {"access_token": "shpat_bad_input_1", "client_secret": "shpss_bad_input_2"},
        {"shop": "x.myshopify.com"},
    ),
    "shop-e": (
        "etsy",
        {
            "keystring": "ks-bad-3",
            "shared_secret": "ss-bad-4",
            "access_token": "77.at-bad-5",
            "refresh_token": "77.rt-bad-6",
        },
        {"shop_id": 42},
    ),
}
# One valid params object per capability: what the mutations below break.
VALID: dict[Capability, dict[str, Any]] = {
    Capability.LIST_PRODUCTS: {"limit": 10},
    Capability.GET_PRODUCT: {"product_id": "1"},
    Capability.CREATE_PRODUCT: {
        "product": {
            "title": "Mug",
            "tags": ["blue"],
            "variants": [{"sku": "M-1", "price": {"amount": "5", "currency": "USD"}, "inventory_quantity": 3}],
        }
    },
    Capability.UPDATE_PRODUCT: {"product_id": "1", "changes": {"title": "New", "tags": ["a"]}},
    Capability.DELETE_PRODUCT: {"product_id": "1"},
    Capability.BULK_UPDATE: {"items": [{"product_id": "1", "changes": {"title": "x"}}]},
    Capability.SYNC_INVENTORY: {"levels": [{"sku": "A", "quantity": 1}]},
    Capability.GET_INVENTORY: {"product_id": "1", "skus": ["A"]},
    Capability.UPDATE_VARIANT_INVENTORY: {"target": {"sku": "A", "quantity": 2}},
    Capability.LIST_ORDERS: {"limit": 5},
    Capability.GET_ORDER: {"order_id": "1"},
    Capability.UPDATE_ORDER_STATUS: {"order_id": "1", "action": "ship", "tracking": {"number": "T1"}},
    Capability.PROCESS_REFUND: {"order_id": "1", "lines": [{"line_id": "l1", "quantity": 1}]},
    Capability.WEBHOOKS: {"action": "subscribe", "topics": ["orders/create"], "callback_url": "https://h.test/w"},
    Capability.BULK_OPERATIONS: {"kind": "update_products", "items": [{"product_id": "1", "changes": {"title": "y"}}]},
}
assert set(VALID) == set(Capability)


def test_the_valid_samples_are_valid() -> None:
    for capability, params in VALID.items():
        parse_params(spec_of(capability).params, params)


# --- bad input, generated -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*path, index))
    else:
        yield path, value


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)  # type: ignore[index, call-overload]
    return copy


@st.composite
def bad_params(draw: st.DrawFn, capability: Capability) -> Any:
    """A params value the capability must refuse: each strategy breaks a valid one a different way."""
    valid = VALID[capability]
    leaves = list(_leaves(valid))
    kind = draw(st.sampled_from(["unknown key", "not an object", "wrong type", "huge text", "negative", "deep"]))
    if kind == "unknown key":
        return {**valid, draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in valid)): draw(json_values)}
    if kind == "not an object":
        return draw(st.lists(json_values, max_size=3) | st.text(max_size=10) | st.integers() | st.booleans())
    if kind == "wrong type":  # a scalar where the model wants another scalar is not always wrong; an object is
        path, _ = draw(st.sampled_from(leaves))
        return _replaced(valid, path, draw(st.dictionaries(st.text(max_size=5), json_values, min_size=1, max_size=3)))
    if kind == "huge text":
        path, _ = draw(st.sampled_from([(p, v) for p, v in leaves if isinstance(v, str)] or leaves))
        return _replaced(valid, path, "x" * draw(st.integers(min_value=65_536, max_value=300_000)))
    if kind == "negative":
        numbers = [(p, v) for p, v in leaves if isinstance(v, int) and not isinstance(v, bool)]
        if not numbers:
            return {**valid, "zz_negative": -1}
        path, _ = draw(st.sampled_from(numbers))
        return _replaced(valid, path, draw(st.integers(max_value=-1)))
    nested: Any = "x"
    for _ in range(draw(st.integers(min_value=40, max_value=200))):
        nested = [nested]
    path, _ = draw(st.sampled_from(leaves))
    return _replaced(valid, path, nested)


def capabilities_with_bad_params() -> st.SearchStrategy[tuple[str, Capability, Any]]:
    return st.tuples(st.sampled_from(sorted(STORES)), st.sampled_from(list(Capability))).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), st.just(pair[1]), bad_params(pair[1]))
    )


# --- the Python API ----------------------------------------------------------------------------


class Api:
    """One runtime on a SQLite file whose every outbound request is recorded (none is expected)."""

    def __init__(self, path: Path) -> None:
        self.sent: list[httpx.Request] = []
        self.loop = asyncio.new_event_loop()

        def answer(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return httpx.Response(500)

        self.runtime: Runtime = self.loop.run_until_complete(
            Runtime.open(
                f"sqlite:///{path}",
                keyring=Keyring([Fernet.generate_key().decode()], "test"),
                transport_for=lambda store: httpx.MockTransport(answer),
            )
        )
        for name, (platform, credentials, config) in STORES.items():
            self.run(self.runtime.stores.add(name, platform, credentials, config))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def jobs(self) -> int:
        return len(self.run(self.runtime.queue.list(limit=None)))

    def close(self) -> None:
        self.run(self.runtime.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    api = Api(tmp_path_factory.mktemp("api") / "hub.db")
    yield api
    api.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=capabilities_with_bad_params())
def test_python_api_refuses_bad_params_before_queueing_or_sending(api: Api, case: tuple[str, Capability, Any]) -> None:
    store, capability, params = case
    before = api.jobs()
    for call in (api.runtime.enqueue, api.runtime.execute):
        with pytest.raises(FusionHubError) as caught:
            api.run(call(store, capability, params))
        error = caught.value
        assert "\n" not in error.user_message and "Traceback" not in error.user_message
        if isinstance(error, ValidationError):
            assert error.errors and all(e["loc"].startswith("params") for e in error.errors), error.errors
    assert api.jobs() == before
    assert api.sent == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    store=st.sampled_from(sorted(STORES)),
    capability=st.sampled_from(list(Capability)),
    params=json_values,
)
def test_python_api_any_json_is_queued_only_when_valid(
    api: Api, store: str, capability: Capability, params: Any
) -> None:
    """Arbitrary JSON: either the capability's model accepts it (and it is queued) or a clean error, nothing queued."""
    before = api.jobs()
    try:
        job = api.run(api.runtime.enqueue(store, capability, params))
    except FusionHubError:
        assert api.jobs() == before
        return
    parse_params(spec_of(capability).params, params)  # it was queued: it must be valid
    assert job.capability == capability.value and api.jobs() == before + 1


# --- the CLI -----------------------------------------------------------------------------------


class Cli:
    def __init__(self, path: Path) -> None:
        self.db = path / "cli.db"
        self.env = {
            "FUSIONHUB_DATABASE_URL": f"sqlite:///{self.db}",
            "FUSIONHUB_SECRET_KEYS": Fernet.generate_key().decode(),
            "FUSIONHUB_SANDBOX": None,
            "FUSIONHUB_DEBUG": None,
        }
        for name, (platform, credentials, config) in STORES.items():
            pairs = [a for k, v in credentials.items() for a in ("--credential", f"{k}={v}")]
            added = self.invoke("stores", "add", name, platform, *pairs, "--config", json.dumps(config))
            assert added.exit_code == 0, added.output

    def invoke(self, *args: str) -> Any:
        # catch_exceptions=False: any exception escaping a command (a traceback for a user) fails the test.
        return CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)

    def jobs(self) -> int:
        with contextlib.closing(sqlite3.connect(self.db)) as db:
            return int(db.execute("SELECT count(*) FROM jobs").fetchone()[0])


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(tmp_path_factory.mktemp("cli"))


def _clean_refusal(cli_env: Cli, result: Any) -> None:
    assert cli_env.jobs() == 0  # nothing queued, ever
    assert result.exit_code in (1, 2), result.output
    text = result.output
    assert "Traceback" not in text and "unexpected" not in text, text
    assert "error:" in text or "Error:" in text, text


not_json = st.sampled_from(["{", "[1,", "{'a': 1}", "NaN", '{"a": Infinity}', "", "{} {}", "[" * 5000 + "]" * 5000])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=capabilities_with_bad_params(), wait=st.booleans())
def test_cli_run_refuses_bad_params_before_queueing(
    cli_env: Cli, case: tuple[str, Capability, Any], wait: bool
) -> None:
    store, capability, params = case
    args = ["run", store, capability.value, "--params", json.dumps(params)] + (["--wait"] if wait else [])
    _clean_refusal(cli_env, cli_env.invoke(*args))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=not_json | st.text(max_size=30).filter(lambda t: not t.strip().startswith("{")), wait=st.booleans())
def test_cli_run_refuses_params_that_are_not_a_json_object(cli_env: Cli, text: str, wait: bool) -> None:
    _clean_refusal(
        cli_env, cli_env.invoke("run", "shop-s", "get_product", "--params", text, *(["--wait"] if wait else []))
    )


@pytest.mark.parametrize(
    "args",
    [
        ["run", "nope", "get_product", "--params", '{"product_id": "1"}'],
        ["run", "shop-s", "nope"],
        ["run", "shop-e", "process_refund", "--params", '{"order_id": "1"}'],  # unsupported on Etsy
        ["run", "shop-e", "webhooks"],
        ["run", "shop-s", "get_product", "--params", "@/nonexistent/params.json"],
        ["run", "shop-s", "get_product", "--params", "@/"],
        ["run", "shop-s", "get_product", "--params", '{"product_id": "1"}', "--key", "k" * 300],
        ["run", "shop-s", "get_product", "--params", '{"product_id": "1"}', "--database", "nope"],
        ["run", "shop-s", "get_product", "--params", '{"product_id": "1"}', "--database", "mysql://h/db"],
        ["run", "shop-s", "get_product", "--database", "postgresql://u:pw@127.0.0.1:1/x"],
        ["db", "upgrade", "--database", "nope"],
        ["db", "upgrade", "--database", "postgresql://u:pw@127.0.0.1:1/x"],
        ["keys", "rotate", "--database", "mysql://h/db"],
        ["stores", "add", "evil", "etsy", "--credentials", '{"keystring": "k"}', "--config", '{"base_url": "x"}'],
        ["stores", "add", "evil", "shopify", "--credential", "access_token=t", "--config", '{"shop": "evil.com"}'],
        ["stores", "add", "evil", "shopify", "--credentials", "[1]"],
        ["stores", "add", "evil", "shopify", "--credential", "no-equals-sign"],
        ["stores", "add", "evil", "shopify", "--config", "[]"],
        ["stores", "add", "evil", "nope-platform"],
        ["stores", "update", "shop-s", "--config", '{"shop": "evil.com"}'],
        ["stores", "update", "shop-e", "--config", '{"shop_id": 1, "base_url": "https://evil.example"}'],
        ["stores", "update", "shop-s"],
        ["stores", "show", "nope"],
        ["jobs", "show", "nope"],
        ["jobs", "list", "--limit", "-1"],
        ["jobs", "prune", "--days", "-1"],
        ["stores", "check", "nope"],
        ["stores", "simulate-rate-limit", "nope"],
        ["stores", "simulate-rate-limit", "shop-s", "--for", "banana"],
        ["stores", "simulate-rate-limit", "shop-s", "--for", "-5m"],
        ["stores", "simulate-rate-limit", "shop-s", "--for", "30d"],
        ["stores", "simulate-rate-limit", "shop-s", "--factor", "0"],
        ["stores", "simulate-rate-limit", "shop-s", "--factor", "2"],
        ["stores", "add", "sbx", "shopify", "--sandbox", "--credential", "access_token=t"],
        ["stores", "add", "sbx", "nope-platform", "--sandbox"],
        ["stores", "add", "sbx", "shopify", "--sandbox", "--config", "{"],
        ["stores", "add", "sbx", "shopify", "--sandbox", "--config", '{"shop": "evil.com"}'],
        ["stores", "add", "sbx", "shopify", "--credentials", "@/nonexistent/creds.json"],
        ["stores", "list", "--database", "postgresql+asyncpg://u:pw@127.0.0.1:1/x"],
        ["stores", "remove", "nope", "--yes"],
        ["stores", "enable", "nope"],
        ["events", "list", "--store", "nope"],
        ["events", "list", "--limit", "0"],
        ["events", "list", "--database", "mysql://u:pw@h/db"],
        ["jobs", "list", "--store", "nope"],
        ["jobs", "cancel", "nope"],
    ],
    ids=lambda args: " ".join(args)[:60],
)
def test_cli_user_mistakes_are_one_line_errors(cli_env: Cli, args: list[str]) -> None:
    result = cli_env.invoke(*args)
    _clean_refusal(cli_env, result)
    assert "pw" not in result.output  # a database password is never shown


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["stores"],
        ["stores", "add"],
        ["stores", "check"],
        ["stores", "simulate-rate-limit"],
        ["events", "list"],
        ["jobs", "list"],
        ["run"],
        ["worker"],
        ["plugins", "matrix"],
    ],
    ids=lambda args: " ".join(args) or "fusionhub",
)
def test_dash_h_is_help(cli_env: Cli, args: list[str]) -> None:
    result = cli_env.invoke(*args, "-h")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ") and "-h, --help" in result.output
