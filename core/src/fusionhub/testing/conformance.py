"""The conformance kit: a pytest suite generated from a plugin's manifest.

In a plugin package's tests, one line (the slug is read from the distribution's pyproject.toml)::

    from fusionhub.testing.conformance import TestConformance

or, to name the plugin or pass sandbox options, `TestConformance = conformance_suite("example")`.

Every capability gets a test for what its level promises: unsupported ones raise
CapabilityUnsupported before any request; native and workaround ones run through
`Hub.execute` against the plugin's sandbox on a virtual clock, results validated, without
a single 429 and without any credential showing up in logs, reprs or error texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import json
import logging
import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pydantic
import pytest

from fusionhub import hookspecs
from fusionhub.capabilities import Capability, spec_of
from fusionhub.clock import SYSTEM_CLOCK, VirtualClock
from fusionhub.contracts import Level, PluginManifest
from fusionhub.credentials import Credentials
from fusionhub.errors import (
    AuthError,
    CapabilityUnsupported,
    FusionHubError,
    NotFound,
    RateLimited,
    ValidationError,
)
from fusionhub.hub import Outcome
from fusionhub.ratelimit.admission import refusing
from fusionhub.registry import ENTRY_POINT_GROUP, PluginKind, PluginRecord, PluginStatus, Registry
from fusionhub.sandbox import KeptTransport, MemoryKeeper, PersistsState, Sandbox, SignsDeliveries
from fusionhub.stores import Store
from fusionhub.stores.checks import config_errors
from fusionhub.testing.canary import canary, leaks, secret_values
from fusionhub.testing.harness import SandboxRun, sandbox_run
from fusionhub.testing.live import LiveSuite

UNSUPPORTED_TEST = "test_unsupported_capability_raises_without_requests"
SUPPORTED_TEST = "test_capability_runs_on_sandbox"
WORKER_TEST = "test_capability_completes_in_a_worker"
WORKER_DEADLINE = 24 * 3600.0  # virtual seconds: a call still running then is taken to hang
WORKER_ATTEMPTS = 50  # runs of one job a worker may re-schedule for rate limits
MAX_LIMIT = 250  # the largest `limit` list params take
# Fields of ProductChanges that a product read back shows as they were set.
WRITE_FIELDS = frozenset({"title", "description", "vendor", "tags"})
RETIRED = frozenset({"archived", "inactive"})  # what delete_product (not permanent) leaves

READS = (
    Capability.LIST_PRODUCTS,
    Capability.GET_PRODUCT,
    Capability.LIST_ORDERS,
    Capability.GET_ORDER,
    Capability.GET_INVENTORY,
)


def load_plugin(slug: str) -> tuple[Registry, PluginRecord | None]:
    """Discover only `slug` (other installed plugins cannot interfere), never raising."""
    registry = Registry.discover(allow={slug}, strict=False)
    records = [r for r in registry.records if r.name == slug]
    records.sort(key=lambda r: r.status is not PluginStatus.LOADED)
    return registry, records[0] if records else None


# What the kit imports to do its checks: missing, a check would silently do less, so it fails.
KIT_DEPENDENCIES = ("respx",)


class MissingKitDependency(ImportError):
    """A package the conformance kit needs is not installed (install `fusionhub[testing]`)."""


def require_kit_dependencies() -> None:
    missing = [name for name in KIT_DEPENDENCIES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingKitDependency(
            f"the conformance kit needs {', '.join(missing)} (it refuses any request that escapes the "
            "sandbox with it), which is not installed: pip install 'fusionhub[testing]'"
        )


@contextlib.contextmanager
def no_network() -> Iterator[Any]:
    """respx refuses any request that escapes the sandbox's transport."""
    require_kit_dependencies()
    import respx

    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


