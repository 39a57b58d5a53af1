"""Statement–passage support: is one answer sentence backed by the passages it cites?

Contract
--------
`support_score(statement, passages)` is a number in [0, 1]: the weighted share of the
statement's content words that the union of the passages covers, after Swedish
stemming and compound splitting (knowledge.analysis). `is_supported` compares it with
`SUPPORT_THRESHOLD`, calibrated on evals/calibration/support_pairs.yaml
(`python -m evals.calibration`). Used by the answer verifier to drop unsupported
sentences and by the eval suite's faithfulness metrics.

- Ignored: citation markers ([1], [2, 3]), quote marks, stop words, and the framing and
  function words of an answer ("enligt", "framgår", "bland annat", "cirka" ...).
  Light verbs ("gör", "tas", "kallas") weigh `LIGHT_WEIGHT`; names of the cited
  document itself ("Färdplanen betonar ...") weigh `SOURCE_WEIGHT`.
- Covered: the same stem; an inflection the stemmer misses ("internt" ~ "intern"); a
  compound whose parts are in the passages ("kommunikationsplanen" ~ "plan för
  kommunikation") and the reverse; a word that is a whole part of a passage compound
  ("takten" ~ "omställningstakt"). One known part of an unknown compound earns
  `PART_CREDIT`.
- Numbers are content: "2 400" = "2400", "fem" = "5", "januari" = "1" (so "24 januari
  2024" meets "2024-01-24"). A number weighs `NUMBER_WEIGHT`, and every statement
  number absent from the passages multiplies the score by `MISSING_NUMBER_FACTOR`: a
  wrong year or count is unsupported however many words match.
- Names (capitalised inside the sentence, acronyms) and actors (…gruppen, …ledningen,
  …chefen, kommunikatören ...) weigh `NAME_WEIGHT`; each one absent from the passages
  multiplies the score by `MISSING_NAME_FACTOR` (a wrong actor). Exclusive
  quantifiers ("enbart", "samtliga") weigh `EMPHASIS_WEIGHT`.
- Polarity: when the statement and the passage sentence that best matches it disagree
  on negation ("inte", "ingen", "saknas" ...), or an uncovered statement word has its
  opposite in the passages ("ökat" / "minskat"), the score is multiplied by
  `NEGATION_FACTOR`.
- A statement with no content words scores 1.0 (nothing to contradict); no passages
  score 0.0.
- Optional `embedder`: the coverage is mixed with the best cosine similarity between
  statement and passages (weight `EMBEDDING_WEIGHT`) before the penalties. The
  calibrated `SUPPORT_THRESHOLD` holds for the default, lexical score only; a mixed
  score needs its own threshold (`python -m evals.calibration --embedder NAME`).

Lexical scoring needs no model and takes well under a millisecond for a sentence
against a chunk-sized passage. Bag-of-words support cannot see roles: a statement that
swaps two actors or two figures named in the same passage ("25 chefer och 53
politiker" for "53 chefer och 25 politiker") still scores high, and a synonym the
passage does not use ("erbjuder" for "tillhandahåller") counts as missing.

The parts: a statement's terms, their weights and the word lists in
`knowledge.support_terms`; the passages' coverage and the penalties in
`knowledge.support_coverage`; this module puts the score together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from knowledge.analysis import Analyzer
from knowledge.support_coverage import coverage, credits, index_passages, penalty
from knowledge.support_terms import clean, statement_terms

if TYPE_CHECKING:
    from knowledge.embedders import Embedder

# Calibrated by `python -m evals.calibration` on evals/calibration/support_pairs.yaml
# (132 pairs, 63 supported; precision first: max recall with precision >= 0.9).
# In-sample: precision 0.903, recall 0.889, F1 0.896 (tp 56, fp 6, tn 63, fn 7).
# Held-out, 2-fold: precision 0.894, recall 0.937, F1 0.915 (fold thresholds 0.76, 0.77).
# Recalibrate and update this value whenever the scoring or the pairs change.
SUPPORT_THRESHOLD: float = 0.85
EMBEDDING_WEIGHT = 0.3


def analyzer_for(statement: str, passages: Sequence[str]) -> Analyzer:
    """An analyzer whose vocabulary holds every word of the passages and the statement."""
    return Analyzer(Analyzer.vocabulary_of([statement, *passages]))


def embedding_similarity(statement: str, passages: Sequence[str], embedder: Embedder) -> float:
    query = embedder.embed_query(clean(statement))
    vectors = embedder.embed_passages([clean(p) for p in passages])
    return max(0.0, float(np.max(vectors @ query)))


def support_score(
    statement: str,
    passages: Sequence[str],
    analyzer: Analyzer | None = None,
    *,
    embedder: Embedder | None = None,
) -> float:
    """Support of `statement` by the union of `passages`, in [0, 1] (see the module doc).

    `analyzer` defaults to one built from the statement's and the passages' words; pass
    one to reuse its cache, but its vocabulary must hold those words for compounds to
    split."""
    passages = [p for p in passages if p.strip()]
    if not passages:
        return 0.0
    terms = statement_terms(statement)
    if not terms:
        return 1.0
    analyzer = analyzer or analyzer_for(statement, passages)
    index = index_passages(passages, analyzer)
    covered = credits(terms, index, analyzer)
    score = coverage(terms, covered)
    if embedder is not None:
        sim = embedding_similarity(statement, passages, embedder)
        score = (1 - EMBEDDING_WEIGHT) * score + EMBEDDING_WEIGHT * sim
    return min(1.0, max(0.0, score * penalty(statement, terms, covered, index)))


def is_supported(
    statement: str,
    passages: Sequence[str],
    analyzer: Analyzer | None = None,
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> bool:
    """True when the lexical support score reaches the calibrated threshold."""
    return support_score(statement, passages, analyzer) >= threshold
