"""The refusal gate: does the evidence answer the question? Decided before any answerer.

The decision is the fitted answerability scorer's (`assistant.scorers`): a logistic
model over the evidence's named features (best span relevance, coverage, words and
names no document holds, a missing date or number), fitted on the dev part of the gold
suites with `python -m evals.fit_scorers`.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answerers import Evidence
from assistant.model import Answer, Reason, Status
from assistant.quotes import quoted_list
from assistant.scorers import Scorer, default_scorers

TEXT = {
    "sv": {
        "no_documents": "Det finns inga dokument att söka i ännu. Läs in dokument först.",
        "no_match": "Inget av de inlästa dokumenten matchar filtren. "
        "Ändra eller ta bort filtren och fråga igen.",
        "no_evidence": "Det framgår inte av dokumenten. Jag hittar inget som besvarar frågan",
        "closest": "De dokument som ligger närmast är: {titles}.",
    },
    "en": {
        "no_documents": "There are no documents to search yet. Ingest documents first.",
        "no_match": "None of the ingested documents matches the filters. "
        "Change or remove the filters and ask again.",
        "no_evidence": "The documents do not say. I found nothing that answers the question",
        "closest": "The closest documents are: {titles}.",
    },
}


def sufficient(evidence: Evidence, scorer: Scorer | None = None) -> bool:
    """Enough to answer: spans to quote, and the answerability scorer accepts the
    evidence's features."""
    model = scorer or default_scorers().answerability
    return bool(evidence.spans) and model.accepts(evidence.answer_features)


def closest_titles(evidence: Evidence, limit: int = 2) -> list[str]:
    titles: list[str] = []
    for result in evidence.results:
        if result.document.title not in titles:
            titles.append(result.document.title)
    return titles[:limit]


def refusal(evidence: Evidence, scorer: Scorer | None = None) -> Answer | None:
    """A refusal when the evidence does not answer the question, else None, in the
    question's language. Each empty result has its own message: `no_documents` when the
    store is empty, `no_match` when documents are stored but the filters admit none,
    `no_evidence` when the search found nothing that answers (naming the closest
    documents when it found any)."""
    q = evidence.question
    text = TEXT.get(q.lang, TEXT["sv"])
    titles: list[str] = []
    if evidence.filtered_out:
        reason, message = Reason.NO_MATCH, text["no_match"]
    elif not evidence.documents:
        reason, message = Reason.NO_DOCUMENTS, text["no_documents"]
    elif not evidence.results:  # documents admitted, the search found nothing in them
        reason, message = Reason.NO_EVIDENCE, text["no_evidence"] + "."
    elif sufficient(evidence, scorer):
        return None
    else:
        titles = closest_titles(evidence)
        message = (
            text["no_evidence"] + ". " + text["closest"].format(titles=quoted_list(titles, q.lang))
        )
        reason = Reason.NO_EVIDENCE
    return refused_answer(evidence, reason, message, titles)


def refused_answer(
    evidence: Evidence, reason: Reason, message: str, titles: Sequence[str]
) -> Answer:
    q = evidence.question
    return Answer(
        question=q.asked,
        answer=message,
        status=Status.REFUSED,
        kind=q.kind.value,
        reason=reason,
        lang=q.lang,
        resolved_question=q.text,
        closest_documents=tuple(titles),
    )
