"""Opening the store of the settings: its Chroma client, the store, its write lock, and
emptying it for a rebuild."""

from __future__ import annotations

import shutil

from knowledge.store import ChromaStore, Manifest, chroma_client, drop_store
from knowledge.store_lease import StoreLease
from knowledge.store_link import Client, private_client
from knowledge.write_lock import WriteLock
from nara.settings import Settings


def client_of(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.chroma_url:
        return chroma_client(url=settings.chroma_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return chroma_client(path=str(settings.chroma_path))


def open_store(settings: Settings, manifest: Manifest) -> ChromaStore:
    """The store of `settings`; an embedded one reopens with a Chroma system of its own,
    which reads what other processes wrote (see `knowledge.store_link`)."""
    if settings.chroma_url:
        return ChromaStore(
            client_of(settings), settings.collection, manifest, None, "Chroma-servern"
        )
    path = str(settings.chroma_path)

    def reopen() -> Client:
        return private_client(path)

    return ChromaStore(client_of(settings), settings.collection, manifest, reopen, path)


def write_lock(settings: Settings) -> WriteLock:
    """The lock file beside the store and, with a Chroma server, the store's lease."""
    lease = None
    if settings.chroma_url:
        lease = StoreLease(lambda: client_of(settings), settings.collection)
    return WriteLock(settings.data_dir / f"{settings.collection}.write.lock", lease=lease)


def empty_store(settings: Settings) -> None:
    """Delete the store of NARA_COLLECTION and its keyword index, whatever settings built
    it: the first half of a rebuild (`nara ingest --rebuild`). Holds the write lock."""
    with write_lock(settings).held():
        drop_store(client_of(settings), settings.collection)
        shutil.rmtree(settings.keyword_dir / settings.collection, ignore_errors=True)
