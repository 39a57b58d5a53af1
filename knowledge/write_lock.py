"""One writer at a time for a store, across threads and processes.

The API, the chat's upload and `nara ingest` may write to the same store at once. Each
document write is atomic on its own, but two writers of the same document can sweep
each other's chunks. So every ingest or removal holds this lock: a re-entrant lock
for the threads of a process, and an `flock` on a file beside the store for other
processes. A Chroma server shared by several machines is not covered (the lock file is
local).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class WriteLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._file: IO[str] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            if self._depth == 0:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a")
                fcntl.flock(self._file, fcntl.LOCK_EX)  # waits for another process
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._file is not None:
                    fcntl.flock(self._file, fcntl.LOCK_UN)
                    self._file.close()
                    self._file = None
