"""Discovery: find plugins by entry point, load each under a guard, keep what is sound.

A plugin that fails any check is recorded with its reason and a fix hint and skipped;
the host goes on with the rest. Strict mode (for plugin authors) raises instead.

Capability hooks are called through pluggy restricted to one platform (`Registry.caller`): that
platform's hookimpl plus every plugin's wrappers, so a plugin without a manifest can wrap
(trace, audit, break circuits around) any platform's calls but never answer them.
"""

from __future__ import annotations

import inspect
import operator
import os
import types
import typing
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import Distribution, EntryPoint, entry_points
from typing import Any

import pluggy
import pydantic
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from fusionhub import hookspecs
from fusionhub.capabilities import Capability, spec_of
from fusionhub.contracts import Level, Once, PluginManifest
from fusionhub.errors import PluginLoadError
from fusionhub.fanout import declared_fan_out
from fusionhub.version import CORE_API_VERSION, __version__

ENTRY_POINT_GROUP = "fusionhub.plugins"
ENV_LOAD = "FUSIONHUB_LOAD_PLUGINS"
ENV_DISABLE = "FUSIONHUB_DISABLE_PLUGINS"
ENV_STRICT = "FUSIONHUB_STRICT_PLUGINS"


class PluginStatus(StrEnum):
    LOADED = "loaded"
    FAILED = "failed"  # broken: import error, bad manifest, signature, level mismatch, duplicate
    BLOCKED = "blocked"  # switched off by the allow-list or deny-list
    INCOMPATIBLE = "incompatible"  # made for another core version


class PluginKind(StrEnum):
    PLATFORM = "platform"  # has a manifest: a selling platform
    OBSERVER = "observer"  # no manifest: observer hooks and capability wrappers (metrics, tracing)


@dataclass
class PluginRecord:
    name: str
    status: PluginStatus
    distribution: str | None = None
    dist_version: str | None = None
    kind: PluginKind | None = None
    manifest: PluginManifest | None = None
    error: str | None = None
    hint: str | None = None
    impls: dict[str, Callable[..., Any]] = field(default_factory=dict, repr=False)
    wrappers: dict[str, Callable[..., Any]] = field(default_factory=dict, repr=False)  # wrapper/hookwrapper
    obj: Any = field(default=None, repr=False)

    @property
    def slug(self) -> str:
        return self.manifest.slug if self.manifest else self.name


class _Rejected(Exception):
    def __init__(self, status: PluginStatus, error: str, hint: str) -> None:
        super().__init__(error)
        self.status, self.error, self.hint = status, error, hint


