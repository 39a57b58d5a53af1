"""The store's Chroma collections, opened once and reopened when another process wrote.

Embedded Chroma keeps each collection's vector index (HNSW) in memory, per process and
per path: after a write by another process (`nara ingest` while `nara serve` runs) this
process's copy is stale, and Chroma fails reads with "Error finding id" until the
process itself writes; a rebuild drops the collections, and their old handles fail with
"Collection … does not exist" until a restart. A `StoreLink` holds one opened set of
collections (`Opened`) and replaces it on demand with a fresh one, from a new client with
its own Chroma system (`private_client`), which reads the store from disk again. The old
set is closed once the calls that use it have returned (`use` counts them), so a reopen
never pulls a client from under a running read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from nara.errors import ConfigError, StoreUnavailableError

SUFFIXES = ("chunks", "documents", "registers", "meta", "spans")
"""The collections of a store, `<prefix>-<suffix>`."""

_CACHE_LOCK = threading.Lock()


def chroma_client(path: str | None = None, url: str | None = None):  # type: ignore[no-untyped-def]
    """An embedded client at `path`, or an HTTP client for a Chroma server at `url`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ConfigError(
                f"NARA_CHROMA_URL '{url}' is not an http(s) URL.", "Use e.g. http://127.0.0.1:8000."
            )
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        return chromadb.HttpClient(
            host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=chroma_settings
        )
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


@dataclass
class Client:
    """A client, and the Chroma system to stop when it is closed (None: nothing to stop,
    e.g. an HTTP client, or a client shared with others in the process)."""

    client: Any
    system: Any = None

    def close(self) -> None:
        if self.system is not None:
            self.system.stop()


def private_client(path: str) -> Client:
    """An embedded client at `path` with a Chroma system of its own: a fresh read of the
    store from disk, not the one the process shares per path (chromadb's
    `SharedSystemClient` cache, which is left as it was)."""
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    with _CACHE_LOCK:
        systems, counts = Shared._identifier_to_system, Shared._identifier_to_refcount
        saved = systems.pop(path, None), counts.pop(path, None)
        try:
            client = chroma_client(path=path)
            system = systems[path]
        finally:
            systems.pop(path, None)
            counts.pop(path, None)
            if saved[0] is not None:
                systems[path] = saved[0]
            if saved[1] is not None:
                counts[path] = saved[1]
    return Client(client, system)


@dataclass
class Opened:
    """One opened set of a store's collections, and the calls using it."""

    client: Client
    chunks: Any
    documents: Any
    registers: Any
    meta: Any
    spans: Any
    users: int = 0
    retired: bool = False


class StoreLink:
    """The collections of the store `prefix`: `use()` lends the current set for one call
    (or a few); `reopen()` replaces it. `create` gives, per suffix, the arguments of
    `get_or_create_collection` for the first opening; a reopening only finds them
    (`StoreUnavailableError` when one is missing: another process is rebuilding the
    store). `open_client` makes the client of a reopening (default: the first client
    again, which refreshes collection handles but not an embedded index)."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        create: Mapping[str, Mapping[str, Any]],
        open_client: Callable[[], Client] | None = None,
    ) -> None:
        self.prefix = prefix
        self._open_client = open_client or (lambda: Client(client))
        self._lock = threading.Lock()
        collections = {
            s: client.get_or_create_collection(f"{prefix}-{s}", **create.get(s, {}))
            for s in SUFFIXES
        }
        self._current = Opened(Client(client), **collections)

    @property
    def current(self) -> Opened:
        """The current set, for inspection (calls go through `use`)."""
        return self._current

    @contextmanager
    def use(self) -> Iterator[Opened]:
        with self._lock:
            opened = self._current
            opened.users += 1
        try:
            yield opened
        finally:
            with self._lock:
                opened.users -= 1
                done = opened.retired and opened.users == 0
            if done:
                opened.client.close()

    def reopen(self) -> Opened:
        """Open the collections afresh and make them current; the old set is closed when
        its last call returns. `StoreUnavailableError` when the store cannot be opened."""
        try:
            client = self._open_client()
        except Exception as exc:  # e.g. a full disk: SQLite cannot open its log
            raise unavailable(exc) from exc
        try:
            collections = {
                s: client.client.get_collection(f"{self.prefix}-{s}", embedding_function=None)
                for s in SUFFIXES
            }
        except Exception as exc:
            client.close()
            raise unavailable(exc) from exc
        opened = Opened(client, **collections)
        with self._lock:
            old, self._current = self._current, opened
            old.retired = True
            done = old.users == 0
        if done:
            old.client.close()
        return opened


def unavailable(cause: BaseException) -> StoreUnavailableError:
    """The error for a store that cannot be read now (collections missing or failing)."""
    return StoreUnavailableError(
        "Kunskapsbanken går inte att läsa just nu: den byggs troligen om av en annan "
        f"process (`nara ingest --rebuild`), eller så svarar Chroma inte ({type(cause).__name__}).",
        "Försök igen om en stund. Kvarstår felet: kör `nara ingest` (eller --rebuild) klart, "
        "eller starta om tjänsten.",
    )
