"""Contracts as data: what a plugin declares about a platform, validated before any plugin code runs.

The specification's constraint blocks parse into these models unchanged; keys the core does
not know stay available as platform-specific constraints.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fusionhub.capabilities import Capability, item_params, spec_of
from fusionhub.connect import ConnectFlow
from fusionhub.version import CORE_API_VERSION


class Level(StrEnum):
    NATIVE = "native"
    WORKAROUND = "workaround"
    UNSUPPORTED = "unsupported"


class AuthKind(StrEnum):
    OAUTH2 = "oauth2"
    OAUTH2_PKCE = "oauth2_pkce"
    OAUTH2_REFRESH = "oauth2_refresh"  # a stored refresh token (or client credentials) buys access tokens
    API_KEY = "api_key"
    BASIC = "basic"  # HTTP Basic: a username and password (or key and secret) on every request
    BEARER = "bearer"
    NONE = "none"


class Once(StrEnum):
    """How a write takes effect once when it is run again (a job re-run after a crash or a lost response)."""

    NATURAL = "natural"  # repeating it with the same params leaves the same state (set a value, delete)
    KEY = "key"  # the platform de-duplicates by the key the plugin sends (`ctx.idempotency_key`)
    RECONCILE = "reconcile"  # the plugin's `fusionhub_reconcile` finds the earlier run's effect before a resend


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A host name in lower case, or "*." and a domain (its subdomains).
HOST_PATTERN = r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"
STORE_SCOPE = "store"
CREDENTIAL_SCOPE = "credential:"


class _Budget(_Spec):
    """What every rate-limit shape declares: whose budget its buckets are."""

    scope: str | None = Field(
        default=None,
        pattern=r"^(store|credential:[A-Za-z_][A-Za-z0-9_]*)$",
        description=(
            "whose budget the buckets are. 'store' (or unset): each store has its own. "
            "'credential:<field>': every store of the platform whose credential <field> holds the same "
            "value shares them, for a platform that counts per API key, per app or per account (the "
            "field must be one of credential_fields). Per operation is the `dynamic` shape, within either."
        ),
    )

    @property
    def shared_by(self) -> str | None:
        """The credential field whose value names a shared budget; None: the store's own."""
        if self.scope is None or self.scope == STORE_SCOPE:
            return None
        return self.scope.removeprefix(CREDENTIAL_SCOPE)


class WindowLimit(_Spec):
    """`requests` per `window` seconds, e.g. 200 per 1800 s for one class of endpoints."""

    requests: int = Field(gt=0)
    window: float = Field(gt=0)
    burst: int | None = Field(
        default=None,
        gt=0,
        description=(
            "the class bucket's capacity (unset: `requests`, all of them back to back). Set 1 for a platform "
            "that counts the class in fixed or sliding windows: the class is then spent evenly and no window "
            "of that length ever sees more than `requests`."
        ),
    )

    @model_validator(mode="after")
    def _burst_fits(self) -> WindowLimit:
        if self.burst is not None and self.burst > self.requests:
            raise ValueError(f"burst {self.burst} exceeds the {self.requests} requests allowed per window")
        return self

    @property
    def capacity(self) -> int:
        return self.burst or self.requests

    @property
    def rate(self) -> float:
        return self.requests / self.window


class _Windowed(_Budget):
    requests: int = Field(gt=0)
    burst: int | None = Field(
        default=None,
        gt=0,
        description=(
            "requests that may go out back to back after a quiet spell (unset: 1): the capacity of the bucket "
            "refilled at requests/window. Raise it only for a platform that itself counts with a bucket "
            "at least that large. A platform counting fixed (or sliding) windows must keep 1: with a "
            "burst B one window can see requests + B - 1 (B at its end, then the refill), and the "
            "excess is refused with 429s; spent evenly, N per window is never exceeded."
        ),
    )
    per_day: int | None = Field(default=None, gt=0, description="a second, daily window (a per-day quota)")
    endpoint_classes: dict[str, WindowLimit] = Field(
        default_factory=dict, description="extra buckets for classes of endpoints (e.g. publishing)"
    )

    @model_validator(mode="after")
    def _burst_fits(self) -> _Windowed:
        if self.window_burst > self.requests:
            raise ValueError(f"burst {self.burst} exceeds the {self.requests} requests allowed per window")
        return self

    @property
    def window_burst(self) -> int:
        return self.burst or 1

    @property
    def rate(self) -> float:
        return self.requests / self.window  # type: ignore[attr-defined, no-any-return]


class RequestsPerSecond(_Windowed):
    type: Literal["requests_per_second"] = "requests_per_second"
    window: float = Field(default=1, gt=0)


class RequestsPerMinute(_Windowed):
    type: Literal["requests_per_minute"] = "requests_per_minute"
    window: float = Field(default=60, gt=0)


