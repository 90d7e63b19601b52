"""The execution gate: the one path every capability call takes.

gate (level, automation) → validate params → dispatch through pluggy to that platform's
hookimpl (or core's declared fan-out) inside every plugin's wrappers → validate the result →
observe. Unsupported capabilities fail before any I/O. A call ends ok, failed, or parked.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

import httpx
import pluggy
import pydantic

from fusionhub.cache import ReadCache
from fusionhub.capabilities import CAPABILITY_SPECS, Capability, spec_of
from fusionhub.clock import SYSTEM_CLOCK, Clock
from fusionhub.context import CredentialSaver, RunMode, StoreContext
from fusionhub.contracts import CapabilityContract, Level, Once, PluginManifest, Workaround
from fusionhub.errors import (
    AutomationDisabled,
    CapabilityUnsupported,
    FusionHubError,
    OutcomeUnknown,
    PlatformError,
    TransientError,
    ValidationError,
)
from fusionhub.fastinit import builder, quick_init
from fusionhub.http import CallLabels, HttpConfig, RefreshingAuth, build_client
from fusionhub.http.auth import store_token_saver
from fusionhub.http.hosts import ForeignHostRefused, declared_hosts, undeclared_hosts
from fusionhub.models import BulkResult, ItemOutcome, Page
from fusionhub.models.common import item_key
from fusionhub.observability import ErrorRateMonitor, Observer, current_capability
from fusionhub.observability.records import build_capability_call
from fusionhub.observability.redaction import scrub
from fusionhub.paging import Step, stream
from fusionhub.params import parse_params
from fusionhub.parked import Parked
from fusionhub.ratelimit import BucketStore, Limiter, MemoryBucketStore, admission, simulate_rate_limit
from fusionhub.ratelimit.limiter import LimiterStats
from fusionhub.ratelimit.scope import budget_key
from fusionhub.registry import Registry
from fusionhub.stores import Store
from fusionhub.stores.checks import check_config

R = TypeVar("R")
_ADAPTERS: dict[Capability, pydantic.TypeAdapter[Any]] = {}
# Per call, an enum's `.value` and `hook_name` are property calls: looked up in plain dicts instead.
_VALUES: dict[Any, str] = {member: member.value for kind in (Capability, Level, RunMode) for member in kind}
_HOOKS: dict[Capability, str] = {cap: cap.hook_name for cap in Capability}
# A capability's result class when it is a pydantic model (else None): an instance of exactly it is
# passed on unvalidated, decided per call without an isinstance check against pydantic's ABC.
_MODEL_RESULTS: dict[Capability, type | None] = {
    cap: spec.result if isinstance(spec.result, type) and issubclass(spec.result, pydantic.BaseModel) else None
    for cap, spec in CAPABILITY_SPECS.items()
}


@quick_init
@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """A capability's result and how it was obtained (hosts show workarounds as such)."""

    value: R
    capability: Capability
    platform: str
    level: Level
    workaround: Workaround | None
    duration_ms: float
    cached: bool = False  # served from the store's read cache, no platform call

    @property
    def ran_as_workaround(self) -> bool:
        return self.level is Level.WORKAROUND


_build_outcome = builder(Outcome)  # per call: without the type call (fusionhub.fastinit)


