"""A sandbox's shop kept between processes: its state snapshotted, restored in place, and a
transport that serves each request on the latest state under a lock.

Every request through `KeptTransport` runs as one step: take the keeper's lock, restore the state
saved last (when another process changed it), serve, save the state if the request changed it,
let go. Two processes writing the same fake shop therefore never lose a write, and a product
renamed by one `fusionhub run` is renamed for the next.

What is kept is the sandbox's `persistent` attributes (dotted paths reach into a helper object:
`"server.keys"`); `None`, the default, keeps every instance attribute but the toolkit's own (clock,
request log, faults, bucket: those stay per process) and those named in `transient` (helpers
holding code, logs for tests). They are pickled in one go, so objects they
share stay shared, the sandbox's clock is referred to rather than copied, and loading accepts only
plain data types and the plugin's own classes. A restore assigns in place (a dict is refilled, an
object's fields replaced), so helpers that hold a kept object keep seeing the live one.
"""

from __future__ import annotations

import asyncio
import io
import pickle
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import httpx

from fusionhub.sandbox.faults import DELAY

TOOLKIT = frozenset({"clock", "requests", "faults", "bucket"})  # SandboxBase's mechanism, kept per process
_SAFE = {
    "builtins": frozenset({"set", "frozenset", "bytearray", "complex", "slice", "range"}),
    "collections": frozenset({"OrderedDict", "deque", "Counter"}),
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "decimal": frozenset({"Decimal"}),
    "fractions": frozenset({"Fraction"}),
    "uuid": frozenset({"UUID"}),
}
_CLOCK, _SELF = "clock", "sandbox"


@runtime_checkable
class PersistsState(Protocol):
    """A sandbox whose shop can be kept between processes (SandboxBase gives both methods)."""

    def snapshot(self) -> bytes:
        """The shop's state now, as bytes `restore` takes back."""
        ...

    def restore(self, state: bytes) -> None:
        """Make the shop what `snapshot` saw."""
        ...


class StateError(TypeError):
    """A sandbox's kept state cannot be written or read back (a plugin's `persistent` is wrong)."""


def kept_paths(sandbox: Any) -> tuple[str, ...]:
    """`persistent` when declared; else every instance attribute but the toolkit's and `transient`."""
    declared: Iterable[str] | None = getattr(type(sandbox), "persistent", None)
    if declared is not None:
        return tuple(declared)
    skipped = TOOLKIT | frozenset(getattr(type(sandbox), "transient", ()))
    return tuple(sorted(name for name in vars(sandbox) if name not in skipped))


def snapshot(sandbox: Any) -> bytes:
    """The sandbox's kept attributes, pickled together (shared objects stay shared)."""
    values = {path: _get(sandbox, path) for path in kept_paths(sandbox)}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    live = {id(sandbox.clock): _CLOCK, id(sandbox): _SELF}
    pickler.persistent_id = lambda obj: live.get(id(obj))  # type: ignore[method-assign]
    try:
        pickler.dump(values)
    except (pickle.PicklingError, TypeError, AttributeError):
        for path, value in values.items():  # one by one, so the error names the attribute
            try:
                _probe(sandbox, value)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                raise StateError(
                    f"the {sandbox.slug} sandbox cannot keep {path!r} between processes ({exc}); "
                    "its `persistent` attributes must hold plain data (dicts, lists, dataclasses)"
                ) from None
        raise
    return buffer.getvalue()


def _probe(sandbox: Any, value: Any) -> None:
    pickler = pickle.Pickler(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL)
    live = {id(sandbox.clock), id(sandbox)}
    pickler.persistent_id = lambda obj: "x" if id(obj) in live else None  # type: ignore[method-assign]
    pickler.dump(value)


