"""The host facade: Hub + database + encrypted stores + job queue + events, wired together.

runtime = await Runtime.open()                  # migrates on first use, registers plugins
store = await runtime.stores.add("shop", "<platform slug>", credentials, config)
job = await runtime.enqueue(store.id, "bulk_update", params)
await Worker(runtime).run()                      # or `fusionhub worker`
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pydantic

from fusionhub.capabilities import Capability, spec_of
from fusionhub.clock import SYSTEM_CLOCK, Clock, SystemClock
from fusionhub.context import RunMode, StoreContext
from fusionhub.credentials import Credentials
from fusionhub.errors import AutomationDisabled, ValidationError
from fusionhub.events import EventService
from fusionhub.http.auth import RefreshingAuth
from fusionhub.hub import Hub, Outcome
from fusionhub.jobs.model import Job, NewJob
from fusionhub.jobs.pg.select import queue_for
from fusionhub.jobs.queue import JobQueue
from fusionhub.jobs.runner import queue_fan_out
from fusionhub.observability.logs import get_logger
from fusionhub.params import parse_params
from fusionhub.ratelimit.pg_store import bucket_store_for
from fusionhub.registry import Registry
from fusionhub.secrets import Keyring
from fusionhub.storage.database import Database
from fusionhub.storage.refresh_locks import RefreshLocks, SavedTokens
from fusionhub.storage.registration import (
    RegistrationReport,
    automation_overrides,
    register_plugins,
    set_automation,
)
from fusionhub.stores import Store
from fusionhub.stores.sandboxes import SandboxStores
from fusionhub.stores.service import StoreProblem, StoreRecord, StoreService
from fusionhub.stores.simulated_limits import SimulatedLimit, SimulatedLimits

log = get_logger("fusionhub.runtime")
MAX_IDEMPOTENCY_KEY = 255  # the jobs table's column
TransportFor = Callable[[Store], httpx.AsyncBaseTransport | None]


class Runtime:
    def __init__(
        self,
        db: Database,
        *,
        registry: Registry | None = None,
        clock: Clock = SYSTEM_CLOCK,
        keyring: Keyring | None = None,
        queue: JobQueue | None = None,
        transport_for: TransportFor | None = None,
        store_ttl: float = 1.0,
    ) -> None:
        self.db = db
        self.clock = clock
        # On PostgreSQL, buckets follow the database's clock (workers on skewed machines share
        # one budget); a virtual clock keeps its own time. The PostgreSQL job queue is always on
        # the database's clock: procrastinate decides what is due by the server's now().
        wall = isinstance(clock, SystemClock)
        self.buckets = bucket_store_for(db, database_clock=wall)
        self.hub = Hub(registry, clock=clock, bucket_store=self.buckets)
        self._keyring = keyring
        self.stores = StoreService(db, self.hub.registry, self.keyring, clock)
        self.sandboxes = SandboxStores(db, self.hub.registry, clock)  # stores bound to a kept sandbox shop
        self.simulated_limits = SimulatedLimits(db, clock)
        self.queue: JobQueue = queue if queue is not None else queue_for(db)
        self.events = EventService(self)
        self.refresh_locks = RefreshLocks(db)
        self.transport_for = transport_for
        self._versions: dict[str, float] = {}  # store id -> updated_at its context was built from
        self._building: dict[str, asyncio.Lock] = {}  # store id -> held while its context is built
        self._platforms: dict[str, str] = {}
        # A worker looks a store up before each job (enabled? changed?); within this many
        # seconds it reuses what it saw, saving a query per job.
        self.store_ttl = store_ttl
        self._seen: dict[str, tuple[float, StoreRecord]] = {}

    @classmethod
    async def open(
        cls, url: str | None = None, *, schema: str | None = None, connections: int | None = None, **kwargs: Any
    ) -> Runtime:
        """Open (and on first use create or migrate) the database, then register the installed plugins.

        `connections`: the database connections to keep open (see `Database`)."""
        db = Database(url, schema=schema, connections=connections)
        await db.ensure_schema()
        runtime = cls(db, **kwargs)
        await runtime.register_plugins()
        await runtime.report_store_problems()
        return runtime

    async def report_store_problems(self) -> list[StoreProblem]:
        """Warn about each saved store its plugin does not accept (with the fix); the others run as usual."""
        problems = await self.stores.audit()
        for problem in problems:
            log.warning("store_refused", message=problem.message, **problem.to_dict())
        return problems

    def keyring(self) -> Keyring:
        if self._keyring is None:
            self._keyring = Keyring.load()
        return self._keyring

    async def aclose(self) -> None:
        await self.hub.aclose()
        await self.db.aclose()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- plugins ----------------------------------------------------------------------

    async def register_plugins(self) -> RegistrationReport:
        report = await register_plugins(self.db, self.hub.registry, now=self.clock.now())
        for slug, capability, enabled in await automation_overrides(self.db):
            if slug in self.hub.registry.platforms:
                self.hub.set_automation(slug, capability, enabled)
        return report

    async def set_automation(self, slug: str, capability: Capability | str, enabled: bool) -> None:
        cap = Capability(capability)
        if not await set_automation(self.db, slug, cap, enabled):
            raise ValidationError(errors=[{"loc": "platform", "msg": f"{slug!r} is not registered"}])
        self.hub.set_automation(slug, cap, enabled)

    # --- stores -----------------------------------------------------------------------

    def platform_of(self, store_id: str) -> str:
        return self._platforms[store_id]

    async def context(self, store_ref: str, *, version: float | None = None) -> StoreContext:
        """The store's connected context, rebuilt when the store changed (config, credentials, enabled).

        `version`: the store's `updated_at` as the caller just read it (a worker's claim does): when
        the context was built from that very version, it is returned without looking the store up.
        Every change to a store (enabled, config, credentials) moves its `updated_at`.
        """
        if version is not None and self._versions.get(store_ref) == version:
            return self.hub.context(store_ref)
        record = await self._record(store_ref)
        if not record.is_enabled:
            raise AutomationDisabled(
                f"store {record.name!r} is disabled; enable it with `fusionhub stores enable {record.name}`",
                platform=record.platform,
            )
        if self._versions.get(record.id) == record.updated_at:
            return self.hub.context(record.id)
        # One build per store at a time: jobs of a store claimed together would each build (and
        # leave behind) a client of their own.
        async with self._building.setdefault(record.id, asyncio.Lock()):
            if self._versions.get(record.id) == record.updated_at:  # built while this one waited
                return self.hub.context(record.id)
            return await self._connect(record)

    async def _connect(self, record: StoreRecord) -> StoreContext:
        store = await self.stores.load(record.id)
        await self.stores.check(store)  # a store saved before its plugin tightened runs only once fixed
        transport = await self.sandboxes.transport(store)
        if transport is None and self.transport_for is not None:
            transport = self.transport_for(store)
        ctx = self.hub.connect(store, transport=transport)
        ctx.save_credentials = self._saver(store)
        if isinstance(ctx.http.auth, RefreshingAuth):  # one refresh at a time, across processes
            ctx.http.auth.shared = SavedTokens(self.refresh_locks, store, self.stores.load)
        ctx.fan_out = queue_fan_out(self.queue, ctx.fan_out)
        await self.simulated_limits.apply(ctx)
        self._versions[record.id] = record.updated_at
        self._platforms[record.id] = record.platform
        return ctx

    async def _record(self, store_ref: str) -> StoreRecord:
        seen = self._seen.get(store_ref)
        if seen is not None and self.clock.now() - seen[0] < self.store_ttl:
            return seen[1]
        record = await self.stores.get(store_ref)
        self._seen[store_ref] = (self.clock.now(), record)
        return record

    def forget(self, store_ref: str | None = None) -> None:
        """Drop what was seen of a store (or of all), so the next job reads it afresh."""
        if store_ref is None:
            self._seen.clear()
        else:
            self._seen.pop(store_ref, None)

    async def simulate_rate_limit(self, store_ref: str, factor: float, duration: float) -> SimulatedLimit | None:
        """Lower the store's rate limit to `factor` of its own for `duration` seconds, in every process
        on this database (0 ends it); None once ended."""
        record = await self.stores.get(store_ref)
        spec = self.hub.manifest(record.platform).constraints.rate_limit
        limit = await self.simulated_limits.set(record, spec, factor, duration)
        self.forget()
        return limit

    def _saver(self, store: Store) -> Callable[[Credentials], Any]:
        async def save(credentials: Credentials) -> None:
            await self.stores.save_credentials(store.id, credentials)
            store.credentials = credentials
            self.forget(store.id)
            # The live client already holds the new token: no need to rebuild the context.
            record = await self.stores.get(store.id)
            self._versions[store.id] = record.updated_at

        return save

    # --- running ----------------------------------------------------------------------

    async def execute(
        self,
        store_ref: str,
        capability: Capability | str,
        params: Mapping[str, Any] | pydantic.BaseModel | None = None,
        *,
        mode: RunMode = RunMode.INTERACTIVE,
    ) -> Outcome[Any]:
        """Run now, in this process (waits for rate limits instead of re-scheduling)."""
        ctx = await self.context(store_ref)
        return await self.hub.execute(ctx.store, capability, params, mode=mode)

    async def admissible(
        self,
        store_ref: str,
        capability: Capability | str,
        params: Mapping[str, Any] | pydantic.BaseModel | None = None,
        *,
        mode: RunMode = RunMode.AUTOMATED,
    ) -> tuple[Capability, StoreRecord]:
        """Refuse, before anything is queued, what the job would be refused for when it runs.

        The store (it exists, its config is what its plugin accepts), the capability (known, not
        unsupported, automation allowed in `mode`: the contract gate) and the params (the
        capability's model, with its limits) are checked exactly as `Hub.execute` checks them.
        """
        try:
            cap = Capability(capability)
        except ValueError:
            raise ValidationError(errors=[{"loc": "capability", "msg": f"unknown capability {capability!r}"}]) from None
        record = await self.stores.get(store_ref)
        await self.stores.check_saved_config(record)
        self.hub.gate(record.platform, cap, mode)
        parse_params(spec_of(cap).params, params, platform=record.platform)
        return cap, record

    async def enqueue(
        self,
        store_ref: str,
        capability: Capability | str,
        params: Mapping[str, Any] | pydantic.BaseModel | None = None,
        *,
        mode: RunMode = RunMode.AUTOMATED,
        idempotency_key: str | None = None,
        run_at: float | None = None,
    ) -> Job:
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise ValidationError(errors=[{"loc": "idempotency_key", "msg": f"1 to {MAX_IDEMPOTENCY_KEY} characters"}])
        cap, record = await self.admissible(store_ref, capability, params, mode=mode)
        data = params.model_dump(mode="json", exclude_unset=True) if isinstance(params, pydantic.BaseModel) else params
        try:
            json.dumps(data, allow_nan=False)
        except (TypeError, ValueError) as exc:  # kept as JSON in the queue: refuse what JSON cannot hold
            raise ValidationError(errors=[{"loc": "params", "msg": f"not JSON data: {exc}"}]) from None
        job = NewJob(
            store_id=record.id,
            capability=cap.value,
            params=dict(data or {}),
            mode=mode.value,
            run_at=run_at,
            idempotency_key=idempotency_key,
        )
        return await self.queue.enqueue(job, now=self.clock.now())