class Hub:
    def __init__(
        self,
        registry: Registry | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        bucket_store: BucketStore | None = None,
        error_monitor: ErrorRateMonitor | None = None,
    ) -> None:
        self.registry = registry if registry is not None else Registry.discover()
        self.clock = clock
        self.bucket_store: BucketStore = bucket_store or MemoryBucketStore()
        self._contexts: dict[str, StoreContext] = {}
        self._automation_overrides: dict[tuple[str, Capability], bool] = {}
        self.cache = ReadCache(clock)
        self._cache_ttls: dict[tuple[str | None, Capability], float] = {}
        self._contract_ttls: dict[tuple[str, Capability], tuple[PluginManifest, float | None]] = {}
        hook = self.registry.hook
        self.observer = Observer(
            clock,
            monitor=error_monitor or ErrorRateMonitor(),
            on_api_call=_tell(hook.fusionhub_on_api_call, "call"),
            on_capability_call=_tell(hook.fusionhub_on_capability_call, "call"),
            on_alert=_tell(hook.fusionhub_on_alert, "alert"),
        )

    # --- stores ---------------------------------------------------------------------------

    def connect(
        self,
        store: Store,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        save_credentials: CredentialSaver | None = None,
    ) -> StoreContext:
        """Prepare a store's client and limiter. `transport` routes it (a sandbox, a MockTransport).

        `save_credentials` persists rotated tokens (a refreshing auth flow calls it after each refresh).
        """
        record = self.registry.platform(store.platform)
        manifest = record.manifest
        assert manifest is not None
        check_config(manifest, store.config)  # before the plugin reads it: no key may point it elsewhere
        config_hook = record.impls.get("fusionhub_http_config")
        http_config = config_hook(store=store) if config_hook else HttpConfig(base_url="")
        if manifest.hosts:  # the client may send credentials only where the manifest says, whatever the config
            client_hosts = declared_hosts(http_config.base_url, http_config.hosts, http_config.auth)
            outside = undeclared_hosts(manifest.hosts, client_hosts)
            if outside:
                raise ForeignHostRefused(
                    f"the {store.platform} plugin's client for this store would send credentials to "
                    f"{', '.join(outside)}, outside the hosts its manifest declares ({', '.join(manifest.hosts)})",
                    platform=store.platform,
                )
        spec = manifest.constraints.rate_limit
        limiter = Limiter(
            store_key=budget_key(store.platform, store.id, store.credentials, spec),
            spec=spec,
            store=self.bucket_store,
            clock=self.clock,
        )
        old = self._contexts.get(store.id)
        ctx = StoreContext(
            store=store,
            manifest=manifest,
            http=build_client(
                http_config,
                limiter,
                transport,
                sink=self.observer.api_call,
                labels=CallLabels(plugin=store.platform, store_id=store.id),
            ),
            limiter=limiter,
            clock=self.clock,
            save_credentials=save_credentials,
        )
        ctx.fan_out = self._direct_fan_out(ctx)
        if isinstance(http_config.auth, RefreshingAuth):
            http_config.auth.clock = self.clock  # expiry is judged on the hub's clock (a virtual one in tests)
            if http_config.auth.on_refresh is None:
                # Looked up at refresh time: a host may set ctx.save_credentials after connecting.
                http_config.auth.on_refresh = store_token_saver(store, lambda: ctx.save_credentials)
        self.cache.invalidate(store.id)
        self._contexts[store.id] = ctx
        if old is not None:  # what a plugin learnt about the store, and where its outbound requests go
            ctx.states.update(old.states)
            ctx.outbound_transport = old.outbound_transport
        return ctx

    def context(self, store: Store | str) -> StoreContext:
        store_id = store if isinstance(store, str) else store.id
        try:
            return self._contexts[store_id]
        except KeyError:
            raise PlatformError(f"store {store_id} is not connected: call hub.connect(store) first") from None

    async def disconnect(self, store_id: str) -> None:
        """Forget a store's context and close its client (a store that was never saved: a connect check)."""
        ctx = self._contexts.pop(store_id, None)
        if ctx is not None:
            await ctx.http.aclose()

    async def aclose(self) -> None:
        for ctx in self._contexts.values():
            await ctx.http.aclose()
        self._contexts.clear()

    # --- contracts ------------------------------------------------------------------------

    def manifest(self, slug: str) -> PluginManifest:
        manifest = self.registry.platform(slug).manifest
        assert manifest is not None
        return manifest

    def set_automation(self, slug: str, capability: Capability | str, enabled: bool) -> None:
        """A host's choice, kept over the plugin's default."""
        self._automation_overrides[(slug, Capability(capability))] = enabled

    def automation_enabled(self, slug: str, capability: Capability) -> bool:
        override = self._automation_overrides.get((slug, capability))
        return self.manifest(slug).contract(capability).automation_enabled if override is None else override

    def gate(self, slug: str, capability: Capability, mode: RunMode) -> CapabilityContract:
        """Refuse what cannot or may not run; no I/O happens here."""
        return self._gate(self.manifest(slug), slug, capability, mode)

    def _gate(self, manifest: PluginManifest, slug: str, capability: Capability, mode: RunMode) -> CapabilityContract:
        contract = manifest.capabilities[capability]
        if contract.level is Level.UNSUPPORTED:
            raise CapabilityUnsupported(
                capability.value,
                contract.explanation or "the platform does not offer it",
                manual_workaround=contract.manual_workaround,
                platform=slug,
            )
        if mode is RunMode.AUTOMATED and not self.automation_enabled(slug, capability):
            by_host = (slug, capability) in self._automation_overrides
            why = "the host's settings" if by_host else f"the {slug} plugin's contract"
            if not by_host and contract.notes:
                why += f" ({contract.notes})"
            raise AutomationDisabled(
                f"{capability} on {slug} is disabled for automated runs by {why}; "
                "run it interactively or enable automation for it",
                platform=slug,
                details={"capability": capability.value, "source": "host" if by_host else "contract"},
            )
        return contract

    # --- execution ------------------------------------------------------------------------

    async def execute(
        self,
        store: Store | str,
        capability: Capability | str,
        params: Mapping[str, Any] | pydantic.BaseModel | None = None,
        *,
        mode: RunMode = RunMode.INTERACTIVE,
        call_key: str | None = None,
        rerun_since: float | None = None,
    ) -> Outcome[Any]:
        """Run one capability call.

        `call_key` names the call across runs, so a re-run sends the same idempotency keys: a params
        `idempotency_key` first, then this (a job's key or id), else a new one per call. `rerun_since`:
        an earlier run of it may have reached the platform at this time or later, so a write takes
        effect once as its contract's `once` says (`ctx.idempotency_key`, `fusionhub_reconcile`)."""
        ctx = self.context(store)
        slug = ctx.store.platform
        try:
            cap = capability if type(capability) is Capability else Capability(capability)
        except ValueError:
            raise ValidationError(errors=[{"loc": "capability", "msg": f"unknown capability {capability!r}"}]) from None
        manifest = self.manifest(slug)  # one lookup for the gate and the cache TTL
        contract = self._gate(manifest, slug, cap, mode)
        spec = CAPABILITY_SPECS[cap]
        parsed = parse_params(spec.params, params, platform=slug)
        hook = self.registry.caller(slug, _HOOKS[cap])  # the registry refused levels its hookimpls contradict
        if spec.writes:  # the call's name across runs; a read needs none
            key = getattr(parsed, "idempotency_key", None) or call_key or uuid.uuid4().hex
            call_ctx = ctx.for_call(mode, cap, call_key=key, rerun_since=rerun_since)
        else:
            call_ctx = ctx.for_call(mode, cap)
        started = time.perf_counter()
        ttl = None if spec.writes else self._cache_ttl(manifest, slug, cap)
        if ttl:
            hit, cached = self.cache.get(ctx.store.id, cap, parsed)
            if hit:
                return self._observed(ctx, cap, contract, mode, started, None, cached=True, value=cached)
        error: FusionHubError | None = None
        parked = False
        value: Any = None
        scope = current_capability.set(_VALUES[cap])
        try:
            with admission.call_scope():  # admitted or refused as a whole, at its first request
                raw = await self._earlier_effect(call_ctx, contract, parsed) if call_ctx.rerun else None
                if raw is None:
                    raw = await hook(ctx=call_ctx, params=parsed)
            # A model built by the plugin is validated already (pydantic would return it as it is).
            value = raw if type(raw) is _MODEL_RESULTS[cap] else self._result(spec.result, raw, slug, cap)
        except Parked:  # handed to child jobs, resumed later: neither ok nor an error
            parked = True
            raise
        except FusionHubError as exc:
            error = exc
            raise
        except httpx.TransportError as exc:
            error = TransientError(f"network error talking to {slug}: {type(exc).__name__}", platform=slug)
            raise error from None
        except json.JSONDecodeError:  # a body garbled or cut short on its way: worth a bounded number of retries
            error = TransientError(f"{slug} sent a malformed response to {cap}", platform=slug)
            raise error from None
        except Exception as exc:  # a plugin's (or a wrapper's) bug must not take the host down, nor leak secrets
            error = PlatformError(
                f"plugin {slug} failed in {cap}: {type(exc).__name__}: {scrub(str(exc))}", platform=slug
            )
            raise error from None
        finally:
            try:  # noqa: SIM105 (per call: contextlib.suppress costs an object and two calls)
                current_capability.reset(scope)
            except ValueError:  # a call abandoned with its task ends in another Context
                pass
            if spec.writes:  # even a failed write may have changed something
                self.cache.invalidate(ctx.store.id)
            outcome = self._observed(ctx, cap, contract, mode, started, error, parked=parked, value=value)
        if ttl:
            self.cache.put(ctx.store.id, cap, parsed, value, ttl)
        return outcome

    async def _earlier_effect(self, ctx: StoreContext, contract: CapabilityContract, params: Any) -> Any:
        """A re-run write: what its earlier run already did (None: send it), as its contract's `once` says."""
        if contract.fan_out is not None or contract.once in (Once.NATURAL, Once.KEY):
            return None  # per-item calls take care of themselves; the same write or the same key again
        cap = ctx.capability
        if contract.once is Once.RECONCILE:
            reconcile = self.registry.impl(ctx.store.platform, "fusionhub_reconcile")
            assert reconcile is not None  # the registry refuses a `reconcile` contract without it
            return await reconcile(ctx=ctx, capability=str(cap), params=params)
        raise OutcomeUnknown(
            f"{cap} may already have reached {ctx.store.platform} in an earlier run (a worker stopped, or the"
            " response was lost), and the plugin declares no way for it to take effect once (`once` in its"
            " manifest): not sent again. Check the platform, and run it again if it is missing.",
            platform=ctx.store.platform,
        )

    def _observed(
        self,
        ctx: StoreContext,
        cap: Capability,
        contract: CapabilityContract,
        mode: RunMode,
        started: float,
        error: FusionHubError | None,
        *,
        cached: bool = False,
        parked: bool = False,
        value: Any = None,
    ) -> Outcome[Any]:
        duration_ms = (time.perf_counter() - started) * 1000
        self.observer.capability_call(
            build_capability_call(
                plugin=ctx.store.platform,
                store_id=ctx.store.id,
                capability=_VALUES[cap],
                level=_VALUES[contract.level],
                ok=error is None and not parked,
                duration_ms=duration_ms,
                error_category=error.category.value if error else None,
                mode=_VALUES[mode],
                parked=parked,
            ),
            cached=cached,
        )
        return _build_outcome(value, cap, ctx.store.platform, contract.level, contract.workaround, duration_ms, cached)

    # --- cache, limits, stats -------------------------------------------------------------

    def set_cache_ttl(self, capability: Capability | str, ttl: float | None, *, platform: str | None = None) -> None:
        """The host's TTL (seconds) for a read capability, on one platform or all; None: the contract's."""
        key = (platform, Capability(capability))
        if ttl is None:
            self._cache_ttls.pop(key, None)
        else:
            self._cache_ttls[key] = ttl

    def cache_ttl(self, slug: str, capability: Capability) -> float | None:
        """How long a read may be reused: host setting (platform, then global), else the contract's cache_ttl."""
        return self._cache_ttl(self.manifest(slug), slug, capability)

    def _cache_ttl(self, manifest: PluginManifest, slug: str, capability: Capability) -> float | None:
        if self._cache_ttls:  # the host set some
            for key in ((slug, capability), (None, capability)):
                if key in self._cache_ttls:
                    return self._cache_ttls[key]
        known = self._contract_ttls.get((slug, capability))
        if known is None or known[0] is not manifest:  # merged constraints are a model rebuild: once per contract
            known = self._contract_ttls[(slug, capability)] = (manifest, manifest.constraints_for(capability).cache_ttl)
        return known[1]

    def simulate_rate_limit(self, store: Store | str, factor_or_spec: Any, duration: float) -> float:
        """Lower a store's limits for `duration` seconds (factor or RateLimitSpec); returns when it ends."""
        return simulate_rate_limit(self.context(store).limiter, factor_or_spec, duration)

    async def rate_limit_report(self, store: Store | str, operation: str | None = None) -> dict[str, Any]:
        """A store's rate-limit consumption with the level of each of its buckets now."""
        return await self.context(store).limiter.report(operation)

    def stats(self) -> dict[str, Any]:
        """Counters and latency per (plugin, capability), API traffic and rate-limit use per store."""
        data = self.observer.stats()
        data["rate_limits"] = {store_id: _limiter_stats(ctx.limiter.stats) for store_id, ctx in self._contexts.items()}
        data["cache"] = {**asdict(self.cache.stats), "entries": len(self.cache)}
        return data

    async def iterate(
        self,
        store: Store | str,
        capability: Capability | str,
        params: Mapping[str, Any] | None = None,
        *,
        mode: RunMode = RunMode.INTERACTIVE,
    ) -> AsyncIterator[Any]:
        """Every item of a paged listing (list_products, list_orders), one page in memory at a time."""
        cap = Capability(capability)
        if not issubclass(spec_of(cap).result, Page):
            raise ValidationError(errors=[{"loc": "capability", "msg": f"{cap} does not return pages"}])
        query = dict(params or {})

        async def fetch(cursor: str | None) -> Step[Any, str]:
            page = (await self.execute(store, cap, {**query, "cursor": cursor} if cursor else query, mode=mode)).value
            return page.items, page.next_cursor

        async for item in stream(fetch, query.get("cursor")):
            yield item

    @staticmethod
    def _result(result_type: Any, raw: Any, slug: str, cap: Capability) -> Any:
        adapter = _ADAPTERS.get(cap)
        if adapter is None:
            adapter = _ADAPTERS[cap] = pydantic.TypeAdapter(result_type)
        try:
            return adapter.validate_python(raw, from_attributes=True)
        except pydantic.ValidationError as exc:
            fields = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            raise PlatformError(f"plugin {slug} returned an invalid {cap} result: {fields}", platform=slug) from None

    def _direct_fan_out(self, ctx: StoreContext) -> Any:
        """Outside a worker, a workaround bulk runs its items one by one through the gate."""

        async def fan_out(capability: Capability, items: list[dict[str, Any]]) -> BulkResult:
            outcomes: list[ItemOutcome] = []
            for index, item in enumerate(items):
                try:
                    outcome = await self.execute(ctx.store, capability, item, mode=RunMode.AUTOMATED)
                    result = outcome.value.model_dump(mode="json") if hasattr(outcome.value, "model_dump") else None
                    outcomes.append(ItemOutcome(index=index, key=item_key(item), ok=True, result=result))
                except FusionHubError as exc:
                    outcomes.append(
                        ItemOutcome(
                            index=index,
                            key=item_key(item),
                            ok=False,
                            error_category=exc.category.value,
                            error=exc.user_message,
                        )
                    )
            ok = sum(1 for o in outcomes if o.ok)
            return BulkResult(total=len(items), succeeded=ok, failed=len(items) - ok, items=outcomes)

        return fan_out


def _tell(hook: pluggy.HookCaller, argument: str) -> Callable[[Any], None]:
    """An observer hook's caller that skips pluggy when no plugin implements the hook (checked per
    call: a plugin registered later is told too)."""

    def tell(record: Any) -> None:
        if hook.get_hookimpls():
            hook(**{argument: record})

    return tell


def _limiter_stats(stats: LimiterStats) -> dict[str, Any]:
    return asdict(stats)