class _Loader(pickle.Unpickler):
    def __init__(self, data: bytes, sandbox: Any) -> None:
        super().__init__(io.BytesIO(data))
        self.sandbox = sandbox
        self.package = type(sandbox).__module__.split(".")[0]

    def persistent_load(self, pid: Any) -> Any:
        if pid == _CLOCK:
            return self.sandbox.clock
        if pid == _SELF:
            return self.sandbox
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")

    def find_class(self, module: str, name: str) -> Any:
        # Only plain data types and classes the plugin defines: the state never names other code to run.
        if name in _SAFE.get(module, ()):
            return super().find_class(module, name)
        if (module == self.package or module.startswith(self.package + ".")) and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__.split(".")[0] == self.package:
                return found
        raise pickle.UnpicklingError(f"the kept sandbox state names {module}.{name}, which is not sandbox data")


def restore(sandbox: Any, state: bytes) -> None:
    """Put `state` (from `snapshot`) back into the live sandbox, in place."""
    try:
        values = _Loader(state, sandbox).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError) as exc:
        raise StateError(f"the kept {sandbox.slug} sandbox state cannot be read: {exc}") from None
    for path, value in values.items():
        parent, _, name = path.rpartition(".")
        owner = _get(sandbox, parent) if parent else sandbox
        _assign(owner, name, value)


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _assign(owner: Any, name: str, new: Any) -> None:
    old: Any = getattr(owner, name, None)
    if type(old) is not type(new) or old is None:
        setattr(owner, name, new)
    elif isinstance(old, dict):
        old.clear()
        old.update(new)
    elif isinstance(old, list):
        old[:] = new
    elif isinstance(old, set):
        old.clear()
        old.update(new)
    elif hasattr(old, "__dict__") and not isinstance(old, type):
        vars(old).clear()
        vars(old).update(vars(new))
    else:
        setattr(owner, name, new)


# --- keeping the state somewhere, and serving on it -------------------------------------------


class Held(Protocol):
    """The kept state while the keeper's lock is held; each save makes it `version + 1`."""

    state: bytes | None
    version: int

    def replace(self, state: bytes) -> None:
        """Save `state` when the lock is let go."""
        ...


class StateKeeper(Protocol):
    """Where one sandbox shop's state lives between requests (the database, for a host's stores)."""

    def held(self) -> AbstractAsyncContextManager[Held]:
        """The state, locked against every other writer until the block ends (then saved if replaced)."""
        ...


@dataclass
class _Slot:
    state: bytes | None
    version: int
    new: bytes | None = field(default=None)

    def replace(self, state: bytes) -> None:
        self.new = state


class MemoryKeeper:
    """Keeps the state in this process (tests, and a model of what a keeper does)."""

    def __init__(self, state: bytes | None = None) -> None:
        self.state, self.version = state, 0
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def held(self) -> AsyncIterator[Held]:
        async with self._lock:
            slot = _Slot(self.state, self.version)
            yield slot
            if slot.new is not None:
                self.state, self.version = slot.new, self.version + 1


class KeptTransport(httpx.AsyncBaseTransport):
    """Routes a store's client into `sandbox`, every request served on the state `keeper` holds."""

    def __init__(self, sandbox: Any, keeper: StateKeeper) -> None:
        if not isinstance(sandbox, PersistsState):
            raise StateError(f"the {sandbox.slug} sandbox cannot keep its state (no snapshot/restore)")
        self.sandbox: Any = sandbox  # a Sandbox that PersistsState (SandboxBase's handle and clock too)
        self.keeper = keeper
        self._version: int | None = None  # the kept version the live sandbox holds now

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        failure: Exception | None = None
        async with self.keeper.held() as held:
            if held.state is not None and held.version != self._version:
                self.sandbox.restore(held.state)
            self._version = None  # until saved: the live sandbox may be ahead of what is kept
            try:
                response: httpx.Response = self.sandbox.handle(request)
            except Exception as exc:  # a network fault raised after the change was applied (a lost
                failure = exc  # answer): the change is kept all the same, then the fault is raised
            after = self.sandbox.snapshot()
            if after != held.state:
                held.replace(after)
                self._version = held.version + 1
            else:
                self._version = held.version
        if failure is not None:
            raise failure
        delay = float(request.extensions.get(DELAY, 0.0))
        if delay > 0:  # a slow fault: answered late, the lock already let go
            await self.sandbox.clock.sleep(delay)
        return response
