"""Shopify's BulkOperation node → fusionhub's OperationHandle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fusionhub.plugin import OperationHandle, OperationStatus

# Shopify's statuses are ours by name, but for two
STATUS = {**OperationStatus.__members__, "CANCELING": OperationStatus.RUNNING, "EXPIRED": OperationStatus.FAILED}
FIRST_POLL, MAX_POLL = 1.0, 15.0  # seconds before the next poll: doubling from the first to the most


def handle_from(op: dict[str, Any], kind: str, state: dict[str, Any]) -> OperationHandle:
    """The handle of bulk operation `op`; `state` is the plugin's, with the next poll's interval."""
    status = STATUS.get(str(op.get("status")), OperationStatus.RUNNING)
    interval = float(state.get("interval", FIRST_POLL))
    error = op.get("errorCode") or ("expired" if op.get("status") == "EXPIRED" else None)
    count = int(op.get("objectCount") or 0)
    return OperationHandle(
        operation_id=op["id"],
        kind=kind,
        status=status,
        poll_after_seconds=interval,
        done=count,
        result={
            "url": op.get("url"),
            "partial_data_url": op.get("partialDataUrl"),
            "object_count": count,
            "root_object_count": int(op.get("rootObjectCount") or 0),
        },
        error=str(error).lower() if error and status is OperationStatus.FAILED else None,
        created_at=datetime.fromisoformat(op["createdAt"]) if op.get("createdAt") else None,
        state={**state, "interval": min(MAX_POLL, interval * 2)},
    )
