"""A process that calls a store whose access token has expired, in step with others (the refresh race test).

    python refresh_race_main.py DB_URL STATE_FILE SYNC_DIR TRIALS NAME

Trial i starts when SYNC_DIR/go-i appears, at the wall-clock time written in it; the outcome
("ok" or the error) goes to SYNC_DIR/result-i-NAME. Keys come from FUSIONHUB_SECRET_KEYS.
"""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from oauth_fakes import TokenServer, registry

from fusionhub.errors import FusionHubError
from fusionhub.observability.logs import configure_logging
from fusionhub.runtime import Runtime


def _appears(path: Path) -> None:
    while not path.exists():
        time.sleep(0.01)


async def main(url: str, state: Path, sync: Path, trials: int, name: str) -> None:
    configure_logging(level="CRITICAL")
    # store_ttl 0: every call looks at the store's row, so new credentials saved by the test are seen.
    runtime = await Runtime.open(url, registry=registry(), store_ttl=0.0)
    runtime.transport_for = TokenServer(state).transport
    (sync / f"ready-{name}").touch()
    for trial in range(trials):
        go = sync / f"go-{trial}"
        await asyncio.to_thread(_appears, go)
        await asyncio.sleep(max(0.0, float(go.read_text()) - time.time()))
        try:
            await runtime.execute("shop", "list_products", {})
            outcome = "ok"
        except FusionHubError as exc:
            outcome = f"{exc.category.value}: {exc.user_message}"
        result = sync / f"result-{trial}-{name}.tmp"
        result.write_text(outcome)
        result.rename(sync / f"result-{trial}-{name}")
    await runtime.aclose()


if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1)  # a hung racer shows where it waits
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
