"""One writer at a time for a store, across threads and processes.

The API, the chat's upload and `nara ingest` may write to the same store at once. Each
document write is atomic on its own, but two writers of the same document can sweep
each other's chunks. So every ingest or removal holds this lock: a re-entrant lock
for the threads of a process, an `flock` on a file beside the store for other
processes of the machine and, for a Chroma server that processes on several machines
share, a lease kept in the store (`knowledge.store_lease`).

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

from knowledge.store_lease import StoreLease
from knowledge.store_link import unavailable
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
    """`path`: the lock file; `lease`: the store's lease, taken after the file (None for
    an embedded store, which lives on one machine)."""

    def __init__(
        self, path: Path, wait_s: float | None = None, lease: StoreLease | None = None
    ) -> None:
        self.path = path
        self.wait_s = wait_s
        self.lease = lease
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
                try:
                    self._take_lease(deadline)
                except BaseException:
                    self._unlock_file()
                    raise
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    try:
                        if self.lease is not None:
                            self.lease.release()
                    finally:
                        self._unlock_file()
        finally:
            self._threads.release()

    def _take_lease(self, deadline: float | None) -> None:
        if self.lease is None:
            return
        try:
            taken = self.lease.acquire(deadline)
        except Exception as exc:  # Chroma does not answer
            raise unavailable(exc) from exc
        if not taken:
            raise busy(self.wait_s or 0.0)

    def _unlock_file(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

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
