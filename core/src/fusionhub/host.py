"""What the services a runtime drives (job runner, worker, event service) need of it.

They take a `Host`, not the `Runtime` that wires them: the runtime sits above them, so they
never import it (no cycle runtime -> jobs/events -> runtime). `fusionhub.runtime.Runtime` is
the one implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fusionhub.clock import Clock
    from fusionhub.context import StoreContext
    from fusionhub.hub import Hub
    from fusionhub.jobs.queue import JobQueue
    from fusionhub.storage.database import Database
    from fusionhub.stores.service import StoreService


class Host(Protocol):
    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def hub(self) -> Hub: ...

    @property
    def stores(self) -> StoreService: ...

    @property
    def queue(self) -> JobQueue: ...

    async def context(self, store_ref: str, *, version: float | None = None) -> StoreContext:
        """The store's connected context (raises when the store is disabled); `version`: the store's
        `updated_at` as the caller saw it, reused without a look-up while unchanged."""
        ...

    def platform_of(self, store_id: str) -> str:
        """The platform of a store whose context was built in this process."""
        ...
