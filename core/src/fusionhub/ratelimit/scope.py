"""Whose budget a store's buckets are: its own, or one shared with the stores its credentials share it with.

A platform that counts per API key (or per app, per account) gives every store connected
through that key one budget; `scope = "credential:<field>"` on the rate-limit spec says so.
The buckets are then named by a hash of (platform, field, value): bucket keys are stored in the
database and shown in reports, so a credential's value never appears in one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from fusionhub.contracts import RateLimitSpec


def budget_key(platform: str, store_id: str, credentials: Mapping[str, str], spec: RateLimitSpec | None) -> str:
    """The prefix of every bucket key of this store's Limiter."""
    field = spec.shared_by if spec is not None else None
    if field is None or not credentials.get(field):  # nothing to share by: the store's own budget
        return f"store:{store_id}"
    digest = hashlib.sha256("\0".join((platform, field, credentials[field])).encode()).hexdigest()
    return f"shared:{platform}:{digest}"
