"""What a store must satisfy before it is saved and before it runs: its plugin's config schema
and the credentials its manifest requires. Each problem names its field (`config.shop`).

Run when a store is added or updated (refused) and for stores already saved (reported with
the fix, see `StoreService.audit`): a manifest may have tightened since the store was saved.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, cast

import jsonschema

from fusionhub.contracts import AuthKind, PluginManifest
from fusionhub.errors import ValidationError, loc_part

FieldErrors = list[dict[str, str]]
# Long values are cut in messages: a config value is not a secret, but a 10 MB one is no message.
_SHOWN = 60


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _loc(*parts: Any) -> str:
    return ".".join(["config", *(loc_part(p) for p in parts)])


def _field_errors(error: jsonschema.ValidationError) -> FieldErrors:
    """One jsonschema error as field errors, in words a person can act on."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = f" — {schema['description']}" if schema.get("description") else ""
    kind, expected, value = error.validator, cast(Any, error.validator_value), error.instance
    if kind == "required":
        missing = [name for name in expected if isinstance(value, dict) and name not in value]
        return [{"loc": _loc(*path, name), "msg": "required"} for name in missing]
    if kind == "additionalProperties" and isinstance(value, dict):
        known = sorted(schema.get("properties", {}))
        allowed = ", ".join(known) or "none"
        return [
            {"loc": _loc(*path, key), "msg": f"unknown key: not a setting of this platform (allowed: {allowed})"}
            for key in sorted(set(value) - set(known))
        ]
    if kind == "pattern":
        why = f"{_shown(value)} does not match {expected}{hint}"
    elif kind == "enum":
        why = f"{_shown(value)} is not one of {', '.join(map(_shown, expected))}"
    elif kind == "type":
        why = f"must be of type {expected}, not {_shown(value)}{hint}"
    elif kind in _BOUNDS:
        why = f"{_shown(value)}: {_BOUNDS[kind]} {expected}{hint}"
    else:
        why = error.message if len(error.message) <= 200 else error.message[:199] + "…"
    return [{"loc": _loc(*path), "msg": why}]


_BOUNDS = {
    "maxLength": "longer than",
    "minLength": "shorter than",
    "maximum": "must be at most",
    "minimum": "must be at least",
    "exclusiveMaximum": "must be below",
    "exclusiveMinimum": "must be above",
    "maxItems": "more items than",
    "minItems": "fewer items than",
}


def config_errors(manifest: PluginManifest, config: Any) -> FieldErrors:
    """Every way `config` breaks the plugin's (closed) config schema, one entry per field."""
    if not isinstance(config, Mapping):
        return [{"loc": "config", "msg": f"must be a JSON object, not {_shown(config)}"}]
    validator = _validator(json.dumps(manifest.store_config_schema, sort_keys=True))
    found = sorted(validator.iter_errors(dict(config)), key=lambda e: [str(p) for p in e.absolute_path])
    return [entry for error in found for entry in _field_errors(error)]


def credential_errors(manifest: PluginManifest, credentials: Mapping[str, Any]) -> FieldErrors:
    """The credential fields the manifest requires, each non-empty; one of each `credentials_one_of` group."""

    def present(name: str) -> bool:
        return bool(str(credentials.get(name) or "").strip())

    errors = [
        {"loc": f"credentials.{name}", "msg": f"required by {manifest.name}'s {manifest.auth.value} auth"}
        for name in manifest.credential_fields
        if not present(name)
    ]
    for choice in manifest.credentials_one_of:
        if not any(present(name) for name in choice.one_of):
            names = " or ".join(choice.one_of)
            errors.append({"loc": "credentials." + "|".join(choice.one_of), "msg": f"set {names}: {choice.why}"})
    if not manifest.credential_fields and manifest.auth is not AuthKind.NONE and not credentials:
        errors.append({"loc": "credentials", "msg": f"{manifest.name} uses {manifest.auth.value} auth: give its keys"})
    return errors


def check_config(manifest: PluginManifest, config: Any) -> None:
    """Refuse config the plugin's schema does not accept (types, patterns, allowed values, unknown keys)."""
    errors = config_errors(manifest, config)
    if errors:
        raise ValidationError(errors=errors, platform=manifest.slug)


def check_credentials(manifest: PluginManifest, credentials: Mapping[str, Any]) -> None:
    """Refuse credentials lacking a field the plugin's manifest requires, before anything is saved."""
    errors = credential_errors(manifest, credentials)
    if errors:
        raise ValidationError(errors=errors, platform=manifest.slug)
