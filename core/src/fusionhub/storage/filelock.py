"""A lock file that queues the writers of one SQLite database across processes.

SQLite's own busy handler polls with growing sleeps (up to 100 ms), so under several
writer processes the write lock sits idle most of the time. Waiting on flock() in a
thread instead wakes the next writer the moment the previous one commits. Where flock
does not exist (Windows) the busy handler alone still guarantees correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_url(cls, url: str) -> FileLock | None:
        database = url.split(":///", 1)[1] if ":///" in url else ""
        if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(Path(database).with_name(Path(database).name + ".writelock"))

    def _fileno(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    # Taken and let go on one thread, around one synchronous transaction (`DirectSqlite`): the lock
    # is then never held while an event loop gets round to resuming the holder.
    def try_hold(self) -> bool:
        """Take the lock if no other process holds it, without waiting."""
        try:
            fcntl.flock(self._fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def hold(self) -> None:
        """Take the lock, waiting for it (on a thread that may block)."""
        fcntl.flock(self._fileno(), fcntl.LOCK_EX)

    def let_go(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    async def __aenter__(self) -> None:
        if self.try_hold():  # free (the usual case with one writer process): no thread hop
            return
        fd = self._fileno()
        pending = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            await asyncio.shield(pending)
        except asyncio.CancelledError:
            # The thread may still get the lock after we gave up: release it then, or every
            # other process would wait forever.
            pending.add_done_callback(lambda f: None if f.exception() else fcntl.flock(fd, fcntl.LOCK_UN))
            raise

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.let_go()

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