class ConformanceSuite(LiveSuite):
    """Shared checks; `conformance_suite(slug)` makes a collectable subclass, `TestConformance`
    finds the slug from the test file's distribution."""

    slug: str = ""  # empty: the plugin of the test file's pyproject.toml (slug_for)
    options: Mapping[str, Any] = MappingProxyType({})
    burst_calls: int = 30
    max_pages: int = 500  # a walk of more pages than this is taken to never end
    flood_requests: int = 2000  # unpaced requests that must meet the sandbox's limit

    # --- collection: which plugin, and one test per capability ------------------------------

    @pytest.fixture(autouse=True)
    def _fusionhub_plugin_slug(self, request: pytest.FixtureRequest) -> None:
        if not self.slug:
            self.slug = slug_for(Path(str(request.path)))

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """pytest calls this on the class: the per-capability tests get the manifest's capabilities."""
        name = metafunc.function.__name__
        if name not in (UNSUPPORTED_TEST, SUPPORTED_TEST, WORKER_TEST):
            return
        require_kit_dependencies()
        _, record = load_plugin(self.slug or slug_for(Path(str(metafunc.definition.path))))
        manifest = record.manifest if record is not None else None
        levels = {c: manifest.contract(c).level for c in Capability} if manifest else {}
        if name == UNSUPPORTED_TEST:
            metafunc.parametrize("capability", [c for c, lv in levels.items() if lv is Level.UNSUPPORTED], ids=str)
        else:
            chosen = [c for c, lv in levels.items() if lv is not Level.UNSUPPORTED]  # both other tests
            metafunc.parametrize("capability", chosen, ids=[f"{c}-{levels[c]}" for c in chosen])

    def test_unsupported_capability_raises_without_requests(
        self, capability: Capability, caplog: Any, capfd: Any
    ) -> None:
        self.check_unsupported(capability, caplog, capfd)

    def test_capability_runs_on_sandbox(self, capability: Capability, caplog: Any, capfd: Any) -> None:
        self.check_supported(capability, caplog, capfd)

    def test_capability_completes_in_a_worker(self, capability: Capability) -> None:
        self.check_worker(capability)

    # --- helpers ---------------------------------------------------------------------------

    def record(self) -> tuple[Registry, PluginRecord]:
        registry, record = load_plugin(self.slug)
        if record is None:
            pytest.fail(f"no entry point named {self.slug!r} in group fusionhub.plugins: is the plugin installed?")
        if record.status is not PluginStatus.LOADED:
            pytest.fail(f"plugin {self.slug!r} is {record.status}: {record.error}\nfix: {record.hint}")
        return registry, record

    def manifest(self) -> PluginManifest:
        manifest = self.record()[1].manifest
        assert manifest is not None, f"{self.slug} has no fusionhub_manifest hookimpl"
        return manifest

    def run_on_sandbox(
        self, credentials: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
    ) -> SandboxRun:
        registry, _ = self.record()
        return sandbox_run(
            self.slug,
            clock=VirtualClock(),
            registry=registry,
            options=self.options,
            credentials=credentials,
            extra_credentials=extra,
        )

    def read_capability(self, run: SandboxRun) -> tuple[Capability, dict[str, Any]]:
        manifest = run.ctx.manifest
        for capability in READS:
            params = run.sandbox.sample_params(capability)
            if manifest.contract(capability).level is not Level.UNSUPPORTED and params is not None:
                return capability, params
        pytest.skip(f"{self.slug} has no read capability with sample params")

    def assert_no_leak(self, secrets: list[str], caplog: Any, capfd: Any, **places: str) -> None:
        out, err = capfd.readouterr()
        texts = {"logs": caplog.text, "stdout": out, "stderr": err, **places}
        leaked = leaks(secrets, texts)
        assert not leaked, f"a credential of the store appeared in: {', '.join(leaked)}"

    # --- the plugin and its manifest -------------------------------------------------------

    def test_plugin_loads(self) -> None:
        _, record = self.record()
        assert record.kind is PluginKind.PLATFORM, "a platform plugin implements fusionhub_manifest"

    def test_manifest_is_valid_data(self) -> None:
        _, record = self.record()
        manifest = self.manifest()
        assert manifest.slug == self.slug
        assert manifest.supports_core(), f"core_api {manifest.core_api} excludes this core"
        dumped = manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
        assert PluginManifest.model_validate(json.loads(json.dumps(dumped))) == manifest, "manifest must round-trip"
        # A manifest kept as data next to the code must be the one the hook returns.
        package = type(record.obj).__module__ if not inspect.ismodule(record.obj) else record.obj.__name__
        data = resources.files(package.split(".")[0]).joinpath("manifest.toml")
        if data.is_file():
            assert PluginManifest.model_validate(tomllib.loads(data.read_text("utf-8"))) == manifest

    def test_every_write_says_how_it_takes_effect_once(self) -> None:
        """A job re-run after a crash or a lost response must not repeat a write: each declares `once`."""
        manifest = self.manifest()
        silent = [
            capability.value
            for capability, contract in manifest.capabilities.items()
            if spec_of(capability).writes
            and contract.level is not Level.UNSUPPORTED
            and contract.fan_out is None
            and contract.once is None
        ]
        assert not silent, (
            f"declare once = 'natural' | 'key' | 'reconcile' for {', '.join(silent)} "
            "(docs/plugin-authoring.md, 'Writes that take effect once')"
        )

    def test_levels_match_hookimpls(self) -> None:
        _, record = self.record()
        manifest = self.manifest()
        for capability in Capability:
            impl = record.impls.get(capability.hook_name)
            contract = manifest.contract(capability)
            level = contract.level
            if level is Level.UNSUPPORTED or contract.fan_out is not None:
                what = "a declared fan-out" if contract.fan_out else "unsupported"
                assert impl is None, f"{capability} is {what} but has a hookimpl"
                continue
            assert impl is not None, f"{capability} is {level} but has no hookimpl"
            assert inspect.iscoroutinefunction(impl), f"{capability.hook_name} must be async"
            spec_args = set(inspect.signature(getattr(hookspecs, capability.hook_name)).parameters)
            extra = set(inspect.signature(impl).parameters) - spec_args
            assert not extra, f"{capability.hook_name} takes {sorted(extra)}, which its hookspec does not pass"

    def test_sandbox_keeps_the_protocol(self) -> None:
        run = self.run_on_sandbox()
        assert isinstance(run.sandbox, Sandbox)
        assert run.sandbox.slug == self.slug
        assert run.sandbox.clock is run.clock, "the sandbox must run on the clock it is given"
        assert run.sandbox.requests == [] and run.sandbox.throttled == 0
        for capability in Capability:
            params = run.sandbox.sample_params(capability)
            assert params is None or isinstance(params, dict)

    # --- capabilities ----------------------------------------------------------------------

    def check_unsupported(self, capability: Capability, caplog: Any, capfd: Any) -> None:
        caplog.set_level(logging.DEBUG)
        run = self.run_on_sandbox()
        contract = run.ctx.manifest.contract(capability)
        secrets = secret_values(run.store.credentials.reveal())

        async def main() -> tuple[CapabilityUnsupported | None, int]:
            with no_network() as router:
                try:
                    await run.execute(capability, run.sandbox.sample_params(capability) or {})
                except CapabilityUnsupported as exc:
                    return exc, router.calls.call_count
                finally:
                    await run.aclose()
            return None, 0

        error, escaped = run.clock.run(main())
        assert error is not None, f"{capability} is declared unsupported but did not raise CapabilityUnsupported"
        assert escaped == 0, f"{capability}: an HTTP request escaped the sandbox"
        assert run.request_count == 0 and run.sandbox.requests == [], f"{capability} is unsupported but made requests"
        assert error.explanation == contract.explanation, f"{capability}: the error must carry the explanation"
        assert error.manual_workaround == contract.manual_workaround, (
            f"{capability}: the error must carry the manifest's manual_workaround"
        )
        assert contract.explanation and contract.explanation in str(error), (
            f"{capability}: declare an explanation, which the error shows"
        )
        self.assert_no_leak(secrets, caplog, capfd, error=f"{error!s} {error!r} {error.to_dict()}")

    def check_supported(self, capability: Capability, caplog: Any, capfd: Any) -> None:
        caplog.set_level(logging.DEBUG)
        # The sandbox's real credentials are canaries too: they must not show anywhere either.
        run = self.run_on_sandbox(extra={"fusionhub_canary": canary()})
        params = run.sandbox.sample_params(capability)
        if params is None:
            pytest.skip(f"the {self.slug} sandbox has no sample params for {capability}")
        contract = run.ctx.manifest.contract(capability)
        secrets = [*secret_values(run.store.credentials.reveal())]

        async def main() -> Outcome[Any]:
            try:
                with no_network():
                    return await run.execute(capability, params)
            finally:
                await run.aclose()

        outcome = run.clock.run(main())
        assert outcome.capability is capability and outcome.platform == self.slug
        assert outcome.level is contract.level, f"{capability} ran at {outcome.level}, declared {contract.level}"
        assert outcome.ran_as_workaround is (contract.level is Level.WORKAROUND)
        assert outcome.workaround == contract.workaround
        result_type = spec_of(capability).result
        pydantic.TypeAdapter(result_type).validate_python(outcome.value.model_dump(mode="python"))
        for item in _platform_objects(outcome.value):
            assert item.platform == self.slug, (
                f"{capability} returned a {type(item).__name__} of platform {item.platform!r}: set it to {self.slug!r}"
            )
        assert run.request_count > 0, f"{capability} never reached the sandbox: send its requests through ctx.http"
        assert len(run.sandbox.requests) == run.request_count, (
            f"{capability}: the sandbox logged {len(run.sandbox.requests)} requests, the wire carried "
            f"{run.request_count}: the sandbox must log every request it serves (SandboxBase.handle does)"
        )
        assert run.sandbox.throttled == 0, (
            f"{capability}: the sandbox answered 429 to a request core let through: the manifest's rate_limit "
            "(or the capability's cost) is looser than what the platform enforces"
        )
        self.assert_no_leak(secrets, caplog, capfd, outcome=repr(outcome), store=repr(run.store), ctx=repr(run.ctx))

    def check_worker(self, capability: Capability) -> None:
        """As a worker runs a job: the store's bucket first drained by reads, then the call in
        refusing mode (a full bucket at its first request is RateLimited and the job re-scheduled
        for the wait it names; once admitted, every later request waits). It must complete, within
        `WORKER_ATTEMPTS` runs, without a hang and without a 429 from the sandbox."""
        run = self.run_on_sandbox()
        params = run.sandbox.sample_params(capability)
        if params is None:
            pytest.skip(f"the {self.slug} sandbox has no sample params for {capability}")
        read, read_params = self.read_capability(run)

        async def as_worker() -> tuple[Outcome[Any], int]:
            with refusing():
                for _ in range(self.burst_calls * 10):  # a tight bucket: spend it to the last token
                    try:
                        await run.execute(read, read_params)
                    except RateLimited:
                        break
                for attempt in range(1, WORKER_ATTEMPTS + 1):
                    try:
                        return await run.execute(capability, params), attempt
                    except RateLimited as refused:  # the job would be re-scheduled for then
                        await run.clock.sleep(max(refused.retry_after, 0.001))
            raise AssertionError(
                f"{capability} was refused for rate limits {WORKER_ATTEMPTS} times in a row in a worker: "
                "it never got its first request admitted"
            )

        async def main() -> tuple[Outcome[Any], int]:
            try:
                with no_network():
                    return await asyncio.wait_for(as_worker(), WORKER_DEADLINE)
            except TimeoutError:
                raise AssertionError(
                    f"{capability} did not complete in a worker within {WORKER_DEADLINE:.0f} virtual seconds: "
                    "a call that waits for something only another request would bring (or sleeps on its own) "
                    "hangs there; let core pace the requests"
                ) from None
            finally:
                await run.aclose()

        outcome, _ = run.clock.run(main())
        assert outcome.capability is capability
        assert run.sandbox.throttled == 0, (
            f"in a worker, {capability} met {run.sandbox.throttled} 429s from the sandbox: declare the "
            "platform's real rate limit (and cost) so core paces the call's requests"
        )

    # --- across capabilities --------------------------------------------------------------

    def test_rejected_credentials_leak_nothing(self, caplog: Any, capfd: Any) -> None:
        caplog.set_level(logging.DEBUG)
        probe = self.run_on_sandbox()
        wrong = {key: canary(key) for key in probe.sandbox.credentials()}
        run = self.run_on_sandbox(wrong)
        capability, params = self.read_capability(run)

        async def main() -> FusionHubError:
            try:
                with no_network():
                    await run.execute(capability, params)
            except FusionHubError as exc:
                return exc
            finally:
                await run.aclose()
            raise AssertionError(f"the {self.slug} sandbox accepted credentials it never issued")

        error = run.clock.run(main())
        assert isinstance(error, AuthError), f"rejected credentials must raise AuthError, got {error!r}"
        text = f"{error!s} {error!r} {error.to_dict()} {error.__cause__!r} {error.__context__!r}"
        self.assert_no_leak(list(wrong.values()), caplog, capfd, error=text, store=repr(run.store))

    def test_rate_limit_is_respected(self) -> None:
        run = self.run_on_sandbox()
        capability, params = self.read_capability(run)

        async def main() -> list[Any]:
            try:
                with no_network():
                    calls = (run.execute(capability, params) for _ in range(self.burst_calls))
                    return list(await asyncio.gather(*calls, return_exceptions=True))
            finally:
                await run.aclose()

        errors = [r for r in run.clock.run(main()) if isinstance(r, BaseException)]
        assert not errors, f"{len(errors)} of {self.burst_calls} concurrent {capability} calls failed: {errors[0]!r}"
        assert run.request_count >= self.burst_calls
        assert run.sandbox.throttled == 0, (
            f"{run.sandbox.throttled} of {self.burst_calls} concurrent {capability} calls were throttled: "
            "the manifest's rate_limit is looser than the platform's"
        )

    # --- second edition: what a passing call can still get wrong -----------------------------

    def supported_sample(self, run: SandboxRun, capability: Capability) -> dict[str, Any] | None:
        """The sandbox's sample params for `capability` when it is supported, else None."""
        if run.ctx.manifest.contract(capability).level is Level.UNSUPPORTED:
            return None
        return run.sandbox.sample_params(capability)

    def test_connect_flows_connect_a_store_on_the_sandbox(self) -> None:
        """Each `[[connect]]` flow saves a store against the sandbox (its consent page clicked), and
        an `oauth` flow refuses a callback with a forged state (fusionhub.testing.connect_kit)."""
        from fusionhub.testing.connect_kit import check_connect_flows

        registry, record = self.record()
        assert record.manifest is not None
        if not record.manifest.connect:
            pytest.skip(f"{self.slug} declares no connect flow ([[connect]] in its manifest)")
        make = record.impls.get("fusionhub_sandbox")
        if make is None:
            pytest.skip(f"{self.slug} has no sandbox to connect to")
        sandbox: Sandbox = make(clock=SYSTEM_CLOCK, options=dict(self.options))
        saved = asyncio.run(check_connect_flows(registry, self.slug, sandbox))
        assert saved == [f"kit-{flow.id}" for flow in record.manifest.connect]

    def test_sandbox_store_satisfies_the_config_schema(self) -> None:
        # Checked on the sandbox alone: a store that breaks the schema cannot even be built.
        _, record = self.record()
        sandbox: Sandbox = record.impls["fusionhub_sandbox"](clock=VirtualClock(), options=dict(self.options))
        errors = config_errors(self.manifest(), sandbox.store_config())
        assert not errors, (
            f"the sandbox's store_config() breaks the manifest's config_schema: {errors}; "
            "fix the schema or the sandbox, or no host (nor `fusionhub demo`) can save a sandbox store"
        )

    @pytest.mark.parametrize("capability", [Capability.LIST_PRODUCTS, Capability.LIST_ORDERS], ids=str)
    def test_paging_honours_limit_and_cursor_and_ends(self, capability: Capability) -> None:
        run = self.run_on_sandbox()
        sample = self.supported_sample(run, capability)
        if sample is None:
            pytest.skip(f"{capability} is unsupported or the sandbox has no sample params for it")

        async def walk(limit: int) -> list[str]:
            ids: list[str] = []
            cursor: str | None = None
            for _ in range(self.max_pages):
                page = (await run.execute(capability, {**sample, "limit": limit, "cursor": cursor})).value
                assert len(page.items) <= limit, (
                    f"{capability} gave {len(page.items)} items for limit={limit}: send params.limit to the platform"
                )
                ids += [item.id for item in page.items]
                if page.next_cursor is None:
                    return ids
                assert page.next_cursor != cursor, f"{capability} returned the cursor it was given: paging never ends"
                cursor = page.next_cursor
            raise AssertionError(
                f"{capability} still had a next_cursor after {self.max_pages} pages of {limit}: "
                "return next_cursor=None on the last page (and follow params.cursor)"
            )

        async def main() -> tuple[list[str], list[str]]:
            try:
                with no_network():
                    return await walk(1), await walk(MAX_LIMIT)
            finally:
                await run.aclose()

        one_by_one, whole = run.clock.run(main())
        assert len(set(one_by_one)) == len(one_by_one), (
            f"{capability} paged by 1 repeats items: the next page must start where params.cursor says"
        )
        assert sorted(one_by_one) == sorted(whole), (
            f"{capability} paged by 1 gave other items than paged by {MAX_LIMIT}: follow params.cursor"
        )

    def test_list_products_honours_status(self) -> None:
        run = self.run_on_sandbox()
        sample = self.supported_sample(run, Capability.LIST_PRODUCTS)
        if sample is None:
            pytest.skip("list_products is unsupported or the sandbox has no sample params for it")

        async def main() -> list[Any]:
            try:
                with no_network():
                    page = await run.execute(Capability.LIST_PRODUCTS, {**sample, "status": "active"})
                    return list(page.value.items)
            except ValidationError:  # a platform that cannot filter by status may refuse it
                return []
            finally:
                await run.aclose()

        other = [item.id for item in run.clock.run(main()) if item.status != "active"]
        assert not other, f"list_products(status='active') returned products {other} of another status: filter"

    def test_the_sandbox_enforces_a_rate_limit(self) -> None:
        """Unpaced, the same read sent `flood_requests` times at one instant must meet a 429: a
        sandbox that enforces nothing cannot show the declared rate_limit is not too loose."""
        run = self.run_on_sandbox()
        capability, params = self.read_capability(run)

        async def main() -> None:
            try:
                with no_network():
                    await run.execute(capability, params)
                    request = run.wire.requests[-1]  # as sent: authenticated, paced by core
                    transport = run.sandbox.transport()
                    for _ in range(self.flood_requests):
                        response = await transport.handle_async_request(request)
                        await response.aread()
                        if response.status_code == 429:
                            return
            finally:
                await run.aclose()

        run.clock.run(main())
        assert run.sandbox.throttled > 0, (
            f"{self.flood_requests} unpaced {capability} requests at one instant were all accepted: make the "
            f"{self.slug} sandbox enforce the platform's limit (a SandboxBucket answering 429)"
        )

    def test_webhook_deliveries_are_verified(self) -> None:
        """A good delivery yields events; one signed with another secret (forged) or whose body was
        changed after signing (tampered) raises AuthError. Needs the sandbox's `signed_delivery()`; a
        delivery checked by a secret in its URL (`url` set) signs no body, so only forgery is tried."""
        run = self.run_on_sandbox()
        if run.ctx.manifest.contract(Capability.WEBHOOKS).level is Level.UNSUPPORTED:
            pytest.skip("webhooks are unsupported")
        parse = run.registry.impl(self.slug, "fusionhub_parse_webhook")
        if parse is None:
            pytest.skip(f"{self.slug} declares webhooks but has no fusionhub_parse_webhook: no intake to check")
        if not isinstance(run.sandbox, SignsDeliveries):
            pytest.skip(
                f"the {self.slug} sandbox has no signed_delivery(): add it (fusionhub.plugin.SignsDeliveries) "
                "so the kit can check that forged and tampered deliveries are refused"
            )
        delivery = run.sandbox.signed_delivery()
        forged_store = Store(
            platform=self.slug,
            credentials=Credentials({k: canary(k) for k in run.store.credentials.reveal()}),
            config=run.store.config,
            name=f"{self.slug} forged",
        )
        taken = set(inspect.signature(parse).parameters)

        async def deliver(store: Store, body: bytes) -> Any:
            headers = {k.lower(): v for k, v in delivery.headers.items()}
            offered = {"store": store, "headers": headers, "body": body, "url": delivery.url}
            try:
                return await parse(**{k: v for k, v in offered.items() if k in taken})
            except AuthError as refused:
                return refused

        async def main() -> tuple[Any, Any, Any]:
            try:
                with no_network():
                    good = await deliver(run.store, delivery.body)
                    forged = await deliver(forged_store, delivery.body)
                    # A body changed after signing (a trailing space: still the same JSON or form).
                    tampered = await deliver(run.store, delivery.body + b" ") if delivery.url is None else None
                    return good, forged, tampered
            finally:
                await run.aclose()

        good, forged, tampered = run.clock.run(main())
        assert not isinstance(good, AuthError), f"fusionhub_parse_webhook refused the sandbox's own delivery: {good}"
        assert good, "fusionhub_parse_webhook returned no event for a good delivery: normalize it into events"
        assert all(event.platform == self.slug for event in good), f"each webhook event's platform is {self.slug!r}"
        assert isinstance(forged, AuthError), (
            "fusionhub_parse_webhook accepted a delivery signed with another secret: verify the signature "
            "with the store's secret (HmacSha256 / WebhookFormat.open) and raise AuthError"
        )
        assert delivery.url is not None or isinstance(tampered, AuthError), (
            "fusionhub_parse_webhook accepted a delivery whose body changed after signing: verify the "
            "signature over the exact raw body and raise AuthError"
        )

    def test_writes_are_visible_afterwards(self) -> None:
        run = self.run_on_sandbox()
        manifest = run.ctx.manifest
        if manifest.contract(Capability.GET_PRODUCT).level is Level.UNSUPPORTED:
            pytest.skip("get_product is unsupported: writes cannot be read back")

        async def read(product_id: str) -> Any:
            try:
                return (await run.execute(Capability.GET_PRODUCT, {"product_id": product_id})).value
            except NotFound:
                return None

        async def main() -> list[str]:
            checked: list[str] = []
            try:
                with no_network():
                    create = self.supported_sample(run, Capability.CREATE_PRODUCT)
                    if create is not None:
                        made = (await run.execute(Capability.CREATE_PRODUCT, create)).value
                        got = await read(made.id)
                        assert got is not None, "create_product's product is not found by get_product: return its id"
                        assert got.title == create["product"]["title"], "create_product did not keep the title"
                        checked.append("create")
                    update = self.supported_sample(run, Capability.UPDATE_PRODUCT)
                    if update is not None:
                        await run.execute(Capability.UPDATE_PRODUCT, update)
                        got = await read(update["product_id"])
                        assert got is not None, "update_product's product is gone"
                        for name in set(update["changes"]) & WRITE_FIELDS:
                            assert getattr(got, name) == update["changes"][name], (
                                f"update_product set {name}, but get_product reads {getattr(got, name)!r}: "
                                "send the change to the platform"
                            )
                        checked.append("update")
                    delete = self.supported_sample(run, Capability.DELETE_PRODUCT)
                    if delete is not None:
                        await run.execute(Capability.DELETE_PRODUCT, delete)
                        got = await read(delete["product_id"])
                        assert got is None or got.status in RETIRED, (
                            "after delete_product, get_product still reads the product "
                            f"as {got.status}: archive (or deactivate) it, or delete it"
                        )
                        checked.append("delete")
                    return checked
            finally:
                await run.aclose()

        if not run.clock.run(main()):
            pytest.skip("no product write is supported with sample params")

    def test_the_sandbox_shop_is_kept_between_processes(self) -> None:
        """`stores add --sandbox`: a product one process renames is renamed for the next."""
        first = self.run_on_sandbox()
        if not isinstance(first.sandbox, PersistsState):
            pytest.skip("the sandbox has no snapshot/restore (build it on SandboxBase): no `stores add --sandbox`")
        update = self.supported_sample(first, Capability.UPDATE_PRODUCT)
        if update is None or first.ctx.manifest.contract(Capability.GET_PRODUCT).level is Level.UNSUPPORTED:
            pytest.skip("no update_product sample to read back with get_product")
        registry, _ = self.record()
        second = sandbox_run(
            self.slug,
            clock=first.clock,
            registry=registry,
            options=self.options,
            credentials=first.sandbox.credentials(),
        )
        keeper = MemoryKeeper(first.sandbox.snapshot())
        for run in (first, second):  # two sandboxes on one kept shop: what two processes have
            run.hub.connect(run.store, transport=KeptTransport(run.sandbox, keeper))

        async def main() -> Any:
            try:
                with no_network():
                    await first.execute(Capability.UPDATE_PRODUCT, update)
                    return (await second.execute(Capability.GET_PRODUCT, {"product_id": update["product_id"]})).value
            finally:
                await first.aclose()
                await second.aclose()

        got = first.clock.run(main())
        for name in set(update["changes"]) & WRITE_FIELDS:
            assert getattr(got, name) == update["changes"][name], (
                f"another sandbox restored from the kept shop reads {name}={getattr(got, name)!r}: keep the "
                "shop's state in plain data attributes (see `persistent`/`transient` in the sandbox toolkit)"
            )


