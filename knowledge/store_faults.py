"""Which failures of a store write mean that the disk is full.

Chroma reports a full disk in its own words: SQLite's "database or disk is full" (code
13) when the write-ahead log cannot grow, "Error in compaction" when the log is written
but the index files are not (both seen on an 8 MB tmpfs filled up, Chroma 1.5); a file
write gives `OSError` ENOSPC. "Error in compaction" has other causes too, so it counts
as a full disk only when the store's disk is nearly full at that moment.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from nara.errors import DiskFullError

FULL_DISK_WORDS = ("database or disk is full", "no space left on device", "os error 28")
"""Texts of errors that always mean a full disk (SQLite, the OS through Rust's io::Error)."""
UNCERTAIN_WORDS = ("error in compaction",)
"""Texts that mean a full disk when little space is left (`LOW_SPACE_BYTES`)."""
LOW_SPACE_BYTES = 64 * 1024 * 1024
"""Free space under which an index write that failed is taken for a full disk: a
document's vectors and index files take a few MB (the largest sample document ~3 MB)."""


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _free_bytes(location: str) -> int | None:
    path = Path(location) if location else None
    while path is not None and not path.exists() and path != path.parent:
        path = path.parent
    if path is None:
        return None
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def is_disk_full(exc: BaseException, location: str) -> bool:
    """Whether `exc`, raised by a write to the store at `location` (a folder, or a URL
    for a Chroma server, whose disk cannot be looked at), means a full disk."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return True
        text = str(cause).lower()
        if any(word in text for word in FULL_DISK_WORDS):
            return True
        if any(word in text for word in UNCERTAIN_WORDS):
            free = _free_bytes(location) if "://" not in location else None
            if free is not None and free < LOW_SPACE_BYTES:
                return True
    return False


def write_failure(exc: BaseException, location: str) -> DiskFullError | None:
    """The error to report for a failed store write: `DiskFullError` for a full disk,
    else None (the original error stands)."""
    if not is_disk_full(exc, location):
        return None
    where = location or "lagringsplatsen"
    return DiskFullError(
        f"Disken är full: kunskapsbanken i {where} kunde inte skrivas. Det som redan var "
        "lagrat finns kvar och går att söka i.",
        f"Frigör utrymme på disken där {where} ligger (eller flytta NARA_DATA_DIR till en "
        "disk med mer plats) och försök igen.",
    )
