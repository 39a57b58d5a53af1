"""One ingest run's bookkeeping and costs: its report, the record stored per document,
the document ids the run has stored, the embedding of a document's texts, and the flag
that cancels a run."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest import Document, document_id
from ingest.personal_data import Finding
from ingest.untrusted import Flag
from knowledge.access import OPEN_GROUP, normalise_groups
from knowledge.embedders import Embedder
from knowledge.store import DocumentRecord
from nara.errors import IngestCancelledError, IngestError


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[IngestError] = field(default_factory=list)
    chunks: int = 0
    spans: int = 0
    ocr_pages: dict[str, list[int]] = field(default_factory=dict)
    """File name → pages read by OCR (scanned pages), for the files added or updated."""
    flags: dict[str, list[Flag]] = field(default_factory=dict)
    """File name → instruction-like text and links outside the allowed domains, for the
    files added or updated (`ingest.untrusted`)."""
    personal_data: dict[str, list[Finding]] = field(default_factory=dict)
    """File name → private identifiers masked at ingest (kind and place, never the
    value), for the files added or updated (`ingest.personal_data`)."""

    @property
    def ok(self) -> bool:
        return not self.failed


def apply_access(document: Document, given: Sequence[str], default: Sequence[str]) -> None:
    """Settle who may read `document`: its sidecar's `access:`, else the groups `given`
    at ingest (the upload form, the API, `nara ingest --access`), else `default`
    (NARA_ACCESS_DEFAULT). Groups other than "alla" alone go into its version, so that
    the same file stored again with other groups is a new version, not "unchanged"
    (a document open to all keeps the version of its content, as before groups)."""
    groups = normalise_groups(document.metadata.access or given or default) or (OPEN_GROUP,)
    document.metadata.access = list(groups)
    if groups == (OPEN_GROUP,):
        return
    mixed = hashlib.sha256(f"{document.content_hash}\0{','.join(groups)}".encode())
    document.content_hash = mixed.hexdigest()[: len(document.content_hash)]


def record_of(document: Document, n_chunks: int) -> DocumentRecord:
    meta = document.metadata
    years = meta.years or (None, None)
    return DocumentRecord(
        doc_id=document.doc_id,
        file=document.file,
        title=meta.title,
        version=document.content_hash,
        organisations=tuple(meta.organisations),
        region=meta.region,
        doc_type=meta.doc_type,
        date=meta.date,
        valid_until=meta.valid_until,
        year_from=years[0],
        year_to=years[1],
        n_chunks=n_chunks,
        ingested_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        flags=document.flags,
        access=tuple(meta.access) or (OPEN_GROUP,),
    )


def check_unclaimed(claimed: dict[str, Path], path: Path) -> None:
    """Refuse `path` when another file of this run was already stored under the document
    id its name gives (the first one is kept). `claimed`: id → path stored this run."""
    doc_id = document_id(path)
    first = claimed.get(doc_id)
    if first is not None and first != path:
        raise IngestError(
            str(path),
            f"får samma dokument-id '{doc_id}' som {first}, som redan lästs in i samma "
            "körning. Den första filen behålls; den här lagras inte.",
            "Byt namn på en av filerna (filnamnet bestämmer id:t) och kör igen.",
        )


INGEST_BATCH_CHARS = 32_000
"""Characters per embedding batch at ingest: 32 chunks of the default 1000 characters, the
batch the chunks always had; short spans now fill it too (320 spans: 7.5 s in one batch
against 13.6 s in batches of 32, e5 on this machine)."""


def embed_distinct(
    embedder: Embedder, texts: list[str], cancel: Cancel | None = None
) -> np.ndarray:
    """Passage vectors of `texts`, each distinct text embedded once: a document that
    repeats a line (a hostile one thousands of times) costs one embedding per distinct
    line. Batched by size (INGEST_BATCH_CHARS); `cancel` is checked before each batch."""
    distinct = list(dict.fromkeys(texts))
    parts = []
    for batch in _batches(distinct, INGEST_BATCH_CHARS):
        if cancel is not None:
            cancel.check()
        parts.append(embedder.embed_passages(batch, batch_chars=INGEST_BATCH_CHARS))
    vectors = np.vstack(parts) if parts else embedder.embed_passages([])
    row = {text: i for i, text in enumerate(distinct)}
    return vectors[[row[t] for t in texts]] if texts else vectors


def _batches(texts: list[str], chars: int) -> list[list[str]]:
    """Consecutive batches of at most `chars` characters, at least one text each (the
    batches `Embedder.embed_passages` makes with `batch_chars`)."""
    out: list[list[str]] = []
    total = 0
    for text in texts:
        if out and out[-1] and total + len(text) <= chars:
            out[-1].append(text)
            total += len(text)
        else:
            out.append([text])
            total = len(text)
    return out


class Cancel:
    """A flag that stops an ingest between files and between embedding batches (the
    server sets it when it shuts down). A document is stored whole or not at all: the
    flag is never checked inside a store write. Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """`IngestCancelledError` when the flag is set."""
        if self._event.is_set():
            raise IngestCancelledError(
                "Inläsningen avbröts: tjänsten stängs av. Dokumentet som lästes in "
                "lagrades inte; det som redan var lagrat finns kvar.",
                "Läs in filen igen när tjänsten är igång.",
            )
