"""The knowledge base: ingest files, list and remove documents, search."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from ingest import Document, expand_paths, load_document
from ingest.limits import IngestLimits
from ingest.personal_data import PersonalDataPolicy
from knowledge.access import ACCESS_VERSION, PUBLIC, Access
from knowledge.analysis import ANALYZER_VERSION
from knowledge.chunking import ChunkingConfig
from knowledge.embedders import Embedder, QueryVectors, make_embedder
from knowledge.fusion import fitted_fusion
from knowledge.ingest_prepare import Prepared, prepare
from knowledge.ingest_run import Cancel, IngestReport, apply_access, check_unclaimed
from knowledge.keyword import KeywordIndex
from knowledge.query import Query
from knowledge.registers import (
    REGISTERS_VERSION,
    PriorityEntry,
    Registers,
    ResponsibilityEntry,
)
from knowledge.retrieval import HybridRetriever, SearchFilters, SearchResult
from knowledge.spans import SPANS_VERSION, StoredSpan, embed_text
from knowledge.store import DocumentRecord, Manifest
from knowledge.store_open import empty_store, open_store, write_lock
from knowledge.term_stats import WordRows
from nara.errors import IngestError, NotFoundError
from nara.settings import Settings

__all__ = ["IngestReport", "KnowledgeBase", "empty_store"]


def _check_same_file(stored: DocumentRecord | None, document: Document) -> None:
    """`IngestError` when the stored document of this id comes from another file."""
    if stored and stored.file != document.file:
        raise IngestError(
            document.file,
            f"gets the document id '{document.doc_id}', which the stored file "
            f"'{stored.file}' already has.",
            f"Rename one of them, or remove the stored one first (nara remove {stored.doc_id}).",
        )


def _stored(report: IngestReport, document: Document, prepared: Prepared, replaced: bool) -> None:
    """What the report says of a document stored."""
    report.chunks += len(prepared.chunks)
    report.spans += len(prepared.spans)
    (report.updated if replaced else report.added).append(document.doc_id)
    if document.ocr_pages:
        report.ocr_pages[document.file] = document.ocr_pages
    if document.flags:
        report.flags[document.file] = list(document.flags)
    if document.personal_data:
        report.personal_data[document.file] = list(document.personal_data)


def _not_found(doc_id: str) -> NotFoundError:
    return NotFoundError(
        f"No document with id '{doc_id}'.", "List the stored documents with `nara documents`."
    )


class KnowledgeBase:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedder)
        self.limits = IngestLimits.from_settings(settings)
        self.chunking = ChunkingConfig(
            max_chars=settings.chunk_max_chars, max_label_chars=self.limits.max_meta_chars
        )
        manifest = Manifest(
            self.embedder.name,
            self.embedder.dimension,
            self.chunking.signature,
            ANALYZER_VERSION,
            REGISTERS_VERSION,
            SPANS_VERSION,
            ACCESS_VERSION,
        )
        self.store = open_store(settings, manifest)
        self.write_lock = write_lock(settings)
        self.cancel = Cancel()
        # set: a running ingest stops before its next file or embedding batch
        self.keyword = KeywordIndex(settings.keyword_dir / settings.collection)
        self.query_vectors = QueryVectors(self.embedder)
        self.retriever = HybridRetriever(
            self.store,
            self.embedder,
            self.keyword,
            fitted_fusion(),
            query_vector=self.query_vectors,
        )

    # -- ingest -----------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[Path],
        progress: Callable[[Path], None] | None = None,
        access: Sequence[str] = (),
    ) -> IngestReport:
        """Add, replace or skip each file; a file that fails is reported, not stored, and
        what was stored before stays. `access`: the groups that may read the files whose
        sidecar names none (default NARA_ACCESS_DEFAULT; `ingest_run.apply_access`).
        Within one run, a second file whose name gives the
        same document id as an earlier one (plan.docx in two folders) is refused: the
        first is kept, never silently replaced. `IngestCancelledError` when `cancel` is
        set: the documents stored before it stay, the one being read is not stored.
        Each document is embedded before the write lock is taken, and the lock is held
        for its commit only (`_ingest_one`)."""
        report = IngestReport()
        max_bytes = int(self.settings.max_file_mb * 1e6)
        claimed: dict[str, Path] = {}
        for path in expand_paths(paths):
            self.cancel.check()
            try:
                check_unclaimed(claimed, Path(path))
                document = load_document(
                    path,
                    max_bytes,
                    self.limits,
                    self.settings.serve.link_domains,
                    PersonalDataPolicy.from_settings(self.settings),
                )
                apply_access(document, access, self.settings.access_default)
                self._ingest_one(document, report, str(path))
                claimed[document.doc_id] = Path(path)
            except IngestError as err:
                report.failed.append(err)
            if progress:
                progress(path)
        return report

    def _ingest_one(self, document: Document, report: IngestReport, source: str) -> None:
        """Add, replace or skip one document: embedded first, without the write lock,
        unless the store already holds this version; then, under the lock, the store
        is read again and the document committed, or skipped if another writer stored
        the same version meanwhile (and embedded after all, outside the lock, if the
        version it skipped for was replaced or removed meanwhile). Another file whose
        name gives the same id is refused, not replaced; a file stored under an id of an
        older naming scheme (same file name, other id) moves to its new id."""
        while True:
            self.store.refresh()
            current = self.store.get_document(document.doc_id)
            _check_same_file(current, document)
            unchanged = current is not None and current.version == document.content_hash
            prepared = None if unchanged else self._prepare(document, source)
            with self.write_lock.held():
                self.store.refresh()
                live = {d.doc_id: d for d in self.store.documents()}
                old = live.get(document.doc_id)
                _check_same_file(old, document)
                if old and old.version == document.content_hash:
                    self.store.sweep_document(old)  # leftovers of a write killed after its commit
                    report.unchanged.append(document.doc_id)
                    return
                if prepared is not None:
                    self._commit(prepared)
                    for stale in live.values():  # stored under an older naming scheme
                        if stale.file == document.file and stale.doc_id != document.doc_id:
                            self.store.remove_document(stale.doc_id)
                    _stored(report, document, prepared, replaced=old is not None)
                    return

    def add_document(self, document: Document) -> int:
        """Store one parsed document, replacing any earlier version atomically; returns
        its number of chunks. Embedded before the write lock is taken. Without groups of
        its own it gets NARA_ACCESS_DEFAULT."""
        apply_access(document, (), self.settings.access_default)
        prepared = self._prepare(document, document.file)
        with self.write_lock.held():
            self.store.refresh()
            self._commit(prepared)
        return len(prepared.chunks)

    def _prepare(self, document: Document, source: str) -> Prepared:
        """`knowledge.ingest_prepare.prepare` with this knowledge base's settings."""
        return prepare(document, self.chunking, self.limits, self.embedder, self.cancel, source)

    def _commit(self, prepared: Prepared) -> None:
        """Write one prepared version into the store (the caller holds the write lock)."""
        self.store.put_document(
            prepared.record,
            prepared.text,
            prepared.chunks,
            prepared.vectors,
            prepared.registers,
            prepared.spans,
            prepared.span_vectors,
        )

    # -- documents --------------------------------------------------------------
    def documents(self, access: Access = PUBLIC) -> list[DocumentRecord]:
        """The stored documents `access` may read."""
        return self.store.documents(access)

    def remove(self, doc_id: str) -> DocumentRecord:
        with self.write_lock.held():
            self.store.refresh()
            record = self.store.get_document(doc_id)
            if record is None:
                raise _not_found(doc_id)
            self.store.remove_document(doc_id)
            return record

    def document_text(self, doc_id: str) -> str:
        text = self.store.document_text(doc_id)
        if text is None:
            raise _not_found(doc_id)
        return text

    def reading(self) -> AbstractContextManager[object]:
        """A block of reads (one question's) sharing one check of the store's generation
        on this thread: records, texts and spans cached for it are read once, not once
        per read. Only for blocks that run to their end on one thread."""
        return self.store.pinned()

    # -- search -----------------------------------------------------------------
    def search(
        self,
        query: str | Query,
        k: int | None = None,
        filters: SearchFilters | None = None,
        access: Access = PUBLIC,
    ) -> list[SearchResult]:
        """Hybrid search for a question text, or a `Query` analysed once by the caller,
        in the documents `access` may read."""
        with self.reading():
            return self.retriever.search(query, k or self.settings.search_k, filters, access)

    def term_rows(self, keys: Iterable[str]) -> WordRows:
        """The words of the chunks of the versions `keys` (a reader's, read with its
        access filter), from the keyword index brought up to date with the store."""
        with self.reading():
            self.retriever.live_documents()
            return self.keyword.word_rows(set(keys))

    # -- spans ------------------------------------------------------------------
    def spans_for(self, chunk_ids: Sequence[str], access: Access = PUBLIC) -> list[StoredSpan]:
        """The stored spans of those chunks (sentences, items, rows) that `access` may
        read, chunk by chunk in the order given, each chunk's in text order; each with
        its vector."""
        return self.store.spans(chunk_ids, access)

    def span_similarity(self, question: str, spans: Sequence[StoredSpan]) -> list[float]:
        """Cosine similarity between the question's query vector (the one its search
        used, from the cache) and each span's passage vector; a span read without a
        vector is embedded now."""
        if not spans:
            return []
        query = self.query_vectors(question)
        missing = [i for i, s in enumerate(spans) if s.vector is None or not s.vector.size]
        vectors = np.zeros((len(spans), len(query)), dtype=np.float32)
        vectors[missing] = self.embedder.embed_passages([embed_text(spans[i]) for i in missing])
        for i, span in enumerate(spans):
            if span.vector is not None and span.vector.size:
                vectors[i] = span.vector
        return [float(x) for x in vectors @ query]

    # -- registers --------------------------------------------------------------
    def responsibilities(
        self, document: str | None = None, year: int | None = None, access: Access = PUBLIC
    ) -> list[ResponsibilityEntry]:
        """Rows of the responsibility register of the documents `access` may read, in
        document order."""
        entries = [e for reg in self._registers(document, access) for e in reg.responsibilities]
        if year is not None:
            entries = [e for e in entries if str(year) in e.timeline or str(year) in e.quote]
        return entries

    def priorities(
        self, document: str | None = None, year: int | None = None, access: Access = PUBLIC
    ) -> list[PriorityEntry]:
        """Rows of the priority register of the documents `access` may read, in document
        order."""
        entries = [e for reg in self._registers(document, access) for e in reg.priorities]
        if year is not None:
            entries = [e for e in entries if e.covers(year)]
        return entries

    def _registers(self, document: str | None, access: Access) -> list[Registers]:
        """The registers of the documents `access` may read (`document`: of that one; a
        document it may not read is not found, as one that does not exist)."""
        docs = self.store.documents(access)
        if document is not None:
            docs = [d for d in docs if d.doc_id == document]
            if not docs:
                raise _not_found(document)
        return [Registers.from_json(self.store.registers(d.key, access) or "{}") for d in docs]
