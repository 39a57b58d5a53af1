"""Building the benchmark's ×N store by copying, not ingesting (issue #15, ×1 000).

The ingest of ×N (`evals.bench`) writes N copies of every sample file, each ending in a
line "Kopia i", and ingests them one document at a time; with embedding cached, that is
still about 2 s a document on the benchmark's machine (13–15 minutes at ×100), so hours
at ×1 000. `copy_store` produces the same store from the ×1 store's records: for each
copy of each document it reads the copy's file as the ingest would (`load_document`,
which gives the copy's document id, content hash, text and metadata), rewrites the ×1
chunks', spans' and registers' ids and version keys to the copy's, keeps their cached
vectors, and writes everything in large batches straight into Chroma. A copy's chunks
and spans are exactly the original's (the "Kopia i" line is a heading with no body), so
nothing is chunked or embedded again. `tests/test_bench_bulk.py` checks that a ×3 store
built this way equals, record by record and in search results, the one the ingest
builds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest import Document, load_document
from ingest.personal_data import PersonalDataPolicy
from knowledge.access import ACCESS_FIELD
from knowledge.chroma_access import GENERATION
from knowledge.ingest_run import record_of
from knowledge.store import DocumentRecord, record_from, record_metadata
from knowledge.store_link import Opened
from nara.settings import Settings

WRITE_BATCH = 4_000
"""Records per Chroma write when copying: Chroma's server takes up to its
`get_max_batch_size()` (5 461 with chromadb 1.5.9); 4 000 spans of 384 floats are
about 15 MB of JSON per request."""
WITH_VECTORS = ["embeddings", "documents", "metadatas"]


@dataclass
class Records:
    """One collection's records: ids, vectors (None for plain collections), texts and
    metadata, in the same order."""

    ids: list[str] = field(default_factory=list)
    embeddings: list[Any] | None = None
    documents: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class SourceDocument:
    """One ×1 document with its chunks, spans and registers."""

    record: DocumentRecord
    chunks: Records
    spans: Records
    registers: str


def read_records(collection: Any, where: dict[str, Any] | None = None) -> Records:
    found = collection.get(where=where, include=WITH_VECTORS)
    vectors = found.get("embeddings")
    return Records(
        list(found["ids"]),
        [list(map(float, v)) for v in vectors] if vectors is not None else None,
        list(found["documents"] or []),
        [dict(m or {}) for m in found["metadatas"] or []],
    )


def read_source(opened: Opened) -> list[SourceDocument]:
    """Every live document of the ×1 store with its chunks, spans and registers."""
    found = opened.documents.get(include=["metadatas"])
    out = []
    for meta in found["metadatas"] or []:
        record = record_from(meta)
        where = {"key": record.key}
        registers = opened.registers.get(ids=[record.key], include=["documents"])
        out.append(
            SourceDocument(
                record,
                read_records(opened.chunks, where),
                read_records(opened.spans, where),
                str((registers["documents"] or ["{}"])[0]),
            )
        )
    return sorted(out, key=lambda d: d.record.doc_id)


# -- one copy ---------------------------------------------------------------------------
def copy_name(stem: str, i: int) -> str:
    """The file name of copy `i` of the sample file `stem` (as `make_scaled_corpus`)."""
    return f"{stem}-kopia-{i:03d}.txt"


def copy_text(text: str, i: int) -> str:
    """The text of copy `i` of a sample file (as `make_scaled_corpus`)."""
    return f"{text.rstrip(chr(10))}\n\nKopia {i}\n"


def _rekeyed(records: Records, old_key: str, record: DocumentRecord) -> Records:
    """The records of version `old_key` as those of `record`'s version: ids that begin
    with the old key and the metadata naming it are rewritten."""
    new_key = record.key

    def moved(value: str) -> str:
        return new_key + value[len(old_key) :] if value.startswith(old_key) else value

    metas = []
    for meta in records.metadatas:
        meta = dict(meta, doc_id=record.doc_id, version=record.version, key=new_key)
        if "chunk_id" in meta:
            meta["chunk_id"] = moved(str(meta["chunk_id"]))
        metas.append(meta)
    return Records(
        [moved(i) for i in records.ids], records.embeddings, list(records.documents), metas
    )


@dataclass
class CopyWrites:
    """What copies write, gathered until a batch is full."""

    chunks: Records = field(default_factory=lambda: Records(embeddings=[]))
    spans: Records = field(default_factory=lambda: Records(embeddings=[]))
    registers: Records = field(default_factory=Records)
    documents: Records = field(default_factory=Records)

    def add(self, target: Records, part: Records) -> None:
        target.ids += part.ids
        if target.embeddings is not None and part.embeddings is not None:
            target.embeddings += part.embeddings
        target.documents += part.documents
        target.metadatas += part.metadatas


def parse_copy(source: SourceDocument, corpus: Path, i: int, settings: Settings) -> Document:
    """Copy `i` of a ×1 document, read as the ingest reads it (a file in `corpus`)."""
    original = corpus / source.record.file
    path = corpus.parent / f"copies-{uuid.uuid4().hex[:6]}" / copy_name(original.stem, i)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.write_text(copy_text(original.read_text(encoding="utf-8"), i), encoding="utf-8")
        return load_document(
            path,
            int(settings.max_file_mb * 1e6),
            None,
            settings.serve.link_domains,
            PersonalDataPolicy.from_settings(settings),
        )
    finally:
        path.unlink(missing_ok=True)
        path.parent.rmdir()


def _registers_of(registers: str, doc_id: str) -> str:
    """The ×1 registers JSON with each entry's document id set to the copy's."""
    data = json.loads(registers)
    for name in ("responsibilities", "priorities"):
        for entry in data.get(name, []):
            entry["document_id"] = doc_id
    return json.dumps(data, ensure_ascii=False)


def copy_writes(source: SourceDocument, document: Document, into: CopyWrites) -> None:
    """The records of one copy (`document`, parsed) of `source`, added to `into`."""
    record = record_of(document, source.record.n_chunks)
    old = source.record.key
    into.add(into.chunks, _rekeyed(source.chunks, old, record))
    into.add(into.spans, _rekeyed(source.spans, old, record))
    registers = _registers_of(source.registers, record.doc_id)
    register_meta = {"doc_id": record.doc_id, ACCESS_FIELD: list(record.access)}
    into.add(into.registers, Records([record.key], None, [registers], [register_meta]))
    meta = record_metadata(record)
    into.add(into.documents, Records([record.doc_id], None, [document.text], [meta]))


# -- writing ----------------------------------------------------------------------------
def _batches(records: Records, size: int) -> Iterator[Records]:
    for i in range(0, len(records), size):
        vectors = records.embeddings
        yield Records(
            records.ids[i : i + size],
            vectors[i : i + size] if vectors else None,
            records.documents[i : i + size],
            records.metadatas[i : i + size],
        )


def write(collection: Any, records: Records, size: int = WRITE_BATCH) -> None:
    """`records` added to `collection` in batches of `size` (plain ones with the store's
    placeholder vector [1.0])."""
    for part in _batches(records, size):
        collection.add(
            ids=part.ids,
            embeddings=part.embeddings if part.embeddings else [[1.0]] * len(part),
            documents=part.documents,
            metadatas=part.metadatas,
        )


def flush(opened: Opened, writes: CopyWrites, size: int) -> None:
    """Chunks, spans and registers first, the document records (the commit) last."""
    write(opened.chunks, writes.chunks, size)
    write(opened.spans, writes.spans, size)
    write(opened.registers, writes.registers, size)
    write(opened.documents, writes.documents, size)


def copy_store(
    source: Opened,
    target: Opened,
    corpus: Path,
    copies: Sequence[int],
    settings: Settings,
    size: int = WRITE_BATCH,
) -> dict[str, float]:
    """Write copies `copies` (numbers from 1) of every document of the ×1 store `source`
    into the empty store `target` (its collections created by `ChromaStore`, so with
    its manifest); `corpus` holds the sample files the ×1 store was ingested from.
    Returns the seconds spent parsing the copies and writing, and the counts written."""
    sources = read_source(source)
    parse_s = write_s = 0.0
    counts = {"documents": 0, "chunks": 0, "spans": 0}
    writes = CopyWrites()
    for n, i in enumerate(copies, 1):
        started = time.perf_counter()
        for doc in sources:
            copy_writes(doc, parse_copy(doc, corpus, i, settings), writes)
        parse_s += time.perf_counter() - started
        if len(writes.spans) >= size or n == len(copies):
            started = time.perf_counter()
            flush(target, writes, size)
            write_s += time.perf_counter() - started
            counts["documents"] += len(writes.documents)
            counts["chunks"] += len(writes.chunks)
            counts["spans"] += len(writes.spans)
            writes = CopyWrites()
    touch(target)
    return {"parse_s": round(parse_s, 1), "write_s": round(write_s, 1)} | counts


def touch(target: Opened) -> None:
    """A new generation token: readers of the target see a write."""
    token = uuid.uuid4().hex
    target.meta.upsert(ids=[GENERATION], embeddings=[[1.0]], documents=[token])


def settle_copies(source: Opened, target: Opened) -> int:
    """The store of a `copy_store` that was stopped (killed) made consistent: the copies
    whose document records were written (a batch writes its records last, so these are
    whole, copies 1 to M) stay, the records of the batch in flight (copies M+1 …, no
    document record yet) are deleted. Returns M."""
    stems = [Path(d.record.file).stem for d in read_source(source)]
    live = target.documents.get(include=[])["ids"]
    copies = len(live) // len(stems) if stems else 0
    i = copies + 1
    while True:
        ids = [Path(copy_name(stem, i)).stem for stem in stems]
        where = {"doc_id": {"$in": ids}}
        if not any(c.get(where=where, limit=1, include=[])["ids"] for c in _parts(target)):
            break
        for collection in _parts(target):
            collection.delete(where=where)
        i += 1
    touch(target)
    return copies


def _parts(target: Opened) -> tuple[Any, ...]:
    return (target.chunks, target.spans, target.registers)