class CostBased(_Budget):
    """A leaky bucket of points (query cost): capacity `max_cost`, `restore_rate` points/s."""

    type: Literal["cost_based"] = "cost_based"
    max_cost: float = Field(gt=0)
    restore_rate: float = Field(gt=0)
    per_second: bool = True
    max_query_cost: float | None = Field(default=None, gt=0, description="the most one request may cost")

    @property
    def rate(self) -> float:
        return self.restore_rate if self.per_second else self.restore_rate / 60


class OperationRate(_Spec):
    """One operation's token bucket as a platform publishes it: `rate` requests/s, `burst` capacity."""

    rate: float = Field(gt=0)
    burst: int = Field(gt=0)


class Dynamic(_Budget):
    """A bucket per (store, operation), seeded from `operations`, corrected from response headers."""

    type: Literal["dynamic"] = "dynamic"
    varies_by_endpoint: bool = True
    operations: dict[str, OperationRate] = Field(default_factory=dict)
    default: OperationRate | None = None


RateLimitSpec = Annotated[
    CostBased | RequestsPerSecond | RequestsPerMinute | Dynamic,
    Field(discriminator="type"),
]


class Constraints(BaseModel):
    """Known constraints are typed; any other key is kept as a platform-specific constraint."""

    model_config = ConfigDict(extra="allow", frozen=True)

    rate_limit: RateLimitSpec | None = None
    batch_size: int | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    cache_ttl: float | None = Field(default=None, ge=0, description="seconds a read result may be reused")
    polling_interval: float | None = Field(default=None, gt=0, description="seconds between event polls")

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        # The specification's SQL example writes {"rate_limit": 100}: read it as requests per second.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"type": "requests_per_second", "requests": value, "window": 1}
        return value

    @property
    def platform_specific(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def merged(self, override: Constraints | None) -> Constraints:
        """These constraints with every key set in `override` replacing ours."""
        if override is None:
            return self
        data = self.model_dump(exclude_none=True)
        data.update(override.model_dump(exclude_none=True, exclude_unset=True))
        return Constraints.model_validate(data)


class Workaround(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    description: str = Field(min_length=1)
    steps: list[str] = Field(default_factory=list)
    estimated_time_ms: int | None = Field(default=None, ge=0, alias="estimatedTime")


class CapabilityContract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level
    notes: str | None = None
    constraints: Constraints | None = Field(default=None, description="overrides of the plugin's constraints")
    workaround: Workaround | None = None
    explanation: str | None = Field(default=None, description="why it is unsupported, for end users")
    manual_workaround: str | None = Field(default=None, description="what a person can do instead")
    automation_enabled: bool = True
    scopes: list[str] = Field(default_factory=list, description="OAuth scopes this capability needs")
    fan_out: Capability | None = Field(
        default=None, description="core runs it as one call of this capability per item; the plugin has no hookimpl"
    )
    once: Once | None = Field(
        default=None,
        description="for a write: how a re-run takes effect once; undeclared, a possibly-sent write is not resent",
    )

    @model_validator(mode="after")
    def _explained(self) -> CapabilityContract:
        if self.level is Level.WORKAROUND and self.workaround is None:
            raise ValueError("a workaround capability must describe its workaround")
        if self.level is Level.UNSUPPORTED and not self.explanation:
            raise ValueError("an unsupported capability must carry an explanation for users")
        if self.fan_out is not None and self.level is not Level.WORKAROUND:
            raise ValueError(f"fan_out = {self.fan_out.value!r} is a workaround: declare level = 'workaround'")
        if self.once is not None and self.fan_out is not None:
            raise ValueError("a fanned-out capability takes effect once through its per-item calls: drop `once`")
        return self


class CredentialChoice(_Spec):
    """At least one of `one_of` must be set: e.g. the secret that verifies webhook signatures."""

    one_of: list[str] = Field(min_length=1)
    why: str = Field(min_length=1, description="what the credential is for, shown when it is missing")


UNDECLARED = CapabilityContract(
    level=Level.UNSUPPORTED,
    explanation="The plugin does not declare this capability.",
)


class PluginManifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=64)
    name: str = Field(min_length=1)
    version: str
    api: str = Field(description="the platform API the plugin speaks, e.g. 'GraphQL Admin API 2025-01'")
    auth: AuthKind
    core_api: str = Field(default=">=1.0,<2", description="PEP 440 range of core plugin-API versions")
    description: str | None = None
    docs_url: str | None = None
    constraints: Constraints = Field(default_factory=Constraints)
    capabilities: dict[Capability, CapabilityContract]
    config_schema: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "JSON Schema of per-store config, closed: a key it does not name is refused "
            "(additionalProperties may not be true); empty: a store takes no config"
        ),
    )
    credential_fields: list[str] = Field(default_factory=list, description="credential keys a store must have")
    hosts: list[Annotated[str, Field(pattern=HOST_PATTERN)]] = Field(
        default_factory=list,
        description=(
            "the hosts a store's credentials may go to: exact names or '*.example.com' for subdomains. When set, "
            "core refuses a store client whose base URL, extra hosts or token endpoint fall outside them"
        ),
    )
    credentials_one_of: list[CredentialChoice] = Field(
        default_factory=list, description="groups of credential keys of which a store must have at least one each"
    )
    connect: list[ConnectFlow] = Field(
        default_factory=list,
        description="how a person connects a store: OAuth, client-credentials or token flows (fusionhub.connect)",
    )

    @field_validator("config_schema")
    @classmethod
    def _closed_json_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        import jsonschema  # ~40 ms of imports: paid by manifests that declare a config schema, when read

        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        if value.get("type", "object") != "object":
            raise ValueError("a store's config is an object: type must be 'object'")
        if value.get("additionalProperties", False) is not False:
            raise ValueError(
                "additionalProperties must be false (or unset): "
                "an undeclared config key could point the plugin elsewhere"
            )
        return value

    @property
    def store_config_schema(self) -> dict[str, Any]:
        """The schema a store's config is checked against: the declared one, closed to unknown keys."""
        return {"type": "object", **self.config_schema, "additionalProperties": False}

    @field_validator("version")
    @classmethod
    def _pep440(cls, value: str) -> str:
        Version(value)
        return value

    @field_validator("core_api")
    @classmethod
    def _specifier(cls, value: str) -> str:
        try:
            SpecifierSet(value)
        except InvalidSpecifier as exc:
            raise ValueError(f"not a version range: {exc}") from None
        return value

    @model_validator(mode="after")
    def _scope_names_a_credential(self) -> PluginManifest:
        specs = [self.constraints.rate_limit] + [
            c.constraints.rate_limit for c in self.capabilities.values() if c.constraints is not None
        ]
        for spec in specs:
            if spec is not None and spec.shared_by is not None and spec.shared_by not in self.credential_fields:
                raise ValueError(f"rate_limit scope {spec.scope!r} names no field of credential_fields")
        return self

    @model_validator(mode="after")
    def _once_only_on_writes(self) -> PluginManifest:
        reads = [c.value for c, contract in self.capabilities.items() if contract.once and not spec_of(c).writes]
        if reads:
            raise ValueError(f"`once` is for write capabilities; {', '.join(reads)} only read")
        return self

    @model_validator(mode="after")
    def _connect_flows_fit(self) -> PluginManifest:
        ids = [flow.id for flow in self.connect]
        if len(set(ids)) != len(ids):
            raise ValueError("two connect flows share an id")
        settings = set(self.config_schema.get("properties", {}))
        for flow in self.connect:
            keys = {f.name for f in flow.fields if f.into == "config"} | set(flow.callback_config)
            if keys - settings:
                raise ValueError(f"connect flow {flow.id}: {', '.join(sorted(keys - settings))} is no config setting")
            if flow.check is not None and self.capabilities.get(flow.check, UNDECLARED).level is Level.UNSUPPORTED:
                raise ValueError(f"connect flow {flow.id}: check {flow.check.value} is unsupported")
        return self

    @model_validator(mode="after")
    def _all_declared(self) -> PluginManifest:
        missing = [c for c in Capability if c not in self.capabilities]
        if missing:
            caps = dict(self.capabilities)
            caps.update({c: UNDECLARED for c in missing})
            object.__setattr__(self, "capabilities", {c: caps[c] for c in Capability})
        return self

    @model_validator(mode="after")
    def _fan_outs(self) -> PluginManifest:
        for capability, contract in self.capabilities.items():
            target = contract.fan_out
            if target is None:
                continue
            item = item_params(capability)
            if item is None:
                raise ValueError(f"{capability}: only a capability taking items and returning a BulkResult can fan out")
            if self.capabilities[target].level is Level.UNSUPPORTED:
                raise ValueError(f"{capability}: fan_out target {target} must be implemented, it is unsupported")
            if spec_of(target).params is not item:
                raise ValueError(f"{capability}: fan_out target {target} must take one item ({item.__name__})")
        return self

    def contract(self, capability: Capability | str) -> CapabilityContract:
        return self.capabilities[Capability(capability)]

    def constraints_for(self, capability: Capability | str) -> Constraints:
        return self.constraints.merged(self.contract(capability).constraints)

    def scopes(self, capabilities: Iterable[Capability | str] | None = None) -> list[str]:
        """The OAuth scopes `capabilities` (default: all) need, sorted: what a least-privilege grant asks for."""
        wanted = list(Capability) if capabilities is None else [Capability(c) for c in capabilities]
        contracts = [self.contract(c) for c in wanted]
        return sorted({scope for c in contracts if c.level is not Level.UNSUPPORTED for scope in c.scopes})

    def supports_core(self, core_api: str = CORE_API_VERSION) -> bool:
        return Version(core_api) in SpecifierSet(self.core_api)

    def levels(self) -> dict[str, str]:
        return {c.value: self.capabilities[c].level.value for c in Capability}


def load_manifest(package: str, resource: str = "manifest.toml") -> PluginManifest:
    """Read a manifest kept as data (TOML) inside a plugin package: no plugin code runs."""
    text = resources.files(package).joinpath(resource).read_text(encoding="utf-8")
    return PluginManifest.model_validate(tomllib.loads(text))
