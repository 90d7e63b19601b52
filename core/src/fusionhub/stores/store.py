"""A store: one shop on one platform. The runtime keeps them in the database; this is the shape."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from fusionhub.credentials import Credentials


@dataclass(slots=True)
class Store:
    platform: str
    credentials: Credentials = field(default_factory=Credentials)
    config: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    name: str | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        # Accept a plain mapping from callers and wrap it so it never shows in a repr.
        creds: object = self.credentials
        if not isinstance(creds, Credentials):
            self.credentials = Credentials(creds)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Store(id={self.id!r}, platform={self.platform!r}, name={self.name!r})"
