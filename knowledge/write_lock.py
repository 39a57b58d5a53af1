"""One writer at a time for a store, across threads and processes.

The API, the chat's upload and `nara ingest` may write to the same store at once. Each
document write is atomic on its own, but two writers of the same document can sweep
each other's chunks. So every ingest or removal holds this lock: a re-entrant lock
for the threads of a process, and an `flock` on a file beside the store for other
processes. A Chroma server shared by several machines is not covered (the lock file is
local).

`wait_s` bounds how long a writer waits for another: None (the command line: two
ingests serialise) waits as long as it takes; a number (the server: a DELETE sent while
an upload is read in) gives up after that many seconds with `StoreBusyError`.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from nara.errors import StoreBusyError

POLL_S = 0.05
"""Interval between two tries of a held `flock` while a bounded wait lasts."""


def busy(wait_s: float) -> StoreBusyError:
    return StoreBusyError(
        f"Kunskapsbanken är upptagen: en annan inläsning eller borttagning pågår, och den "
        f"blev inte klar inom {wait_s:g} s.",
        "Försök igen om en stund, när den andra skrivningen är klar.",
    )


class WriteLock:
    def __init__(self, path: Path, wait_s: float | None = None) -> None:
        self.path = path
        self.wait_s = wait_s
        self._threads = threading.RLock()
        self._depth = 0
        self._file: IO[str] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block; `StoreBusyError` when `wait_s` passes first."""
        deadline = None if self.wait_s is None else time.monotonic() + self.wait_s
        if not self._threads.acquire(timeout=-1 if self.wait_s is None else self.wait_s):
            raise busy(self.wait_s or 0.0)
        try:
            if self._depth == 0:
                self._file = self._lock_file(deadline)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._file is not None:
                    fcntl.flock(self._file, fcntl.LOCK_UN)
                    self._file.close()
                    self._file = None
        finally:
            self._threads.release()

    def _lock_file(self, deadline: float | None) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        if deadline is None:
            fcntl.flock(handle, fcntl.LOCK_EX)  # waits for another process
            return handle
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise busy(self.wait_s or 0.0) from None
                time.sleep(POLL_S)
