"""BM25 keyword index, derived from the store and persisted beside it.

The index follows the live set of document versions (its fingerprint), which every
search reads through the store's generation token, so it never disagrees with Chroma
for long, in this process or another. When a few versions were added or retired, it is
updated: their rows retired, a segment of the new chunks added
(`knowledge.bm25_segments`: the scores equal those of an index built anew). When many
were, or at start with no saved index, it is rebuilt from every chunk and saved.

Beside the BM25 index of stemmed terms it keeps an index of adjacent term pairs (a
phrase signal: "ytterst ansvarig" in the question and in the text) and, per chunk, the
length of its text, the kinds of answer it can hold (see `knowledge.answer_types`) and
its distinct words, of which the asks' term statistics are counted (`knowledge.term_stats`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from knowledge.analysis import ANALYZER_VERSION, Analyzer, with_compounds
from knowledge.answer_types import chunk_flags, flags_version
from knowledge.bm25_segments import SegmentedBM25, admitted_rows
from knowledge.store import StoredChunk
from knowledge.term_stats import WordRows, words_of

KEYWORD_VERSION = "kw-5-words"
"""What the keyword index holds; part of its fingerprint, so a change rebuilds it."""
TERMS = (1.2, 0.75)
"""BM25 k1 and b of the stemmed terms (the usual values)."""
PAIRS = (0.0, 0.0)
"""k1 = 0, b = 0 for adjacent pairs: a pair scores its IDF once, whatever the length."""
PARTS = ("terms", "pairs", "words")
"""The saved indexes: BM25 of the stemmed terms, of adjacent pairs, each chunk's words."""
MERGE_SHARE = 0.1
"""Versions added or retired since the last full build, as a share of the live ones,
up to which the index is updated in place; beyond it, it is rebuilt (merging its
segments and re-analysing every chunk with the whole vocabulary)."""


Loader = Callable[[Sequence[str]], list[StoredChunk]]
"""Reads the chunks of some document versions (`VectorStore.chunks`)."""