def _platform_objects(value: Any) -> list[Any]:
    """Products and orders inside a result (directly or in a page), which must name their platform."""
    items = getattr(value, "items", None)
    candidates = items if isinstance(items, list) else [value]
    return [c for c in candidates if isinstance(getattr(c, "platform", None), str)]


def slug_for(test_file: Path) -> str:
    """The slug of the plugin whose pyproject.toml (the nearest one above `test_file`) declares one
    entry point in group fusionhub.plugins: what a one-line `TestConformance` import checks."""
    for folder in test_file.resolve().parents:
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            continue
        project = tomllib.loads(pyproject.read_text("utf-8")).get("project", {})
        names = sorted(project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {}))
        if len(names) == 1:
            return str(names[0])
        if names:
            raise LookupError(
                f"{pyproject} declares {len(names)} plugins ({', '.join(names)}) in group {ENTRY_POINT_GROUP}: "
                "name one with `TestConformance = conformance_suite(slug)`"
            )
    raise LookupError(
        f"no pyproject.toml above {test_file} declares an entry point in group {ENTRY_POINT_GROUP}: "
        "run the tests inside the plugin's distribution, or use `TestConformance = conformance_suite(slug)`"
    )


def conformance_suite(
    slug: str,
    *,
    options: Mapping[str, Any] | None = None,
    burst_calls: int = 30,
) -> type[ConformanceSuite]:
    """A pytest test class checking plugin `slug` against its own manifest and sandbox.

    `options` go to the plugin's `fusionhub_sandbox` hook; `burst_calls` concurrent reads must
    pass without a single 429 from the sandbox.
    """
    require_kit_dependencies()
    namespace = {"slug": slug, "options": dict(options or {}), "burst_calls": burst_calls}
    return type(f"TestConformance_{slug.replace('-', '_')}", (ConformanceSuite,), namespace)


class TestConformance(ConformanceSuite):
    """The whole kit for the plugin the importing test file belongs to: a plugin's test file is

        from fusionhub.testing.conformance import TestConformance

    (the slug is the one entry point of the nearest pyproject.toml; see `slug_for`)."""
