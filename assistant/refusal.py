"""The refusal gate: does the evidence answer the question? Decided before any answerer.

The threshold is calibrated on the gold set (`python -m evals.answers --calibrate`):
in-scope questions against questions whose answer is not in the documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answerers import Evidence
from assistant.model import Answer, Reason, Status
from knowledge.store import DocumentRecord

MIN_COVERAGE = 0.5
"""Least share (IDF-weighted) of the question's content terms the best span must hold."""

TEXT = {
    "sv": {
        "no_documents": "Det finns inga dokument att söka i ännu. Läs in dokument först.",
        "no_evidence": "Det framgår inte av dokumenten. Jag hittar inget som besvarar frågan",
        "closest": "De dokument som ligger närmast är: {titles}.",
    },
    "en": {
        "no_documents": "There are no documents to search yet. Ingest documents first.",
        "no_evidence": "The documents do not say. I found nothing that answers the question",
        "closest": "The closest documents are: {titles}.",
    },
}


def sufficient(evidence: Evidence) -> bool:
    return bool(evidence.spans) and evidence.spans[0].coverage >= MIN_COVERAGE


def closest_titles(evidence: Evidence, limit: int = 2) -> list[str]:
    titles: list[str] = []
    for result in evidence.results:
        if result.document.title not in titles:
            titles.append(result.document.title)
    return titles[:limit]


def refusal(evidence: Evidence, documents: Sequence[DocumentRecord]) -> Answer | None:
    """A refusal when the evidence does not answer the question, else None."""
    q = evidence.question
    text = TEXT.get(q.lang, TEXT["sv"])
    if not documents or not evidence.results:
        reason, message, titles = Reason.NO_DOCUMENTS, text["no_documents"], []
    elif sufficient(evidence):
        return None
    else:
        titles = closest_titles(evidence)
        message = (
            text["no_evidence"]
            + ". "
            + text["closest"].format(titles="; ".join(f"«{t}»" for t in titles))
        )
        reason = Reason.NO_EVIDENCE
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