def fingerprint(keys: Sequence[str]) -> str:
    digest = hashlib.sha256(f"{ANALYZER_VERSION}/{KEYWORD_VERSION}/{flags_version()}".encode())
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
        """Rows of the index, retired ones included (their version is no longer live)."""
        self.analyzer = Analyzer()
        self._vocabulary: frozenset[str] = frozenset()
        self._bm25 = SegmentedBM25.empty(*TERMS)
        self._pairs = SegmentedBM25.empty(*PAIRS)
        self._words = SegmentedBM25.empty(0.0, 0.0)  # each chunk's distinct words
        self._lengths = np.zeros(0, dtype=np.int32)
        self._flags = np.zeros(0, dtype=np.int8)
        self._positions: dict[str, int] = {}
        self._rows: dict[str, np.ndarray] = {}  # live version → its rows
        self._keys: frozenset[str] = frozenset()  # versions indexed, some without rows
        self._heads: list[str] = []  # vocabulary terms reversed, sorted: suffix look-ups
        self._churn = 0  # versions added or retired since the last full build
        self.last_update: tuple[str, float] = ("", 0.0)
        """How the index last changed ("build", "load", "load+update" or "update") and
        in how many seconds."""
        # Searches may run in threads (LangChain's batch, a web server): a change must
        # not be seen half done.
        self._lock = threading.Lock()

    def ensure(
        self, keys: Sequence[str], load: Callable[[Sequence[str]], list[StoredChunk]]
    ) -> None:
        """Make the index match `keys` (live document versions): load the saved one, and
        update it with the versions added and retired since (`load(keys)` reads their
        chunks), or rebuild it when they exceed `MERGE_SHARE` of the versions."""
        wanted = fingerprint(keys)
        with self._lock:
            if self.fingerprint == wanted:
                return
            started, how = time.perf_counter(), "update"
            if self.fingerprint is None:
                how = "load" if self._load() else "build"
            if self.fingerprint != wanted:
                added = [k for k in dict.fromkeys(keys) if k not in self._keys]
                retired = self._keys - set(keys)
                churn = self._churn + len(added) + len(retired)
                if self.fingerprint is not None and churn <= MERGE_SHARE * len(keys):
                    self._update(added, retired, load)
                    self._churn = churn
                    how = f"{how}+update" if how == "load" else how
                else:
                    how = "build"
                    self._build(keys, load(keys))
                self.fingerprint = wanted
            self.last_update = (how, time.perf_counter() - started)

    def _load(self) -> bool:
        """The saved index, whatever versions it was built from (False: none usable)."""
        try:
            meta = json.loads((self.directory / "meta.json").read_text(encoding="utf-8"))
            if meta.get("version") != KEYWORD_VERSION:
                return False
            bm25, pairs, chunk_words = (load_index(self.directory / f"{p}.npz") for p in PARTS)
            lengths = np.asarray(meta["lengths"], dtype=np.int32)
            flags = np.asarray(meta["flags"], dtype=np.int8)
            n = len(meta["chunk_ids"])
            if not n == len(lengths) == len(flags) == bm25.rows == pairs.rows == chunk_words.rows:
                return False
        except (OSError, ValueError, KeyError):
            return False
        self._bm25, self._pairs, self._words = bm25, pairs, chunk_words
        self._set_rows(meta["chunk_ids"], meta["chunk_keys"], lengths, flags)
        self._vocabulary = frozenset(meta["vocabulary"])
        self._keys = frozenset(meta["keys"])
        self.analyzer = Analyzer(self._vocabulary)
        self._churn = 0
        self.fingerprint = str(meta["fingerprint"])
        return True

    def _set_rows(
        self, ids: list[str], keys: list[str], lengths: np.ndarray, flags: np.ndarray
    ) -> None:
        self.chunk_ids, self.chunk_keys = ids, keys
        self._lengths, self._flags = lengths, flags
        self._positions = {cid: i for i, cid in enumerate(ids)}
        live = self._bm25.live
        rows: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if live[i]:
                rows.setdefault(key, []).append(i)
        self._rows = {key: np.asarray(held, dtype=np.int64) for key, held in rows.items()}
        self._heads = sorted(t[::-1] for t in self._bm25.terms())

    def _build(self, keys: Sequence[str], chunks: list[StoredChunk]) -> None:
        self._vocabulary = frozenset(Analyzer.vocabulary_of(c.index_text for c in chunks))
        self.analyzer = Analyzer(self._vocabulary)
        self._bm25 = SegmentedBM25.empty(*TERMS).with_rows(self._term_rows(chunks))
        self._pairs = SegmentedBM25.empty(*PAIRS).with_rows(self._pair_rows(chunks))
        self._words = SegmentedBM25.empty(0.0, 0.0).with_rows(words_of(c.text) for c in chunks)
        lengths, flags = _row_arrays(chunks)
        self._set_rows([c.chunk_id for c in chunks], [c.key for c in chunks], lengths, flags)
        self._keys, self._churn = frozenset(keys), 0
        self._save(sorted(self._vocabulary), keys)

    def _update(
        self,
        added: Sequence[str],
        retired: frozenset[str],
        load: Loader,
    ) -> None:
        """Rows of the `retired` versions retired, a segment for the `added` ones. Their
        words join the vocabulary of compound splitting for them and for queries; rows
        indexed before keep their terms until the next full build."""
        chunks = load(added) if added else []
        gone = [r for key in retired for r in self._rows.get(key, [])]
        self._keys = (self._keys - retired) | frozenset(added)
        self._vocabulary |= Analyzer.vocabulary_of(c.index_text for c in chunks)
        self.analyzer = Analyzer(self._vocabulary)
        self._bm25 = self._bm25.without(gone).with_rows(self._term_rows(chunks))
        self._pairs = self._pairs.without(gone).with_rows(self._pair_rows(chunks))
        self._words = self._words.without(gone).with_rows(words_of(c.text) for c in chunks)
        lengths, flags = _row_arrays(chunks)
        self._set_rows(
            self.chunk_ids + [c.chunk_id for c in chunks],
            self.chunk_keys + [c.key for c in chunks],
            np.concatenate([self._lengths, lengths]),
            np.concatenate([self._flags, flags]),
        )

    # Rows are generated: the index reads them one by one, never all analysed at once.
    def _term_rows(self, chunks: Sequence[StoredChunk]) -> Iterator[list[str]]:
        return (self.analyzer.terms(c.index_text) or ["_"] for c in chunks)

    def _pair_rows(self, chunks: Sequence[StoredChunk]) -> Iterator[list[str]]:
        # k1=0: a pair scores its IDF once, however often the chunk repeats it.
        return (bigrams(self.analyzer.stems(c.index_text)) or ["_"] for c in chunks)

    def _save(self, vocabulary: list[str], keys: Sequence[str]) -> None:
        """Persist a full build. It is a cache of the store, so a failure to save (another
        process swapping in its copy at the same moment, a read-only folder) does not fail
        the search: the index in memory is complete, and a later build saves it."""
        unique = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # concurrent writers never collide
        tmp = self.directory.with_name(f"{self.directory.name}.tmp-{unique}")
        old = self.directory.with_name(f"{self.directory.name}.old-{unique}")
        try:
            tmp.mkdir(parents=True)
            for part, index in zip(PARTS, (self._bm25, self._pairs, self._words), strict=True):
                save_arrays(tmp / f"{part}.npz", index.arrays())
            meta = {
                "version": KEYWORD_VERSION,
                "fingerprint": fingerprint(keys),
                "keys": sorted(keys),
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

    def word_rows(self, keys: set[str] | None = None) -> WordRows:
        """The chunks' words and the live rows of `keys` (None: every live row), for the
        term statistics of a reader (`knowledge.term_stats`)."""
        with self._lock:
            index, live, rows = self._words, self._bm25.live, self._rows
        return WordRows(index, admitted_rows(live, rows, keys))

    def scores(self, query: str, keys: set[str] | None = None) -> KeywordScores | None:
        """Every chunk's lexical scores for `query`, or None when the index is empty."""
        with self._lock:
            if not self._rows:
                return None
            bm25, pairs = self._bm25, self._pairs
            chunk_ids, chunk_keys = self.chunk_ids, self.chunk_keys
            lengths, flags, analyzer = self._lengths, self._flags, self.analyzer
            positions, heads, rows = self._positions, self._heads, self._rows
        admitted = admitted_rows(bm25.live, rows, keys)
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


def load_index(path: Path) -> SegmentedBM25:
    with np.load(path, allow_pickle=False) as f:
        return SegmentedBM25.from_arrays(dict(f))


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with path.open("wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


def _row_arrays(chunks: Sequence[StoredChunk]) -> tuple[np.ndarray, np.ndarray]:
    """Characters and answer kinds of each chunk."""
    lengths = np.asarray([len(c.text) for c in chunks], dtype=np.int32)
    return lengths, np.asarray([chunk_flags(c.text) for c in chunks], dtype=np.int8)


def _scores(index: SegmentedBM25, tokens: Sequence[str], admitted: np.ndarray) -> np.ndarray:
    return np.where(admitted, index.scores(tokens), np.float32(0.0))
