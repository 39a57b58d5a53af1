"""The write lease kept in the store (`knowledge.store_lease`), on embedded Chroma and on
a Chroma server: one holder at a time among writers that share nothing but the store."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from knowledge.store import chroma_client, drop_store
from knowledge.store_lease import StoreLease
from knowledge.write_lock import WriteLock
from nara.errors import StoreBusyError, StoreUnavailableError
from tests.conftest import free_port

WRITERS = 4
ROUNDS = 5


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "embedded":
        return chroma_client(path=str(tmp_path / "chroma"))
    return chroma_client(url=request.getfixturevalue("chroma_server"))


@pytest.fixture
def prefix() -> str:
    return f"l-{uuid.uuid4().hex[:12]}"  # the server is shared by the whole session


def test_writers_that_share_only_the_store_take_turns(client: Any, prefix: str) -> None:
    """Each writer (its own lease, as another machine would have) adds one to a counter
    kept in Chroma by reading it, waiting and writing it back: without mutual exclusion
    increments are lost."""
    counter = client.get_or_create_collection(f"{prefix}-counter", embedding_function=None)
    counter.upsert(ids=["n"], embeddings=[[1.0]], documents=["0"])
    holders: list[str] = []
    errors: list[BaseException] = []

    def writer() -> None:
        lease = StoreLease(lambda: client, prefix)
        try:
            for _ in range(ROUNDS):
                assert lease.acquire(time.monotonic() + 60)
                holders.append(lease.owner)
                value = int(counter.get(ids=["n"], include=["documents"])["documents"][0])
                time.sleep(0.02)
                counter.upsert(ids=["n"], embeddings=[[1.0]], documents=[str(value + 1)])
                lease.release()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    final = counter.get(ids=["n"], include=["documents"])["documents"][0]
    assert int(final) == WRITERS * ROUNDS
    assert len(set(holders)) == WRITERS


def test_a_dead_holder_blocks_until_its_term_ends_and_a_live_one_renews(
    client: Any, prefix: str
) -> None:
    term = 1.0
    live, other = StoreLease(lambda: client, prefix, term), StoreLease(lambda: client, prefix)
    assert live.acquire(None)
    started = time.monotonic()
    assert not other.acquire(started + 2.5 * term)  # renewed past its term meanwhile
    live.release()
    assert other.acquire(time.monotonic() + 1)  # released: taken at once
    other.release()

    dead = StoreLease(lambda: client, prefix, term)
    assert dead.acquire(None)
    dead._stop.set()  # the process dies: no renewal, no release
    assert not other.acquire(time.monotonic() + 0.2)
    assert other.acquire(time.monotonic() + 3 * term)
    assert other.held is not None and other.held > (dead.held or 0)
    other.release()


def test_a_rebuild_keeps_the_lease(client: Any, prefix: str) -> None:
    """Dropping the store's collections (`nara ingest --rebuild`, under the lock) must not
    drop the lease that its writer holds."""
    client.get_or_create_collection(f"{prefix}-chunks", embedding_function=None)
    holder, other = StoreLease(lambda: client, prefix), StoreLease(lambda: client, prefix)
    assert holder.acquire(None)
    drop_store(client, prefix)
    assert not other.acquire(time.monotonic() + 0.3)
    holder.release()
    assert other.acquire(time.monotonic() + 1)
    other.release()


def test_the_write_lock_is_busy_while_another_machine_holds_the_lease(
    client: Any, prefix: str, tmp_path: Path
) -> None:
    elsewhere = StoreLease(lambda: client, prefix)
    assert elsewhere.acquire(None)
    lock = WriteLock(tmp_path / "x.lock", 0.3, StoreLease(lambda: client, prefix))
    with pytest.raises(StoreBusyError) as info, lock.held():
        pass
    assert "upptagen" in info.value.message and "Försök igen" in info.value.hint
    elsewhere.release()
    with lock.held(), lock.held():  # re-entrant; the lease is taken once
        assert lock.lease is not None and lock.lease.held is not None
    assert lock.lease.held is None


def test_the_write_lock_names_a_chroma_that_does_not_answer(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    lock = WriteLock(tmp_path / "x.lock", 1.0, StoreLease(lambda: chroma_client(url=url), "n"))
    with pytest.raises(StoreUnavailableError) as info, lock.held():
        pass
    assert "Chroma" in info.value.message
    with WriteLock(tmp_path / "x.lock", 0.1).held():  # the file lock was given back
        pass
