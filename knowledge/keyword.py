"""BM25 keyword index, derived from the store and persisted beside it.

The index is rebuilt whenever the live set of document versions differs from the one
it was built from (its fingerprint), so it can never disagree with Chroma for long.

Beside the BM25 index of stemmed terms it keeps an index of adjacent term pairs (a
phrase signal: "ytterst ansvarig" in the question and in the text) and, per chunk, the
length of its text and the kinds of answer it can hold (see `knowledge.answer_types`).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import bm25s
import numpy as np

from knowledge.analysis import ANALYZER_VERSION, Analyzer
from knowledge.answer_types import chunk_flags
from knowledge.store import StoredChunk

KEYWORD_VERSION = "kw-3-bigrams-answer-types"
"""What the keyword index holds; part of its fingerprint, so a change rebuilds it."""


def fingerprint(keys: Sequence[str]) -> str:
    digest = hashlib.sha256(f"{ANALYZER_VERSION}/{KEYWORD_VERSION}".encode())
    for key in sorted(keys):
        digest.update(key.encode() + b"\n")
    return digest.hexdigest()[:20]


def bigrams(terms: Sequence[str]) -> list[str]:
    """Adjacent pairs of a term sequence, as single tokens."""
    return [f"{a}_{b}" for a, b in pairwise(terms)]


@dataclass(frozen=True)
class KeywordScores:
    """Scores of one query for every chunk of the index, aligned with `chunk_ids`."""

    chunk_ids: list[str]
    chunk_keys: list[str]
    """Document version (`DocumentRecord.key`) of each chunk."""
    bm25: np.ndarray
    """BM25 over stemmed terms (and compound parts); 0 for chunks outside `keys`."""
    bigrams: np.ndarray
    """Summed IDF of the query's adjacent term pairs that the chunk also has."""
    lengths: np.ndarray
    """Characters of each chunk's text."""
    flags: np.ndarray
    """Kinds of answer each chunk can hold (`knowledge.answer_types` bits)."""
    admitted: np.ndarray
    """True for chunks of the versions searched."""
    positions: dict[str, int]
    """Index of each chunk id in the arrays."""


class KeywordIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fingerprint: str | None = None
        self.chunk_ids: list[str] = []
        self.chunk_keys: list[str] = []
        self.analyzer = Analyzer()
        self._bm25: bm25s.BM25 | None = None
        self._pairs: bm25s.BM25 | None = None
        self._lengths = np.zeros(0, dtype=np.int32)
        self._flags = np.zeros(0, dtype=np.int8)
        self._positions: dict[str, int] = {}
        self._heads: list[str] = []  # vocabulary terms reversed, sorted: suffix look-ups
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
            bm25, pairs = None, None
            if meta["chunk_ids"]:
                bm25 = bm25s.BM25.load(str(self.directory / "bm25"), show_progress=False)
                pairs = bm25s.BM25.load(str(self.directory / "pairs"), show_progress=False)
            lengths = np.asarray(meta["lengths"], dtype=np.int32)
            flags = np.asarray(meta["flags"], dtype=np.int8)
            if len(lengths) != len(meta["chunk_ids"]) or len(flags) != len(lengths):
                return False
        except (OSError, ValueError, KeyError):
            return False
        self._bm25, self._pairs = bm25, pairs
        self._lengths, self._flags = lengths, flags
        self.chunk_ids, self.chunk_keys = meta["chunk_ids"], meta["chunk_keys"]
        self._positions = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self._heads = _reversed_vocabulary(bm25)
        self.analyzer = Analyzer(meta["vocabulary"])
        self.fingerprint = wanted
        return True

    def _build(self, wanted: str, chunks: list[StoredChunk]) -> None:
        vocabulary = Analyzer.vocabulary_of(c.index_text for c in chunks)
        self.analyzer = Analyzer(vocabulary)
        self.chunk_ids = [c.chunk_id for c in chunks]
        self.chunk_keys = [c.key for c in chunks]
        self._positions = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self._lengths = np.asarray([len(c.text) for c in chunks], dtype=np.int32)
        self._flags = np.asarray([chunk_flags(c.text) for c in chunks], dtype=np.int8)
        self._bm25, self._pairs = None, None
        if chunks:
            corpus = [self.analyzer.terms(c.index_text) or ["_"] for c in chunks]
            self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
            self._bm25.index(corpus, show_progress=False)
            # k1=0: a pair scores its IDF once, however often the chunk repeats it.
            pairs = [bigrams(self.analyzer.stems(c.index_text)) or ["_"] for c in chunks]
            self._pairs = bm25s.BM25(k1=0.0, b=0.0)
            self._pairs.index(pairs, show_progress=False)
        self._heads = _reversed_vocabulary(self._bm25)
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
            if self._bm25 is not None and self._pairs is not None:
                self._bm25.save(str(tmp / "bm25"), show_progress=False)
                self._pairs.save(str(tmp / "pairs"), show_progress=False)
            meta = {
                "fingerprint": self.fingerprint,
                "chunk_ids": self.chunk_ids,
                "chunk_keys": self.chunk_keys,
                "vocabulary": vocabulary,
                "lengths": self._lengths.tolist(),
                "flags": self._flags.tolist(),
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
        scored = self.scores(query, keys)
        if scored is None:
            return []
        top = np.argsort(-scored.bm25, kind="stable")[:k]
        return [(scored.chunk_ids[i], float(scored.bm25[i])) for i in top if scored.bm25[i] > 0]

    def scores(self, query: str, keys: set[str] | None = None) -> KeywordScores | None:
        """Every chunk's lexical scores for `query`, or None when the index is empty."""
        with self._lock:
            if self._bm25 is None or self._pairs is None:
                return None
            bm25, pairs = self._bm25, self._pairs
            chunk_ids, chunk_keys = self.chunk_ids, self.chunk_keys
            lengths, flags, analyzer = self._lengths, self._flags, self.analyzer
            positions, heads = self._positions, self._heads
        n = len(chunk_ids)
        admitted = (
            np.ones(n, dtype=bool)
            if keys is None
            else np.fromiter((key in keys for key in chunk_keys), dtype=bool, count=n)
        )
        return KeywordScores(
            chunk_ids=chunk_ids,
            chunk_keys=chunk_keys,
            bm25=_scores(bm25, with_compounds(analyzer.terms(query), heads), admitted),
            bigrams=_scores(pairs, bigrams(analyzer.stems(query)), admitted),
            lengths=lengths,
            flags=flags,
            admitted=admitted,
            positions=positions,
        )


COMPOUND_HEAD = 8
"""A query term this long also matches the compounds it ends (dokumentation:
omsorgsdokumentation), which the splitter cannot split when the head never occurs alone."""
MIN_MODIFIER = 3
"""Characters a compound needs in front of the head."""


def _reversed_vocabulary(index: bm25s.BM25 | None) -> list[str]:
    return sorted(t[::-1] for t in index.vocab_dict) if index is not None else []


def with_compounds(terms: Sequence[str], heads: list[str]) -> list[str]:
    """`terms` and the indexed compounds that end with one of the long ones."""
    out = list(terms)
    for term in dict.fromkeys(terms):
        if len(term) < COMPOUND_HEAD:
            continue
        tail = term[::-1]
        i = bisect.bisect_left(heads, tail)
        while i < len(heads) and heads[i].startswith(tail):
            if len(heads[i]) - len(tail) >= MIN_MODIFIER:
                out.append(heads[i][::-1])
            i += 1
    return out


def _scores(index: bm25s.BM25, tokens: Sequence[str], admitted: np.ndarray) -> np.ndarray:
    known = list(dict.fromkeys(t for t in tokens if t in index.vocab_dict))
    if not known:
        return np.zeros(len(admitted), dtype=np.float32)
    scores = np.asarray(index.get_scores(known), dtype=np.float32)
    return np.where(admitted, scores, np.float32(0.0))
