"""A second process, a shutdown and a full disk (issue #16, items 2, 3 and 7).

`nara serve` runs in a subprocess on loopback, on a store of the sample corpus with the
hash embedder; `nara ingest` (a changed file, then `--rebuild`) runs in other processes
while /v1/search is polled. Then: a DELETE sent while an upload is read in (an
embedder made slow, registered like the real ones) is refused as busy within its bound,
and SIGTERM ends the server within seconds with the store as it was. Last, a write to a
full disk (a real 32 MB tmpfs when it can be mounted, else the error Chroma gives there)
gives a Swedish message naming the cause, and reads go on.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowledge.base import KnowledgeBase, empty_store
from nara.errors import DiskFullError, IngestCancelledError
from tests.conftest import CORPUS, ROOT, free_port, make_settings

USER_KEY = "user-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SEEN_WITHIN_S = 10.0  # the bound on seeing another process's write (issue #16)
BUSY_WITHIN_S = 4.0  # a DELETE while the lock is held: NARA_SERVE_WRITE_WAIT_S (1 s) + margin
SHUTDOWN_S = 2.0  # NARA_SERVE_SHUTDOWN_S of the slow server
EXIT_WITHIN_S = SHUTDOWN_S + 3.0  # the cut-off comes 1 s after it; 2 s of margin
SLOW_BATCH_S = 1.5  # each passage batch of the slow embedder: an upload takes > 6 s
STARTUP_S = 90.0  # the server imports gradio and more; a busy machine is slow
MARKER = "Zebrakorsningen vid fjällbjörkarna prövas som samverkansform."
QUERY = "zebrakorsningen fjällbjörkarna"
MARKER_2 = "Renvaktarstugan vid isälvsdeltat blir mötesplats för vårdcentralen."
QUERY_2 = "renvaktarstugan isälvsdeltat"

SERVE = """
import sys, time
from knowledge import embedders

class Slow(embedders.HashEmbedder):  # name "hash": it opens stores built with hash
    def embed_batch(self, texts, *, query):
        if not query:
            if MARK:  # the test sees that a passage batch is being embedded
                with open(MARK, "a") as out:
                    out.write("batch ")
            time.sleep(SLOW)
        return super().embed_batch(texts, query=query)

SLOW = float(sys.argv.pop(1))
import os
MARK = os.environ.get("SLOW_EMBED_MARK", "")
embedders.EMBEDDERS["slow-hash"] = lambda _arg: Slow()
from ui.server import main
sys.exit(main(sys.argv[1:]))
"""


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ui.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    docs: Path
    log: Path
    statuses: list[int] = field(default_factory=list)

    def search(self, query: str = QUERY) -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/search",
            json={"query": query, "k": 3},
            headers=ADMIN,
            timeout=30,
        )


def env_of(store: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env.update(
        PYTHONPATH=str(ROOT),
        NARA_DATA_DIR=str(store),
        NARA_EMBEDDER="hash",
        NARA_API_KEYS=USER_KEY,
        NARA_ADMIN_KEYS=ADMIN_KEY,
        **extra,
    )
    return env


def copy_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS, folder)
    return folder


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return copy_corpus(tmp_path)


def serve(tmp_path: Path, docs: Path, slow_s: float = 0.0, **extra: str) -> Iterator[Served]:
    """The sample corpus ingested (by this process), then `nara serve` on it."""
    env = env_of(tmp_path / "store", **extra)
    assert KnowledgeBase(make_settings(tmp_path / "store", embedder="hash")).ingest([docs]).ok
    port = free_port()
    log = tmp_path / "serve.log"
    server_env = dict(env, NARA_EMBEDDER="slow-hash")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(slow_s), "--host", "127.0.0.1", "--port", str(port)],
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", proc, env, docs, log)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{served.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield served
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the tests of another process's writes (each leaves the sample
    corpus stored, one file changed): starting one costs seconds."""
    tmp_path = tmp_path_factory.mktemp("served")
    yield from serve(tmp_path, copy_corpus(tmp_path))


