"""Errors that name the problem and the fix.

Every interface (CLI, HTTP, chat) turns a `NaraError` into a message in one place;
`str(error)` is the problem, `error.hint` is what the user should do about it.
"""

from __future__ import annotations


class NaraError(Exception):
    """Base class: a problem the user can act on."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(NaraError):
    """A setting is missing, malformed or a placeholder."""


class IngestError(NaraError):
    """A file could not be turned into a document. `path` names the file."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        super().__init__(f"{path}: {message}", hint)
        self.path = path


class IndexMismatchError(NaraError):
    """The store was built with other embedder or chunking settings than the current ones."""


class NotFoundError(NaraError):
    """A document or other stored item does not exist."""


class StoreBusyError(NaraError):
    """Another write (an ingest, a removal) holds the store's write lock longer than a
    write may wait for it. Retrying later works."""


class StoreUnavailableError(NaraError):
    """The store cannot be read just now: another process is rebuilding it, or Chroma
    does not answer. Reading again later works."""


class DiskFullError(NaraError):
    """A write failed for lack of disk space; what was stored before is intact."""


class IngestCancelledError(NaraError):
    """An ingest was cancelled (the server is shutting down); nothing of the document
    being read was stored, and what was stored before is intact."""