def _env_list(name: str) -> set[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return {item.strip() for item in raw.split(",") if item.strip()}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class _DistFacts:
    name: str
    version: str
    requires: list[str]


# Each `dist.metadata` access reads and parses METADATA again: read once per distribution.
_FACTS: weakref.WeakKeyDictionary[Distribution, _DistFacts] = weakref.WeakKeyDictionary()


def _facts(dist: Distribution) -> _DistFacts:
    found = _FACTS.get(dist)
    if found is None:
        metadata = dist.metadata
        get_all = getattr(metadata, "get_all", None)  # a PackageMetadata answers all three from one read
        if get_all is None:
            found = _DistFacts(metadata["Name"], dist.version, list(dist.requires or []))
        else:
            requires = get_all("Requires-Dist")  # what dist.requires reads first; else the egg-info's
            if requires is None:
                requires = dist.requires or []
            found = _DistFacts(metadata["Name"], metadata["Version"], list(requires))
        _FACTS[dist] = found
    return found


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(_facts(dist).name) if dist is not None else ""


def _capability_hooks() -> dict[str, Capability]:
    return {c.hook_name: c for c in Capability}


_CAP_HOOKS = _capability_hooks()


class _Manager(pluggy.PluginManager):
    """A PluginManager that says when its plugins or its call monitors change, so per-platform
    callers are rebuilt."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        super().__init__(hookspecs.PROJECT)
        self._on_change = on_change
        self.monitors = 0  # add_hookcall_monitoring (enable_tracing) tracers in place: every call goes through pluggy

    def add_hookcall_monitoring(self, before: Any, after: Any) -> Callable[[], None]:
        undo = super().add_hookcall_monitoring(before, after)
        self.monitors += 1
        self._on_change()

        def undone() -> None:
            undo()
            self.monitors -= 1
            self._on_change()

        return undone

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        try:
            return super().register(plugin, name)
        finally:
            self._on_change()

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        try:
            return super().unregister(plugin, name)
        finally:
            self._on_change()


class _WithCoreImpl:
    """A platform's capability caller with core's hookimpl in the plugin's place (a declared fan-out)."""

    __slots__ = ("_caller", "_methods")

    def __init__(self, caller: pluggy.HookCaller, method: Callable[..., Any]) -> None:
        self._caller, self._methods = caller, [method]

    def __call__(self, **kwargs: Any) -> Any:
        return self._caller.call_extra(self._methods, kwargs)


class _Direct:
    """A firstresult hook's only hookimpl, no wrapper around it: called as pluggy's loop would call it
    (the arguments it names, its result as it is), without the loop."""

    __slots__ = ("_argnames", "_function", "_name", "_pick")

    def __init__(self, name: str, impl: pluggy.HookImpl) -> None:
        self._name, self._function, self._argnames = name, impl.function, impl.argnames
        # Two or more arguments (a capability hook's ctx and params) are picked in one C call.
        self._pick = operator.itemgetter(*impl.argnames) if len(impl.argnames) > 1 else None

    def __call__(self, **kwargs: Any) -> Any:
        try:
            args = self._pick(kwargs) if self._pick is not None else [kwargs[name] for name in self._argnames]
        except KeyError as exc:
            raise pluggy.HookCallError(f"hook call must provide argument {exc.args[0]!r}") from exc
        return self._function(*args)


def _direct(manager: _Manager, caller: pluggy.HookCaller) -> _Direct | None:
    """`caller` as a direct call when pluggy would only call one plain hookimpl and return its result."""
    impls = caller.get_hookimpls()
    if manager.monitors or len(impls) != 1 or caller.spec is None or caller.is_historic():
        return None
    (impl,) = impls
    spec = caller.spec
    if impl.wrapper or impl.hookwrapper or impl.kwargnames or spec.kwargdefaults or not spec.opts.get("firstresult"):
        return None
    return _Direct(caller.name, impl)


class Registry:
    """The loaded plugins and what each declares. Build with `Registry.discover()`."""

    def __init__(
        self,
        *,
        strict: bool | None = None,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] | None = None,
    ) -> None:
        self._callers: dict[tuple[str, str], Callable[..., Any]] = {}
        self.pm: _Manager = _Manager(self._callers.clear)
        self.pm.add_hookspecs(hookspecs)
        self.strict = _env_flag(ENV_STRICT) if strict is None else strict
        env_allow = _env_list(ENV_LOAD)
        self.allow = set(allow) if allow is not None else env_allow
        self.deny = set(deny or ()) | (_env_list(ENV_DISABLE) or set())
        self.records: list[PluginRecord] = []
        self._platforms: dict[str, PluginRecord] = {}

    # --- discovery --------------------------------------------------------------------

    @classmethod
    def discover(cls, **kwargs: Any) -> Registry:
        registry = cls(**kwargs)
        registry.load_entry_points()
        return registry

    def load_entry_points(self, eps: Iterable[EntryPoint] | None = None) -> None:
        found = entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps
        # Ties (two distributions claiming one slug) are broken by distribution name, so always alike.
        for ep in sorted(found, key=lambda e: (e.name, _dist_name(e))):
            self._guarded(ep.name, getattr(ep, "dist", None), ep.load)

    def add(self, obj: Any, name: str, distribution: Distribution | None = None) -> PluginRecord:
        """Register a plugin object directly (in-tree plugins, tests)."""
        return self._guarded(name, distribution, lambda: obj)

    def _guarded(self, name: str, dist: Distribution | None, load: Callable[[], Any]) -> PluginRecord:
        record = PluginRecord(
            name=name,
            status=PluginStatus.LOADED,
            distribution=_facts(dist).name if dist is not None else None,
            dist_version=_facts(dist).version if dist is not None else None,
        )
        try:
            self._load(record, dist, load)
        except _Rejected as rejected:
            record.status, record.error, record.hint = rejected.status, rejected.error, rejected.hint
            if record.obj is not None and self.pm.is_registered(record.obj):
                self.pm.unregister(record.obj)
            record.impls, record.wrappers = {}, {}
            if self.strict and rejected.status is not PluginStatus.BLOCKED:
                raise PluginLoadError(
                    f"plugin {name!r}: {rejected.error}",
                    details={"plugin": name, "status": str(rejected.status), "hint": rejected.hint},
                ) from rejected.__cause__
        self.records.append(record)
        self._callers.clear()  # the platforms changed: a cached caller may name the wrong ones
        return record

    def _load(self, record: PluginRecord, dist: Distribution | None, load: Callable[[], Any]) -> None:
        name = record.name
        if name in self.deny:
            raise _Rejected(PluginStatus.BLOCKED, f"disabled by {ENV_DISABLE}", f"remove {name!r} from {ENV_DISABLE}")
        if self.allow is not None and name not in self.allow:
            raise _Rejected(PluginStatus.BLOCKED, f"not in {ENV_LOAD}", f"add {name!r} to {ENV_LOAD}")
        if dist is not None:
            self._check_requires(dist)
        self._check_unclaimed(name)
        try:
            obj = load()
        except Exception as exc:  # any import-time failure of third-party code
            raise _Rejected(
                PluginStatus.FAILED,
                f"import error: {type(exc).__name__}: {exc}",
                "reinstall the plugin's distribution and its dependencies; run python -c 'import <module>'",
            ) from exc
        record.obj = obj
        impls, wrappers = self._hookimpls(obj)
        self._check_impls(impls, wrappers)
        if "fusionhub_manifest" not in impls:
            self._check_observer(impls)
        try:
            self.pm.register(obj, name=f"{ENTRY_POINT_GROUP}:{name}")
        except ValueError as exc:
            raise _Rejected(PluginStatus.FAILED, f"already registered: {exc}", "install it only once") from exc
        except pluggy.PluginValidationError as exc:
            raise _Rejected(
                PluginStatus.FAILED,
                f"hookimpl signature does not match its spec: {exc}",
                "make each hookimpl's arguments a subset of the hookspec's (see fusionhub.hookspecs)",
            ) from exc
        record.impls, record.wrappers = impls, wrappers
        if "fusionhub_manifest" not in impls:
            record.kind = PluginKind.OBSERVER
            return
        record.kind = PluginKind.PLATFORM
        manifest = self._manifest(impls["fusionhub_manifest"])
        record.manifest = manifest
        if manifest.slug != name:
            raise _Rejected(
                PluginStatus.FAILED,
                f"manifest invalid: slug {manifest.slug!r} differs from the entry-point name {name!r}",
                "name the entry point in group fusionhub.plugins after the plugin's slug",
            )
        if not manifest.supports_core():
            raise _Rejected(
                PluginStatus.INCOMPATIBLE,
                f"declares core API {manifest.core_api}, this core provides {CORE_API_VERSION}",
                "install a plugin release made for this core, or a core in the plugin's range",
            )
        self._check_levels(manifest, impls)
        self._check_annotations(impls)
        if manifest.slug in self._platforms:
            other = self._platforms[manifest.slug]
            raise _Rejected(
                PluginStatus.FAILED,
                f"duplicate slug {manifest.slug!r}: already provided by {other.distribution or other.name}",
                "uninstall one of the two distributions",
            )
        self._platforms[manifest.slug] = record

    def _check_unclaimed(self, name: str) -> None:
        """An entry-point name (= slug) already loaded from another distribution: refuse before importing."""
        other = next((r for r in self.records if r.name == name and r.status is PluginStatus.LOADED), None)
        if other is not None:
            raise _Rejected(
                PluginStatus.FAILED,
                f"duplicate slug {name!r}: already provided by {other.distribution or other.name}",
                "uninstall one of the two distributions",
            )

    @staticmethod
    def _check_requires(dist: Distribution) -> None:
        """The core-API range from the distribution's metadata, before importing anything."""
        core = Version(__version__)
        for line in _facts(dist).requires:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if canonicalize_name(req.name) != "fusionhub" or req.marker is not None:
                continue
            if not req.specifier.contains(core, prereleases=True):
                raise _Rejected(
                    PluginStatus.INCOMPATIBLE,
                    f"requires fusionhub{req.specifier}, installed is {core}",
                    f"pip install 'fusionhub{req.specifier}' or a plugin release for fusionhub {core}",
                )

    def _hookimpls(self, obj: Any) -> tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]:
        """The object's hookimpls by hook name: (those that answer, those that wrap)."""
        impls: dict[str, Callable[..., Any]] = {}
        wrappers: dict[str, Callable[..., Any]] = {}
        for attr in dir(obj):
            opts = self.pm.parse_hookimpl_opts(obj, attr)
            if opts is None:
                continue
            wraps = opts.get("wrapper") or opts.get("hookwrapper")
            (wrappers if wraps else impls)[opts.get("specname") or attr] = getattr(obj, attr)
        return impls, wrappers

    def _check_impls(self, impls: Mapping[str, Callable[..., Any]], wrappers: Mapping[str, Callable[..., Any]]) -> None:
        unknown = sorted(n for n in (*impls, *wrappers) if not hasattr(hookspecs, n))
        if unknown:
            raise _Rejected(
                PluginStatus.FAILED,
                f"hookimpl signature does not match its spec: no hookspec named {', '.join(unknown)}",
                "check the hook names against fusionhub.hookspecs",
            )
        for hook_name, fn in impls.items():
            spec_async = inspect.iscoroutinefunction(getattr(hookspecs, hook_name))
            if spec_async != inspect.iscoroutinefunction(fn):
                want = "async def" if spec_async else "def"
                raise _Rejected(
                    PluginStatus.FAILED,
                    f"hookimpl signature does not match its spec: {hook_name} must be `{want}`",
                    f"declare {hook_name} with `{want}`",
                )
        for hook_name, fn in wrappers.items():
            if not inspect.isgeneratorfunction(fn):
                raise _Rejected(
                    PluginStatus.FAILED,
                    f"hookimpl signature does not match its spec: the wrapper {hook_name} must be a generator",
                    f"write {hook_name} as a `def` that yields once (on an async hook: gets, returns an awaitable)",
                )

    @staticmethod
    def _check_observer(impls: Mapping[str, Callable[..., Any]]) -> None:
        """A plugin without a manifest answers no capability call: it may only wrap them."""
        answering = sorted(n for n in impls if n in _CAP_HOOKS)
        if answering:
            raise _Rejected(
                PluginStatus.FAILED,
                f"capability hooks without a manifest: {', '.join(answering)} would answer other platforms' calls",
                "declare them @hookimpl(wrapper=True) to observe the calls, or add fusionhub_manifest to make "
                "this a platform plugin",
            )

    @staticmethod
    def _manifest(impl: Callable[..., Any]) -> PluginManifest:
        try:
            raw = impl()
            return raw if isinstance(raw, PluginManifest) else PluginManifest.model_validate(raw)
        except pydantic.ValidationError as exc:
            fields = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            raise _Rejected(
                PluginStatus.FAILED, f"manifest invalid: {fields}", "fix the manifest's fields named above"
            ) from exc
        except Exception as exc:
            raise _Rejected(
                PluginStatus.FAILED,
                f"manifest invalid: fusionhub_manifest() raised {type(exc).__name__}: {exc}",
                "fusionhub_manifest must return the manifest without I/O",
            ) from exc

    @staticmethod
    def _check_levels(manifest: PluginManifest, impls: Mapping[str, Callable[..., Any]]) -> None:
        problems = []
        for capability, contract in manifest.capabilities.items():
            has_impl = capability.hook_name in impls
            if contract.fan_out is not None:
                if has_impl:
                    problems.append(f"{capability} declares fan_out = {contract.fan_out.value!r} but has a hookimpl")
                continue
            if contract.level is Level.UNSUPPORTED and has_impl:
                problems.append(f"{capability} is declared unsupported but has a hookimpl")
            elif contract.level is not Level.UNSUPPORTED and not has_impl:
                problems.append(f"{capability} is declared {contract.level} but has no hookimpl")
            if contract.once is Once.RECONCILE and "fusionhub_reconcile" not in impls:
                problems.append(f"{capability} declares once = 'reconcile' but fusionhub_reconcile has no hookimpl")
        if problems:
            raise _Rejected(
                PluginStatus.FAILED,
                "level/implementation mismatch: " + "; ".join(problems),
                "declare the true level, or add/remove the hookimpl (a declared fan_out has none)",
            )

    @staticmethod
    def _check_annotations(impls: Mapping[str, Callable[..., Any]]) -> None:
        """Each capability hook's `params` and return annotations name its capability's models
        (a base class or Any is fine); a hook annotated for another capability would fail only when
        it ran. Annotations that cannot be resolved (names imported under TYPE_CHECKING) are not judged."""
        problems = []
        for capability in Capability:
            fn = impls.get(capability.hook_name)
            if fn is None:
                continue
            try:
                hints = typing.get_type_hints(fn)
            except Exception:  # noqa: S112 - an unresolvable forward reference: nothing to compare
                continue
            spec = spec_of(capability)
            given = hints.get("params")
            if given is not None and not _annotation_fits(spec.params, given):
                problems.append(f"{capability.hook_name}(params: {_type_name(given)}) takes {_type_name(spec.params)}")
            returned = hints.get("return")
            if returned is not None and not _annotation_fits(spec.result, returned, data_ok=True):
                problems.append(f"{capability.hook_name} -> {_type_name(returned)} returns {_type_name(spec.result)}")
        if problems:
            raise _Rejected(
                PluginStatus.FAILED,
                "hook annotation does not match its capability: " + "; ".join(problems),
                "annotate each capability hook with its capability's params and result models "
                "(fusionhub.plugin.CAPABILITY_SPECS, docs/reference/capabilities.md)",
            )

    # --- what the host reads ----------------------------------------------------------

    @property
    def platforms(self) -> dict[str, PluginRecord]:
        return dict(self._platforms)

    def platform(self, slug: str) -> PluginRecord:
        try:
            return self._platforms[slug]
        except KeyError:
            known = ", ".join(sorted(self._platforms)) or "none"
            raise PluginLoadError(
                f"no loaded plugin for platform {slug!r} (loaded: {known}); run `fusionhub plugins doctor`"
            ) from None

    def impl(self, slug: str, hook_name: str) -> Callable[..., Any] | None:
        """The platform's own hookimpl (platform hooks: http config, sandbox, polling)."""
        return self.platform(slug).impls.get(hook_name)

    def caller(self, slug: str, hook_name: str) -> Callable[..., Any]:
        """Call a capability hook for one platform: its plugin's hookimpl inside every plugin's wrappers.

        `caller(ctx=..., params=...)` returns what the outermost wrapper returns (for an async hook,
        an awaitable). Cached per (platform, hook) until a plugin registers or unregisters (or a
        call monitor comes or goes); with no wrapper, the hookimpl is called directly.
        """
        key = (slug, hook_name)
        found = self._callers.get(key)
        if found is None:
            found = self._callers[key] = self._subset(slug, hook_name)
        return found

    def _subset(self, slug: str, hook_name: str) -> Callable[..., Any]:
        record = self.platform(slug)
        hook: pluggy.HookCaller = getattr(self.pm.hook, hook_name)
        # Everyone else's answering hookimpls go; wrappers of any plugin stay.
        others = {
            i.plugin for i in hook.get_hookimpls() if not (i.wrapper or i.hookwrapper) and i.plugin is not record.obj
        }
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        capability = _CAP_HOOKS.get(hook_name)
        assert record.manifest is not None
        if capability is not None and record.manifest.contract(capability).fan_out is not None:
            return _WithCoreImpl(caller, declared_fan_out)
        return _direct(self.pm, caller) or caller

    @property
    def hook(self) -> Any:
        """Observer hooks of every loaded plugin: `registry.hook.fusionhub_on_event(...)`."""
        return self.pm.hook

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records if r.status is not PluginStatus.LOADED]


def _members(annotation: Any) -> tuple[Any, ...]:
    """The alternatives of a union (`A | B`, `Optional[A]`), else the annotation alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _annotation_fits(expected: Any, given: Any, *, data_ok: bool = False) -> bool:
    """`given` accepts what the capability passes, or returns what it promises: each alternative of
    `given` is Any, `expected` itself, a base of it or a subclass of it (None is allowed beside).
    `data_ok`: a result may be plain data (a dict), which the hub validates into the model."""
    wanted = _members(expected)
    for option in _members(given):
        if option is Any or option in wanted or option is type(None):
            continue
        if data_ok and (typing.get_origin(option) or option) in (dict, Mapping):
            continue
        if isinstance(option, type) and any(
            isinstance(w, type) and (issubclass(w, option) or issubclass(option, w)) for w in wanted
        ):
            continue
        return False
    return True


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
