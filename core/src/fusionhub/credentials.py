"""A store's credentials: usable by plugins, invisible to reprs, logs and exceptions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fusionhub.observability.redaction import REDACTED, register_secrets


class Credentials(Mapping[str, str]):
    """Read-only mapping of credential fields. Every value is registered for scrubbing."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = {str(k): str(v) for k, v in (values or {}).items() if v is not None}
        register_secrets(self._values.values())

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def replace(self, **changes: str | None) -> Credentials:
        """New credentials with some fields changed (a rotated token), None removes a field."""
        values: dict[str, Any] = dict(self._values)
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        return Credentials(values)

    def reveal(self) -> dict[str, str]:
        """The plain values, for encryption at rest and nothing else."""
        return dict(self._values)

    def __repr__(self) -> str:
        return "Credentials({" + ", ".join(f"{k!r}: {REDACTED!r}" for k in self._values) + "})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("Credentials are not picklable: encrypt them with fusionhub's secrets module")
