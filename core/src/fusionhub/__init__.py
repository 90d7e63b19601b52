"""Fusion Stage Hub: one set of standard e-commerce capabilities over many platforms.

The public API is re-exported here; modules not named here are internal.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fusionhub.capabilities import CAPABILITY_SPECS, Capability, DeleteResult, InventoryLevels, spec_of
    from fusionhub.clock import SYSTEM_CLOCK, Clock, SystemClock, VirtualClock
    from fusionhub.context import RunMode, StoreContext
    from fusionhub.contracts import (
        AuthKind,
        CapabilityContract,
        Constraints,
        CostBased,
        Dynamic,
        Level,
        Once,
        OperationRate,
        PluginManifest,
        RateLimitSpec,
        RequestsPerMinute,
        RequestsPerSecond,
        WindowLimit,
        Workaround,
        load_manifest,
    )
    from fusionhub.credentials import Credentials
    from fusionhub.errors import (
        AuthError,
        AutomationDisabled,
        CapabilityUnsupported,
        ErrorCategory,
        FusionHubError,
        NotFound,
        OutcomeUnknown,
        PlatformError,
        PluginLoadError,
        RateLimited,
        TransientError,
        ValidationError,
    )
    from fusionhub.hookspecs import hookimpl
    from fusionhub.http import HttpConfig, RequestMeta, meta
    from fusionhub.hub import Hub, Outcome
    from fusionhub.registry import PluginRecord, PluginStatus, Registry
    from fusionhub.stores import Store
    from fusionhub.version import CORE_API_VERSION, __version__
else:
    from fusionhub.lazy import lazy_exports

    # Resolved on first use (PEP 562): importing this module imports none of these.
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "fusionhub.capabilities": ["CAPABILITY_SPECS", "Capability", "DeleteResult", "InventoryLevels", "spec_of"],
            "fusionhub.clock": ["SYSTEM_CLOCK", "Clock", "SystemClock", "VirtualClock"],
            "fusionhub.context": ["RunMode", "StoreContext"],
            "fusionhub.contracts": [
                "AuthKind",
                "CapabilityContract",
                "Constraints",
                "CostBased",
                "Dynamic",
                "Level",
                "Once",
                "OperationRate",
                "PluginManifest",
                "RateLimitSpec",
                "RequestsPerMinute",
                "RequestsPerSecond",
                "WindowLimit",
                "Workaround",
                "load_manifest",
            ],
            "fusionhub.credentials": ["Credentials"],
            "fusionhub.errors": [
                "AuthError",
                "AutomationDisabled",
                "CapabilityUnsupported",
                "ErrorCategory",
                "FusionHubError",
                "NotFound",
                "OutcomeUnknown",
                "PlatformError",
                "PluginLoadError",
                "RateLimited",
                "TransientError",
                "ValidationError",
            ],
            "fusionhub.hookspecs": ["hookimpl"],
            "fusionhub.http": ["HttpConfig", "RequestMeta", "meta"],
            "fusionhub.hub": ["Hub", "Outcome"],
            "fusionhub.registry": ["PluginRecord", "PluginStatus", "Registry"],
            "fusionhub.stores": ["Store"],
            "fusionhub.version": ["CORE_API_VERSION", "__version__"],
        },
    )

__all__ = [
    "CAPABILITY_SPECS",
    "CORE_API_VERSION",
    "SYSTEM_CLOCK",
    "AuthError",
    "AuthKind",
    "AutomationDisabled",
    "Capability",
    "CapabilityContract",
    "CapabilityUnsupported",
    "Clock",
    "Constraints",
    "CostBased",
    "Credentials",
    "DeleteResult",
    "Dynamic",
    "ErrorCategory",
    "FusionHubError",
    "HttpConfig",
    "Hub",
    "InventoryLevels",
    "Level",
    "NotFound",
    "Once",
    "OperationRate",
    "Outcome",
    "OutcomeUnknown",
    "PlatformError",
    "PluginLoadError",
    "PluginManifest",
    "PluginRecord",
    "PluginStatus",
    "RateLimitSpec",
    "RateLimited",
    "Registry",
    "RequestMeta",
    "RequestsPerMinute",
    "RequestsPerSecond",
    "RunMode",
    "Store",
    "StoreContext",
    "SystemClock",
    "TransientError",
    "ValidationError",
    "VirtualClock",
    "WindowLimit",
    "Workaround",
    "__version__",
    "hookimpl",
    "load_manifest",
    "meta",
    "spec_of",
]
