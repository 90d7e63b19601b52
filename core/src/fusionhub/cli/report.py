"""Plugin records as plain data: what `--json` prints and what the tables render."""

from __future__ import annotations

from typing import Any

from fusionhub.capabilities import Capability
from fusionhub.contracts import CostBased, Dynamic, PluginManifest, RateLimitSpec
from fusionhub.registry import PluginRecord, PluginStatus

UNKNOWN_CAPABILITY: dict[str, Any] = {
    "level": None,  # the plugin did not load far enough to declare anything
    "automation_enabled": False,
    "constraints": None,
    "workaround": None,
    "explanation": None,
    "manual_workaround": None,
    "scopes": [],
}


def capability_entry(manifest: PluginManifest, capability: Capability) -> dict[str, Any]:
    contract = manifest.contract(capability)
    return {
        "level": contract.level.value,
        "automation_enabled": contract.automation_enabled,
        "constraints": manifest.constraints_for(capability).model_dump(mode="json", exclude_none=True),
        "workaround": contract.workaround.model_dump(mode="json", exclude_none=True) if contract.workaround else None,
        "explanation": contract.explanation,
        "manual_workaround": contract.manual_workaround,
        "scopes": list(contract.scopes),
        "notes": contract.notes,
        "once": contract.once.value if contract.once else None,
        "fan_out": contract.fan_out.value if contract.fan_out else None,
    }


def plugin_entry(record: PluginRecord) -> dict[str, Any]:
    """One plugin as `plugins list --json` prints it; every capability is present."""
    manifest = record.manifest
    return {
        "slug": record.slug,
        "name": manifest.name if manifest else record.name,
        "version": manifest.version if manifest else record.dist_version,
        "distribution": record.distribution,
        "distribution_version": record.dist_version,
        "kind": record.kind.value if record.kind else None,
        "status": record.status.value,
        "error": record.error,
        "hint": record.hint,
        "api": manifest.api if manifest else None,
        "auth": manifest.auth.value if manifest else None,
        "core_api": manifest.core_api if manifest else None,
        "description": manifest.description if manifest else None,
        # What a store of this platform needs: its config (checked against this schema) and credentials.
        "config_schema": manifest.config_schema if manifest else None,
        "credential_fields": list(manifest.credential_fields) if manifest else None,
        "credentials_one_of": [c.model_dump(mode="json") for c in manifest.credentials_one_of] if manifest else None,
        "hosts": list(manifest.hosts) if manifest else None,
        "capabilities": {
            c.value: capability_entry(manifest, c) if manifest else dict(UNKNOWN_CAPABILITY) for c in Capability
        },
    }


def find(records: list[PluginRecord], slug: str) -> PluginRecord | None:
    """The record named `slug` (by manifest slug or entry-point name), a loaded one first."""
    matches = [r for r in records if slug in {r.slug, r.name}]
    matches.sort(key=lambda r: r.status is not PluginStatus.LOADED)
    return matches[0] if matches else None


def platforms(records: list[PluginRecord]) -> list[PluginRecord]:
    return [r for r in records if r.status is PluginStatus.LOADED and r.manifest is not None]


def describe_rate_limit(spec: RateLimitSpec | None) -> str:
    if spec is None:
        return "none declared"
    if isinstance(spec, CostBased):
        unit = "s" if spec.per_second else "min"
        return f"cost bucket {spec.max_cost:g} points, +{spec.restore_rate:g}/{unit}"
    if isinstance(spec, Dynamic):
        return f"per operation ({len(spec.operations)} known)" if spec.operations else "per operation"
    text = f"{spec.requests} req / {spec.window:g}s"
    if spec.per_day:
        text += f", {spec.per_day}/day"
    return text