@pytest.fixture
def slow_served(tmp_path: Path, docs: Path) -> Iterator[Served]:
    yield from serve(
        tmp_path,
        docs,
        SLOW_BATCH_S,
        NARA_SERVE_WRITE_WAIT_S="1",
        NARA_SERVE_SHUTDOWN_S=str(SHUTDOWN_S),
        SLOW_EMBED_MARK=str(tmp_path / "embedding.mark"),
    )


class Poller:
    """Polls /v1/search and /readyz in a thread, recording every status."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.search: list[int] = []
        self.ready: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.search.append(self.served.search("primärvård och nära vård").status_code)
            self.ready.append(httpx.get(f"{self.served.url}/readyz", timeout=30).status_code)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def wait_for(served: Served, marker: str, query: str) -> float:
    """Seconds until /v1/search answers `query` with the `marker` sentence first."""
    started = time.monotonic()
    while time.monotonic() - started < SEEN_WITHIN_S:
        response = served.search(query)
        assert response.status_code in (200, 503), response.text
        results = response.json().get("results", [])
        if results and marker in results[0]["text"]:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"the server did not answer the new content within {SEEN_WITHIN_S:.0f} s")


def change_a_file(docs: Path, text: str) -> Path:
    path = sorted(docs.iterdir())[0]
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{text}\n", encoding="utf-8")
    return path


# -- another process writes while the server runs ------------------------------------------
def test_server_sees_ingest_and_rebuild_by_another_process(served: Served) -> None:
    before = served.search()
    assert before.status_code == 200 and MARKER not in before.text
    with Poller(served) as poller:
        changed = change_a_file(served.docs, MARKER)
        done = cli(served.env, "ingest", "-q", str(changed))
        assert done.returncode == 0 and "1 uppdaterat," in done.stdout, done.stderr
        seen_after_ingest = wait_for(served, MARKER, QUERY)
        text = changed.read_text(encoding="utf-8").replace(MARKER, MARKER_2)
        changed.write_text(text, encoding="utf-8")
        done = cli(served.env, "ingest", "-q", "--rebuild", str(served.docs))
        assert done.returncode == 0 and "4 nya" in done.stdout, done.stderr
        seen_after_rebuild = wait_for(served, MARKER_2, QUERY_2)
        gone = served.search().json()["results"]
        assert all(MARKER not in r["text"] for r in gone)
    ask = httpx.post(
        f"{served.url}/v1/ask",
        json={"question": "Vad blir renvaktarstugan vid isälvsdeltat?"},
        headers=ADMIN,
        timeout=30,
    )
    assert ask.status_code == 200, ask.text
    assert poller.search and 500 not in poller.search, poller.search
    assert set(poller.search) <= {200, 503} and set(poller.ready) <= {200, 503}
    assert httpx.get(f"{served.url}/readyz").json()["documents"] == 4
    print(f"seen after ingest {seen_after_ingest:.2f} s, after rebuild {seen_after_rebuild:.2f} s")


def test_readyz_is_503_with_the_reason_while_the_store_is_gone(served: Served) -> None:
    """A store dropped by another process (a rebuild's first step) cannot be read: the
    server says so (503 with the reason, never 500), and recovers when it is back."""
    settings = make_settings(Path(served.env["NARA_DATA_DIR"]), embedder="hash")
    empty_store(settings)  # this test's process is the other one
    ready = httpx.get(f"{served.url}/readyz", timeout=30)
    assert ready.status_code == 503, ready.text
    assert "byggs troligen om" in ready.json()["reason"]
    search = served.search()
    assert search.status_code == 503 and "Försök igen" in search.json()["hint"]
    assert KnowledgeBase(settings).ingest([served.docs]).ok
    assert httpx.get(f"{served.url}/readyz", timeout=30).json()["documents"] == 4
    assert served.search("primärvård").status_code == 200


@pytest.mark.server
def test_with_a_chroma_server_a_reader_sees_a_rebuild_by_another_client(
    chroma_server: str, tmp_path: Path, docs: Path
) -> None:
    """With a Chroma server the index is the server's, but a rebuild gives the
    collections new ids: a reader holding the old ones reopens them by name."""
    settings = make_settings(
        tmp_path / "store",
        embedder="hash",
        chroma_url=chroma_server,
        collection=f"x-{uuid.uuid4().hex[:12]}",  # the server is shared by the session
    )
    reader = KnowledgeBase(settings)
    assert reader.documents() == []
    assert KnowledgeBase(settings).ingest([docs]).ok  # another client writes
    assert len(reader.documents()) == 4 and reader.search("primärvård")
    change_a_file(docs, MARKER)
    empty_store(settings)
    assert KnowledgeBase(settings).ingest([docs]).ok
    results = reader.search(QUERY)
    assert results and MARKER in results[0].chunk.text


# -- a busy store and a shutdown -------------------------------------------------------
@contextmanager
def holding_lock(store: Path) -> Iterator[None]:
    """The store's lock file held by this process (as another writer would)."""
    with (store / "nara.write.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def test_a_delete_is_not_held_up_by_an_uploads_embedding_and_sigterm_stops_the_server(
    slow_served: Served, tmp_path: Path
) -> None:
    """An upload embeds without the write lock (it holds it only for the commit), so a
    DELETE sent while it embeds is done at once; a DELETE while another writer holds the
    lock is refused within NARA_SERVE_WRITE_WAIT_S; SIGTERM cancels the upload."""
    served = slow_served
    listed = httpx.get(f"{served.url}/v1/documents", headers=ADMIN).json()["documents"]
    changed = change_a_file(served.docs, MARKER)
    others = [d for d in listed if d["file"] != changed.name]
    mark = tmp_path / "embedding.mark"
    upload: dict[str, Any] = {}

    def send() -> None:
        try:
            upload["response"] = httpx.post(
                f"{served.url}/v1/documents",
                files={"files": (changed.name, changed.read_bytes(), "text/plain")},
                headers=ADMIN,
                timeout=60,
            )
        except httpx.TransportError as exc:
            upload["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 10
    while not mark.exists():
        assert time.monotonic() < deadline, "the upload never began embedding"
        time.sleep(0.05)

    started = time.monotonic()
    removed = httpx.delete(
        f"{served.url}/v1/documents/{others[0]['document_id']}", headers=ADMIN, timeout=30
    )
    assert removed.status_code == 200, removed.text
    assert time.monotonic() - started < BUSY_WITHIN_S
    assert sender.is_alive() and not upload, "the upload was over before the DELETE"

    with holding_lock(tmp_path / "store"):
        started = time.monotonic()
        refused = httpx.delete(
            f"{served.url}/v1/documents/{others[1]['document_id']}", headers=ADMIN, timeout=30
        )
        assert time.monotonic() - started < BUSY_WITHIN_S
    assert refused.status_code == 503, refused.text
    assert "upptagen" in refused.json()["error"] and "Försök igen" in refused.json()["hint"]

    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    served.proc.wait(timeout=EXIT_WITHIN_S + 5)
    took = time.monotonic() - started
    sender.join(timeout=30)
    assert took < EXIT_WITHIN_S, f"SIGTERM took {took:.1f} s"
    response = upload.get("response")
    assert response is None or response.status_code == 503, response.text if response else ""
    after = json.loads(cli(served.env, "documents", "--json").stdout)["documents"]
    versions = {d["document_id"]: d["version"] for d in listed if d != others[0]}
    assert {d["document_id"]: d["version"] for d in after} == versions  # nothing half stored
    done = removed.elapsed.total_seconds()
    print(f"DELETE during embedding in {done:.2f} s; SIGTERM exit in {took:.2f} s")


class SlowHash:
    """The hash embedder, a pause before each passage batch."""

    def __init__(self, pause_s: float) -> None:
        from knowledge.embedders import HashEmbedder

        self.inner = HashEmbedder()
        self.name, self.dimension = self.inner.name, self.inner.dimension
        self.pause_s = pause_s
        self.batches = 0

    def embed_batch(self, texts: Any, *, query: bool) -> Any:
        if not query:
            self.batches += 1
            time.sleep(self.pause_s)
        return self.inner.embed_batch(texts, query=query)

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)

    def embed_passages(self, texts: Any, batch_size: int = 32, batch_chars: int = 0) -> Any:
        from knowledge.embedders import Embedder

        return Embedder.embed_passages(self, texts, batch_size, batch_chars)  # type: ignore[arg-type]


def test_a_cancelled_ingest_stops_between_batches_and_keeps_the_store(
    tmp_path: Path, docs: Path
) -> None:
    settings = make_settings(tmp_path / "store", embedder="hash")
    KnowledgeBase(settings).ingest([docs])
    slow = SlowHash(0.3)
    kb = KnowledgeBase(settings, embedder=slow)  # type: ignore[arg-type]
    before = kb.documents()
    change_a_file(docs, MARKER)
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            kb.ingest([docs])
        except IngestCancelledError as err:
            outcome["error"] = err

    worker = threading.Thread(target=run)
    worker.start()
    while not slow.batches:
        time.sleep(0.01)
    started = time.monotonic()
    kb.cancel.set()
    worker.join(timeout=10)
    assert not worker.is_alive() and time.monotonic() - started < 1.0
    assert "avbröts" in outcome["error"].message
    assert kb.documents() == before
    assert all(MARKER not in r.chunk.text for r in kb.search(QUERY))


# -- a full disk -------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs (needs root, as in CI's container); skipped where it cannot be
    mounted: `test_a_full_disk_is_named_when_chroma_says_so` covers the mapping there."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"no tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    """Write to `folder` until its disk is full (it may be full already: the store can
    take all of the 32 MB, and then the filler cannot even be created)."""
    try:
        with (folder / "filler").open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
    except OSError:
        pass


def test_a_full_disk_is_named_and_reads_go_on(small_disk: Path, docs: Path) -> None:
    settings = make_settings(small_disk / "store", embedder="hash")
    kb = KnowledgeBase(settings)
    assert kb.ingest([docs]).ok
    before = kb.documents()
    fill(small_disk)
    changed = change_a_file(docs, MARKER * 50)
    started = time.monotonic()
    with pytest.raises(DiskFullError) as caught:
        kb.ingest([changed])
    assert time.monotonic() - started < 10
    message = caught.value.message
    assert "Disken är full" in message and str(settings.data_dir) in message
    assert "Frigör utrymme" in caught.value.hint
    assert kb.documents() == before
    assert kb.search("primärvård")
    (small_disk / "filler").unlink()
    report = kb.ingest([changed])
    assert report.updated and MARKER in kb.search(QUERY)[0].chunk.text


def test_a_full_disk_is_named_when_chroma_says_so(
    tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error Chroma raised on the full tmpfs, at the store's boundary; through the
    API: 507 with the Swedish message, no traceback; searches go on."""
    from chromadb.errors import InternalError

    from tests.http_server import serve_app
    from ui.app.services import build_services
    from ui.server import create_app

    settings = make_settings(
        tmp_path / "store", embedder="hash", api_keys=[USER_KEY], admin_keys=[ADMIN_KEY]
    )
    services = build_services(settings)
    assert services.kb.ingest([docs]).ok

    def full(*_args: object, **_kwargs: object) -> None:
        raise InternalError(
            "Query error: Database error: error returned from database: (code: 13) "
            "database or disk is full"
        )

    monkeypatch.setattr(services.kb.store._chunks, "upsert", full)
    changed = change_a_file(docs, MARKER)
    with serve_app(create_app(settings, services)) as url:
        response = httpx.post(
            f"{url}/v1/documents",
            files={"files": (changed.name, changed.read_bytes(), "text/plain")},
            headers=ADMIN,
            timeout=30,
        )
        assert response.status_code == 507, response.text
        body = response.json()
        assert body["error"].startswith("Disken är full") and "Traceback" not in response.text
        search = httpx.post(
            f"{url}/v1/search", json={"query": "primärvård"}, headers=ADMIN, timeout=30
        )
        assert search.status_code == 200 and search.json()["results"]
