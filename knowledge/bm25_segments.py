"""BM25 over segments, so that adding or replacing one document updates a keyword index
instead of rebuilding it.

The scores are those of `bm25s` (its default, the Lucene variant):
idf = ln(1 + (N − df + ½) / (df + ½)) and tf / (tf + k1·(1 − b + b·|d| / avgdl)), summed
over the distinct query terms. `bm25s` computes them when it indexes, with N, df and
avgdl of its whole corpus; here a segment keeps only term frequencies, and the scores
are computed at query time with N, df and avgdl over the live rows of every segment.
Adding a segment or retiring rows therefore changes no stored row, and the scores equal
those of one index built from the live rows alone. Instances are never changed in
place: `with_rows` and `without` return new ones that share the segments, so a search
that holds the old one is never disturbed.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class SegmentedBM25:
    k1: float
    b: float
    vocab: dict[str, int]
    """Term → id, over every segment (a segment's columns are the ids known at its build)."""
    segments: tuple[sparse.csc_matrix, ...] = ()
    """Term frequencies, rows × term ids, one matrix per segment."""
    offsets: tuple[int, ...] = ()
    """First row of each segment."""
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    """Tokens of each row."""
    live: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Live rows that hold each term id."""

    @classmethod
    def empty(cls, k1: float, b: float) -> SegmentedBM25:
        return cls(k1, b, {})

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def with_rows(self, docs: Iterable[Sequence[str]]) -> SegmentedBM25:
        """A new segment of `docs` (token lists, each one row) after the existing rows;
        read once, so that a generator's rows are never all held at once."""
        vocab = dict(self.vocab)
        rows, cols, counts, sizes = array("i"), array("i"), array("f"), array("i")  # C ints
        for row, tokens in enumerate(docs):
            sizes.append(len(tokens))
            for term, n in Counter(tokens).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                counts.append(n)
        if not sizes:
            return self
        at = np.frombuffer(cols, dtype=np.int32)
        matrix = sparse.csc_matrix(
            (np.frombuffer(counts, dtype=np.float32), (np.frombuffer(rows, dtype=np.int32), at)),
            shape=(len(sizes), len(vocab)),
        )
        df = np.zeros(len(vocab), dtype=np.int64)
        df[: len(self.df)] = self.df
        df += np.bincount(at, minlength=len(vocab))
        lengths = np.asarray(sizes, dtype=np.float32)
        return replace(
            self,
            vocab=vocab,
            segments=(*self.segments, matrix),
            offsets=(*self.offsets, self.rows),
            lengths=np.concatenate([self.lengths, lengths]),
            live=np.concatenate([self.live, np.ones(len(sizes), dtype=bool)]),
            df=df,
        )

    def without(self, rows: Sequence[int]) -> SegmentedBM25:
        """These rows retired: they score 0 and no longer count in N, df and avgdl."""
        retire = np.asarray([r for r in rows if self.live[r]], dtype=np.int64)
        if not len(retire):
            return self
        df = self.df.copy()
        for segment, offset in zip(self.segments, self.offsets, strict=True):
            local = retire[(retire >= offset) & (retire < offset + segment.shape[0])] - offset
            if len(local):
                held = (segment[local] > 0).sum(axis=0).A1.astype(np.int64)
                df[: len(held)] -= held
        live = self.live.copy()
        live[retire] = False
        return replace(self, live=live, df=df)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Each row's score for the distinct known `tokens` (0 for retired rows)."""
        out = np.zeros(self.rows, dtype=np.float32)
        ids = [self.vocab[t] for t in dict.fromkeys(tokens) if t in self.vocab]
        n_live = int(self.live.sum())
        if not ids or not n_live:
            return out
        avgdl = float(self.lengths[self.live].mean())
        for term in ids:
            df = int(self.df[term])
            if df <= 0:
                continue
            idf = math.log(1 + (n_live - df + 0.5) / (df + 0.5))
            for segment, offset in zip(self.segments, self.offsets, strict=True):
                if term >= segment.shape[1]:
                    continue
                start, end = segment.indptr[term], segment.indptr[term + 1]
                rows = segment.indices[start:end] + offset
                tf = segment.data[start:end]
                norm = self.k1 * (1 - self.b + self.b * self.lengths[rows] / avgdl)
                out[rows] += (idf * tf / (tf + norm)).astype(np.float32)
        out[~self.live] = 0.0
        return out

    def terms(self) -> list[str]:
        """The terms some live row holds."""
        return [t for t, i in self.vocab.items() if self.df[i] > 0]

    # -- persistence: one segment of live rows, as a full build leaves it ------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """This index as arrays for `np.savez` (its live rows in one segment)."""
        keep = np.flatnonzero(self.live)
        matrix = sparse.vstack(
            [s.tocsr() for s in self.segments] or [sparse.csr_matrix((0, 0))], format="csr"
        )
        matrix = sparse.csr_matrix(matrix[keep], shape=(len(keep), len(self.vocab))).tocsc()
        terms = np.asarray(sorted(self.vocab, key=self.vocab.__getitem__), dtype=object)
        return {
            "data": matrix.data,
            "indices": matrix.indices,
            "indptr": matrix.indptr,
            "shape": np.asarray(matrix.shape),
            "lengths": self.lengths[keep],
            "terms": terms.astype(str),
            "params": np.asarray([self.k1, self.b]),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SegmentedBM25:
        shape = tuple(int(x) for x in arrays["shape"])
        matrix = sparse.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape)
        vocab = {str(t): i for i, t in enumerate(arrays["terms"])}
        if len(vocab) != shape[1] or len(arrays["lengths"]) != shape[0]:
            raise ValueError("inconsistent keyword index arrays")
        k1, b = (float(x) for x in arrays["params"])
        df = np.diff(matrix.indptr).astype(np.int64)
        segments = (matrix,) if shape[0] else ()
        return cls(
            k1,
            b,
            vocab,
            segments,
            (0,) if shape[0] else (),
            np.asarray(arrays["lengths"], dtype=np.float32),
            np.ones(shape[0], dtype=bool),
            df,
        )


def admitted_rows(
    live: np.ndarray, rows: dict[str, np.ndarray], keys: set[str] | None
) -> np.ndarray:
    """The live rows of the versions `keys` (None: every live row), from the rows of each
    live version: a search costs the number of versions, not of rows, and nothing when
    it admits every live version (a reader of everything, unfiltered)."""
    if keys is None or rows.keys() <= keys:
        return live.copy()
    admitted = np.zeros(len(live), dtype=bool)
    held = [rows[key] for key in keys if key in rows]
    if held:
        admitted[np.concatenate(held)] = True
    return admitted
