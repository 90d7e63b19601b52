"""The backend-independent queue suite on the embedded SQLite backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from queue_failures_suite import *  # noqa: F403 - and these
from queue_suite import *  # noqa: F403 - the suite's tests run here against this backend
from queue_suite import Backend

from fusionhub.jobs import SqlJobQueue
from fusionhub.storage import Database, sqlite_url


@pytest.fixture
def queue_backend(tmp_path: Path) -> Backend:
    return Backend(database=lambda: Database(sqlite_url(tmp_path / "queue.db")), queue=SqlJobQueue)
