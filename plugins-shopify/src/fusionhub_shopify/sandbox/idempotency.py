"""Shopify's `@idempotent(key:)` directive as the sandbox keeps it.

From 2026-01 the mutations below take the directive; from 2026-04 they fail without it (Shopify
changelog, 2025-12-12; API-FACTS §1). A key seen before with the same document and variables
answers the first run's result again and applies nothing; with other variables it is refused.
The error texts and codes are the enum's (InventoryCountUpdateMetadataUserErrorCode); where the
real API puts them (top-level error or userErrors) is [unverified]: the sandbox answers a
top-level error, which the plugin maps to a validation error either way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, OperationType, value_from_ast_untyped

MANDATORY = frozenset(
    {
        "refundCreate",
        "inventorySetQuantities",
        "inventoryAdjustQuantities",
        "inventoryMoveQuantities",
        "inventorySetOnHandQuantities",
        "inventoryShipmentCreate",
        "inventoryShipmentCreateInTransit",
        "inventoryShipmentReceive",
    }
)
ACCEPTED_FROM, REQUIRED_FROM = "2026-01", "2026-04"


def _error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


@dataclass
class IdempotencyKeys:
    """Keys the shop has seen: key -> (what the request was, the answer it got)."""

    seen: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def key_of(
        self, doc: DocumentNode, variables: dict[str, Any], version: str
    ) -> tuple[str | None, dict[str, Any] | None]:
        """The request's idempotency key, or the error refusing it (a directive missing or too early)."""
        key: str | None = None
        for op in doc.definitions:
            if not (isinstance(op, OperationDefinitionNode) and op.operation is OperationType.MUTATION):
                continue
            for selection in op.selection_set.selections:
                name = getattr(selection, "name", None)
                directive = next(
                    (d for d in getattr(selection, "directives", ()) if d.name.value == "idempotent"), None
                )
                if directive is None:
                    if name is not None and name.value in MANDATORY and version >= REQUIRED_FROM:
                        return None, _error(f"The @idempotent directive is required for {name.value}.", "BAD_REQUEST")
                    continue
                if version < ACCEPTED_FROM or name is None or name.value not in MANDATORY:
                    return None, _error('Unknown directive "@idempotent" for this field.', "BAD_REQUEST")
                arg = next(a for a in directive.arguments if a.name.value == "key")
                key = str(value_from_ast_untyped(arg.value, variables))
        return key, None

    @staticmethod
    def fingerprint(query: str, variables: dict[str, Any], key: str) -> str:
        rest = {k: v for k, v in variables.items() if v != key}
        return hashlib.sha256(json.dumps([query, rest], sort_keys=True, default=str).encode()).hexdigest()

    def earlier(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        """The first run's answer for `key`; a refusal when the key came with other parameters."""
        if key not in self.seen:
            return None
        first, answer = self.seen[key]
        if first != fingerprint:
            return _error(
                "The same idempotency key cannot be used with different operation parameters.",
                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            )
        return answer
