"""Term statistics of the chunks one reader may read, from the keyword index's words.

The asks weigh a question's words by their rarity in the chunks the reader may read
(`assistant.evidence.TermWeights`: a document frequency per stemmed term, and the
vocabulary that splits compounds). They were computed by reading every readable chunk
and analysing it, after every write: at the sample ×1 000 that is 180 000 chunks held
at once. The keyword index now keeps, beside its BM25 rows, the distinct words of each
chunk's text (`words_of`, one row per chunk, updated with the index, never re-analysed);
`ScopeStats` derives the same statistics from the rows a reader is admitted to:

- the vocabulary: the admitted words of at least `MIN_PART` letters (as
  `Analyzer.vocabulary_of`);
- each term's document frequency: the admitted rows holding a word whose terms
  (`Analyzer.terms_of_word`, with that vocabulary) include it, as the analysis of each
  chunk's text would give them, since a chunk's terms are those of its words.

Nothing is analysed but the distinct words, once per reader scope and store
generation, and a term's rows are only counted when a question asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from knowledge.analysis import MIN_PART, Analyzer, words
from knowledge.bm25_segments import SegmentedBM25


def words_of(text: str) -> list[str]:
    """The distinct words of a chunk's text (stop words left out), one row of the index."""
    return list(dict.fromkeys(words(text)))


@dataclass(frozen=True)
class WordRows:
    """The keyword index's word rows as one search saw them, and the rows admitted."""

    index: SegmentedBM25
    admitted: np.ndarray
    """True for the live rows of the versions the reader may read."""


class TermFrequencies(Mapping[str, int]):
    """Term → admitted rows holding it, for every term of the admitted words; counted
    when first asked for (a term of several words counts each row once)."""

    def __init__(self, rows: WordRows, counts: np.ndarray, word_ids: dict[str, list[int]]):
        self._rows = rows
        self._counts = counts
        self._ids = word_ids
        self._df: dict[str, int] = {}

    def __getitem__(self, term: str) -> int:
        found = self._df.get(term)
        if found is None:
            ids = self._ids[term]  # KeyError for a term no admitted word has
            found = int(self._counts[ids[0]]) if len(ids) == 1 else self._union(ids)
            self._df[term] = found
        return found

    def _union(self, ids: list[int]) -> int:
        index, held = self._rows.index, []
        for segment, offset in zip(index.segments, index.offsets, strict=True):
            for i in ids:
                if i < segment.shape[1]:
                    held.append(segment.indices[segment.indptr[i] : segment.indptr[i + 1]] + offset)
        rows = np.unique(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
        return int(self._rows.admitted[rows].sum())

    def __contains__(self, term: object) -> bool:
        return term in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True)
class ScopeStats:
    """What `TermWeights` needs for one reader scope: its analyzer, its number of
    chunks and the document frequency of each term."""

    analyzer: Analyzer
    n: int
    df: TermFrequencies

    @classmethod
    def of(cls, rows: WordRows) -> ScopeStats:
        counts = admitted_counts(rows)
        names = sorted(rows.index.vocab, key=rows.index.vocab.__getitem__)
        known = [(i, w) for i, w in enumerate(names) if counts[i] > 0]
        analyzer = Analyzer(w for _, w in known if len(w) >= MIN_PART and not w.isdigit())
        word_ids: dict[str, list[int]] = {}
        for i, word in known:
            for term in dict.fromkeys(analyzer.terms_of_word(word)):
                word_ids.setdefault(term, []).append(i)
        return cls(analyzer, int(rows.admitted.sum()), TermFrequencies(rows, counts, word_ids))


def admitted_counts(rows: WordRows) -> np.ndarray:
    """Admitted rows holding each word (by id): the live counts when every live row is
    admitted, else the admitted rows of each segment summed."""
    index = rows.index
    if np.array_equal(rows.admitted, index.live):
        return index.df
    counts = np.zeros(len(index.vocab), dtype=np.int64)
    for segment, offset in zip(index.segments, index.offsets, strict=True):
        mask = rows.admitted[offset : offset + segment.shape[0]].astype(np.float32)
        held = segment.T.dot(mask)  # one per word of the segment: rows with the word
        counts[: len(held)] += np.rint(held).astype(np.int64)
    return counts
