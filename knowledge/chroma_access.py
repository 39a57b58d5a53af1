"""How `ChromaStore` reaches Chroma, for a process among others that read and write the
same store.

Another process's write is seen at the next read: every read checks the store's
generation token, and a token this store did not write makes it reopen its collections
(`knowledge.store_link`), so an embedded index is never read stale. A read that Chroma
fails (a stale index, collections dropped by a rebuild) is tried once more on reopened
collections; if it fails again, `StoreUnavailableError` (a 503, never a 500). A write
that fails for lack of disk space is a `DiskFullError` naming where the store lives;
reads go on, from collections reopened after the failed write.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any, TypeVar

from knowledge.read_cache import Generation
from knowledge.store import SCHEMA, Manifest
from knowledge.store_faults import write_failure
from knowledge.store_link import Client, Opened, StoreLink, unavailable
from nara.errors import IndexMismatchError, NaraError, StoreUnavailableError

T = TypeVar("T")

GENERATION = "generation"
"""Id of the record in `<prefix>-meta` whose text changes with every committed write."""
OWN_TOKENS = 64
"""Generation tokens this store wrote that it remembers: a reader seeing one of them
knows its collections are current (64 writes is far more than can race one read)."""


class ChromaAccess:
    """How a store reaches Chroma. `client`: a Chroma client; `open_client` makes the
    client of a reopening (for an embedded store `knowledge.store_link.private_client`,
    so that the index is read from disk again); `location` names where the store lives
    in a disk-full message."""

    manifest: Manifest

    def __init__(
        self,
        client: Any,
        prefix: str,
        manifest: Manifest,
        open_client: Callable[[], Client] | None,
        location: str,
        create: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self._link = StoreLink(client, prefix, create, open_client)
        self._location = location
        self._token = Generation(self._read_generation)
        self._reopen_lock = threading.Lock()
        self._own: deque[str] = deque(maxlen=OWN_TOKENS)
        self._mismatch: IndexMismatchError | None = None
        self._stale = False  # a failed write could not be followed by a reopen
        self._wanted = manifest
        with self._link.use() as opened:
            self.manifest = self._check_manifest(opened, manifest)
            self._opened_at = self._token_of(opened)

    # the current collections, by their names of old (tests look at them)
    @property
    def _chunks(self) -> Any:
        return self._link.current.chunks

    @property
    def _docs(self) -> Any:
        return self._link.current.documents

    @property
    def _registers(self) -> Any:
        return self._link.current.registers

    @property
    def _meta(self) -> Any:
        return self._link.current.meta

    @staticmethod
    def _manifest_metadata(manifest: Manifest) -> dict[str, object]:
        return {f"nara_{k}": v for k, v in asdict(manifest).items()} | {"nara_schema": SCHEMA}

    @staticmethod
    def _check_manifest(opened: Opened, wanted: Manifest) -> Manifest:
        meta = opened.chunks.metadata or {}
        stored = Manifest(
            embedder=str(meta.get("nara_embedder", "")),
            dimension=int(meta.get("nara_dimension", 0)),
            chunking=str(meta.get("nara_chunking", "")),
            analyzer=str(meta.get("nara_analyzer", "")),
            registers=str(meta.get("nara_registers", "")),
            spans=str(meta.get("nara_spans", "")),
            access=str(meta.get("nara_access", "")),
        )
        if stored != wanted:
            raise IndexMismatchError(
                f"The store was built with {stored.describe()}, but the current settings "
                f"ask for {wanted.describe()}.",
                "Either set NARA_EMBEDDER / NARA_CHUNK_MAX_CHARS back to what the store was "
                "built with, or re-index: `nara ingest --rebuild PATH...` empties this store "
                "and ingests your documents again, or point NARA_DATA_DIR (or NARA_COLLECTION) "
                "at a new store and run `nara ingest` there.",
            )
        return stored

    # -- reaching Chroma ---------------------------------------------------------
    def _read(self, call: Callable[[Opened], T], *, checked: bool = True) -> T:
        """`call` on the current collections; once more on reopened ones if Chroma fails
        it; `StoreUnavailableError` if it fails again. `checked`: refuse while the
        reopened store was built with other settings (`IndexMismatchError`)."""
        if checked and self._mismatch is not None:
            raise self._mismatch
        try:
            with self._link.use() as opened:
                return call(opened)
        except NaraError:
            raise
        except Exception:
            self._reopen()
        try:
            with self._link.use() as opened:
                return call(opened)
        except NaraError:
            raise
        except Exception as exc:
            raise unavailable(exc) from exc

    def _write(self, call: Callable[[Opened], T]) -> T:
        """`call` on the current collections; a failure leaves this store reopened (its
        in-memory state may hold part of the failed write; if it cannot be reopened, as
        on a full disk, the next write reopens it first), and lack of space becomes
        `DiskFullError`."""
        if self._stale:
            self._reopen_for_write()
        try:
            with self._link.use() as opened:
                return call(opened)
        except NaraError:
            raise
        except Exception as exc:
            failure = write_failure(exc, self._location)
            self._stale = True
            with contextlib.suppress(NaraError):  # reads go on with what is open
                self._reopen()
                self._stale = False
            if failure is None:
                raise
            raise failure from exc

    def _reopen_for_write(self) -> None:
        try:
            self._reopen()
        except StoreUnavailableError as err:
            cause = err.__cause__
            failure = write_failure(cause, self._location) if cause else None
            raise (failure or err) from cause
        self._stale = False

    def _reopen(self, seen: str | None = None) -> None:
        """Reopen the collections (`seen`: the foreign token that called for it; a reader
        that finds it already handled by another thread does nothing)."""
        with self._reopen_lock:
            if seen is not None and seen == self._opened_at:
                return
            opened = self._link.reopen()
            self._reopened(opened)
            try:
                self._check_manifest(opened, self._wanted)
                self._mismatch = None
            except IndexMismatchError as err:
                self._mismatch = err
            try:
                self._opened_at = self._token_of(opened) if seen is None else seen
            except Exception as exc:  # the meta collection dropped again meanwhile
                raise unavailable(exc) from exc
        if self._mismatch is not None:
            raise self._mismatch

    def _reopened(self, opened: Opened) -> None:
        """Called with the collections of each reopening, once they are current."""

    def refresh(self) -> None:
        """See writes by other processes now (a writer calls this under the write lock,
        so that it never writes through a stale index)."""
        self._read_generation()

    @staticmethod
    def _token_of(opened: Opened) -> str:
        found = opened.meta.get(ids=[GENERATION], include=["documents"])
        return str((found["documents"] or [""])[0])

    def _read_generation(self) -> str:
        token = self._read(self._token_of, checked=False)
        if token != self._opened_at and token not in self._own:
            self._reopen(token)
        if self._mismatch is not None:
            raise self._mismatch
        return token

    def _generation(self) -> str:
        return self._token.current()

    def pinned(self) -> AbstractContextManager[object]:
        return self._token.pinned()

    def _own_token(self) -> str:
        """A new generation token, known as this store's own before it is written: no
        reader here takes it for another process's."""
        token = uuid.uuid4().hex
        self._own.append(token)
        return token
