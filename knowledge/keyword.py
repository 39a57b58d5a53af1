"""BM25 keyword index, derived from the store and persisted beside it.

The index is rebuilt whenever the live set of document versions differs from the one
it was built from (its fingerprint), so it can never disagree with Chroma for long.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from knowledge.analysis import ANALYZER_VERSION, Analyzer
from knowledge.store import StoredChunk


def fingerprint(keys: Sequence[str]) -> str:
    digest = hashlib.sha256(ANALYZER_VERSION.encode())
    for key in sorted(keys):
        digest.update(key.encode() + b"\n")
    return digest.hexdigest()[:20]


class KeywordIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fingerprint: str | None = None
        self.chunk_ids: list[str] = []
        self.chunk_keys: list[str] = []
        self.analyzer = Analyzer()
        self._bm25: bm25s.BM25 | None = None
        # Searches may run in threads (LangChain's batch, a web server): a rebuild must
        # not be seen half done.
        self._lock = threading.Lock()

    def ensure(self, keys: Sequence[str], load: Callable[[], list[StoredChunk]]) -> None:
        """Make the index match `keys` (live document versions): load it, or rebuild it."""
        wanted = fingerprint(keys)
        with self._lock:
            if self.fingerprint == wanted:
                return
            if not self._load(wanted):
                self._build(wanted, load())

    def _load(self, wanted: str) -> bool:
        meta_path = self.directory / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("fingerprint") != wanted:
                return False
            bm25 = (
                bm25s.BM25.load(str(self.directory / "bm25"), show_progress=False)
                if meta["chunk_ids"]
                else None
            )
        except (OSError, ValueError, KeyError):
            return False
        self._bm25 = bm25
        self.chunk_ids, self.chunk_keys = meta["chunk_ids"], meta["chunk_keys"]
        self.analyzer = Analyzer(meta["vocabulary"])
        self.fingerprint = wanted
        return True

    def _build(self, wanted: str, chunks: list[StoredChunk]) -> None:
        vocabulary = Analyzer.vocabulary_of(c.index_text for c in chunks)
        self.analyzer = Analyzer(vocabulary)
        self.chunk_ids = [c.chunk_id for c in chunks]
        self.chunk_keys = [c.key for c in chunks]
        self._bm25 = None
        if chunks:
            corpus = [self.analyzer.terms(c.index_text) or ["_"] for c in chunks]
            self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
            self._bm25.index(corpus, show_progress=False)
        self.fingerprint = wanted
        self._save(sorted(vocabulary))

    def _save(self, vocabulary: list[str]) -> None:
        """Persist the index. It is a cache of the store, so a failure to save (another
        process swapping in its copy at the same moment, a read-only folder) does not fail
        the search: the index in memory is complete, and a later build saves it."""
        unique = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # concurrent writers never collide
        tmp = self.directory.with_name(f"{self.directory.name}.tmp-{unique}")
        old = self.directory.with_name(f"{self.directory.name}.old-{unique}")
        try:
            tmp.mkdir(parents=True)
            if self._bm25 is not None:
                self._bm25.save(str(tmp / "bm25"), show_progress=False)
            meta = {
                "fingerprint": self.fingerprint,
                "chunk_ids": self.chunk_ids,
                "chunk_keys": self.chunk_keys,
                "vocabulary": vocabulary,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            with contextlib.suppress(FileNotFoundError):
                self.directory.rename(old)
            tmp.rename(self.directory)
        except OSError:
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def search(self, query: str, k: int, keys: set[str] | None = None) -> list[tuple[str, float]]:
        """Chunk ids and BM25 scores, best first; only chunks of `keys` when given."""
        with self._lock:
            return self._search(query, k, keys)

    def _search(self, query: str, k: int, keys: set[str] | None) -> list[tuple[str, float]]:
        if self._bm25 is None:
            return []
        terms = [t for t in self.analyzer.terms(query) if t in self._bm25.vocab_dict]
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        if keys is not None:
            mask = np.fromiter(
                (key in keys for key in self.chunk_keys), dtype=bool, count=len(self.chunk_keys)
            )
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]
