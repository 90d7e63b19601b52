"""A store's simulated rate limit kept in the database, so every worker honours it until it ends.

`simulate_rate_limit` (fusionhub.ratelimit) lowers one process's limiter. Here the factor and the
end are saved per store and the store's `updated_at` is touched: every process rebuilds the
store's context within its `store_ttl` and charges its requests to the lowered limit too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fusionhub.clock import Clock
from fusionhub.context import StoreContext
from fusionhub.contracts import RateLimitSpec
from fusionhub.errors import ValidationError
from fusionhub.ratelimit.limiter import Simulation
from fusionhub.ratelimit.simulate import scaled
from fusionhub.storage.database import Database
from fusionhub.storage.schema import simulated_limits as t
from fusionhub.storage.schema import stores as st
from fusionhub.stores.service import StoreRecord

MAX_DURATION = 7 * 86_400.0  # a simulation is a test of a while, not a setting


@dataclass(frozen=True, slots=True)
class SimulatedLimit:
    store_id: str
    factor: float
    since: float
    until: float

    def to_dict(self) -> dict[str, Any]:
        return {"store_id": self.store_id, "factor": self.factor, "since": self.since, "until": self.until}


class SimulatedLimits:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def set(
        self, record: StoreRecord, spec: RateLimitSpec | None, factor: float, duration: float
    ) -> SimulatedLimit | None:
        """Lower `record`'s limit to `factor` of its own for `duration` seconds (0 ends it); None once ended."""
        errors = []
        if not 0 < factor <= 1:
            errors.append({"loc": "factor", "msg": f"{factor}: give a fraction above 0 and at most 1 (0.1 = a tenth)"})
        if not 0 <= duration <= MAX_DURATION:
            errors.append({"loc": "duration", "msg": f"{duration:g} s: from 0 (ends it) to {MAX_DURATION:g} s"})
        if spec is None:
            why = f"the {record.platform} plugin declares no rate limit to lower"
            errors.append({"loc": "store", "msg": why})
        if errors:
            raise ValidationError(errors=errors, platform=record.platform)
        now = self.clock.now()
        limit = SimulatedLimit(record.id, factor, now, now + duration) if duration > 0 else None
        async with self.db.write() as conn:
            await conn.execute(t.delete().where(t.c.store_id == record.id))
            if limit is not None:
                await conn.execute(t.insert().values(**{k: v for k, v in limit.to_dict().items()}))
            # Every process rebuilds the store's context when it sees the store changed.
            await conn.execute(st.update().where(st.c.id == record.id).values(updated_at=now))
        return limit

    async def get(self, store_id: str) -> SimulatedLimit | None:
        """The store's simulation while it lasts."""
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.store_id == store_id))).first()
        if row is None or row.until <= self.clock.now():
            return None
        return SimulatedLimit(str(row.store_id), float(row.factor), float(row.since), float(row.until))

    async def apply(self, ctx: StoreContext) -> None:
        """Charge the context's requests to the store's simulated limit too, until it ends."""
        limit = await self.get(ctx.store.id)
        spec = ctx.limiter.spec
        if limit is not None and spec is not None:
            ctx.limiter.simulation = Simulation(scaled(spec, limit.factor), limit.until)
