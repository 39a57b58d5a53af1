"""The default answerer: composes the answer from verified quotes, with no LLM.

Statements are the quotes themselves (or a table row's columns read out), so every
statement is supported by the passage it cites by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from assistant.answerers import Answerer, Evidence, register_answerer
from assistant.concise import quote_features
from assistant.evidence import Span
from assistant.lists import overlaps, with_list_items
from assistant.model import Answer, Citation, Delta, Kind, Source, Status
from assistant.quotes import quoted
from knowledge.columns import row_cell
from knowledge.registers import PriorityEntry, split_roles
from knowledge.store import DocumentRecord
from nara.settings import Settings

LIMITS = {
    Kind.RESPONSIBILITY: 3,
    Kind.PRIORITY: 8,
    Kind.CLAUSE: 2,
    Kind.COMPARISON: 2,
    Kind.FACT: 3,
}
"""Most quotes an answer picks before list items are added (per document in a
comparison). Concise first: the first quote answers; more only when the relevance
scorer finds them as likely to hold the answer as its threshold demands."""
FIRST_SENTENCE = re.compile(r".+?[.!?](?=\s|$)", re.S)
LONG_ITEM = 160

WORDS = {
    "sv": {
        "according": "Enligt ”{title}”",
        "section": "avsnitt {section}",
        "page": "s. {page}",
        "responsible": "Ansvar för ”{activity}”: {who}",
        "timeline": "tidsplan: {when}",
    },
    "en": {
        "according": "According to “{title}”",
        "section": "section {section}",
        "page": "p. {page}",
        "responsible": "Responsible for “{activity}”: {who}",
        "timeline": "timeline: {when}",
    },
}


Accept = Callable[[Span, Sequence[Span], bool], bool]
"""Whether a span is quoted after the chosen ones (the third argument: it is a list item
a chosen quote introduces)."""


def select(evidence: Evidence, accept: Accept | None = None) -> list[Span]:
    """The spans the answer quotes: the most relevant first; then the other compared
    documents' best (in a comparison) and the next most relevant spans, up to the kind's
    limit, that the relevance scorer accepts (its fitted quote threshold); then the list
    items a chosen quote introduces, those the quote policy accepts (`assistant.concise`).
    Without a fitted policy, every compared document's best and every list item."""
    policy_free = accept is None and evidence.quote_policy is None
    if accept is None:
        accept = _policy(evidence)
    kind = evidence.question.kind
    firsts = _document_bests(evidence) if kind is Kind.COMPARISON else [evidence.spans[0]]
    chosen: list[Span] = [firsts[0]]
    for span in firsts[1:]:
        if not overlaps(span, chosen) and (policy_free or accept(span, chosen, False)):
            chosen.append(span)
    for span in evidence.spans:
        if len(chosen) >= _limit(kind):
            break
        if span in chosen or overlaps(span, chosen):
            continue
        if sum(s.doc_id == span.doc_id for s in chosen) >= LIMITS[kind]:
            continue
        if accept(span, chosen, False):
            chosen.append(span)
    return with_list_items(chosen, evidence, accept)


def _policy(evidence: Evidence) -> Accept:
    """A span by its relevance; a list item by the quote policy (all without one)."""
    policy, threshold = evidence.quote_policy, evidence.quote_threshold

    def accept(span: Span, chosen: Sequence[Span], item: bool) -> bool:
        if not item:
            return span.relevance >= threshold
        return policy is None or policy.accepts(quote_features(span, chosen, evidence, True))

    return accept


def _limit(kind: Kind) -> int:
    return LIMITS[kind] * (2 if kind is Kind.COMPARISON else 1)


def _document_bests(evidence: Evidence) -> list[Span]:
    """The best span of each document retrieved for a comparison, in retrieval order."""
    best: dict[str, Span] = {}
    for span in evidence.spans:
        best.setdefault(span.doc_id, span)
    return sorted(best.values(), key=lambda s: s.result.rank)[:COMPARED]


COMPARED = 3
"""Documents one comparison answer quotes at most."""


def statement(span: Span, marker: str, lang: str) -> str:
    w = WORDS[lang]
    cells = span.result.chunk.cells
    who = row_cell(cells, "who")
    if span.kind == "row" and who:
        activity = row_cell(cells, "what") or span.text.split("\t")[0]
        line = w["responsible"].format(activity=activity, who=", ".join(split_roles(who)))
        when = row_cell(cells, "when")
        if when:
            line += f" ({w['timeline'].format(when=when)})"
        return f"{line} {marker}"
    return f"{quoted(' '.join(span.text.split()), lang)} {marker}"


def heading(span: Span, lang: str) -> str:
    w = WORDS[lang]
    chunk, doc = span.result.chunk, span.result.document
    where = [w["section"].format(section=chunk.section)] if chunk.section else []
    if span.page is not None:
        where.append(w["page"].format(page=span.page))
    head = w["according"].format(title=doc.title)
    return f"{head} ({', '.join(where)}):" if where else f"{head}:"


def first_sentence(entry: PriorityEntry) -> tuple[int, int]:
    """Offsets of the entry's first sentence (its quote when the item is long)."""
    m = FIRST_SENTENCE.match(entry.quote)
    end = m.end() if m and len(entry.quote) > LONG_ITEM else len(entry.quote)
    text = entry.quote[:end].rstrip()
    return entry.char_start, entry.char_start + len(text)


def priority_citation(entry: PriorityEntry, doc: DocumentRecord, cid: int) -> Citation:
    start, end = first_sentence(entry)
    quote = entry.quote[: end - start]
    return Citation(
        cid, quote, Source(doc.doc_id, doc.title, doc.file, entry.section, entry.page, start, end)
    )


def compose_priorities(evidence: Evidence, lang: str) -> tuple[str, list[Citation]]:
    entries = evidence.priorities
    doc = evidence.documents[entries[0].document_id]
    where = [WORDS[lang]["section"].format(section=entries[0].section)]
    if entries[0].page is not None:
        where.append(WORDS[lang]["page"].format(page=entries[0].page))
    lines = [f"{WORDS[lang]['according'].format(title=doc.title)} ({', '.join(where)}):"]
    citations = []
    for i, entry in enumerate(entries, 1):
        citation = priority_citation(entry, evidence.documents[entry.document_id], i)
        citations.append(citation)
        lines.append(f"- {quoted(' '.join(citation.quote.split()), lang)} [{i}]")
    return "\n".join(lines), citations


def compose(evidence: Evidence) -> tuple[str, list[Citation]]:
    lang = evidence.question.lang if evidence.question.lang in WORDS else "sv"
    if evidence.priorities:
        return compose_priorities(evidence, lang)
    chosen = select(evidence)
    lines: list[str] = []
    citations: list[Citation] = []
    previous_head = ""
    for i, span in enumerate(chosen, 1):
        head = heading(span, lang)
        if head != previous_head:
            lines.append(("\n" if lines else "") + head)
            previous_head = head
        lines.append(f"- {statement(span, f'[{i}]', lang)}")
        citations.append(span.citation(i))
    return "\n".join(lines), citations


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def stream(self, evidence: Evidence) -> Iterator[Delta | Answer]:
        text, citations = compose(evidence)
        for line in text.splitlines(keepends=True):
            yield Delta(line)
        q = evidence.question
        yield Answer(
            question=q.asked,
            answer=text,
            status=Status.ANSWERED,
            kind=q.kind.value,
            citations=tuple(citations),
            lang=q.lang,
            resolved_question=q.text,
        )


@register_answerer("extractive")
def _extractive(settings: Settings) -> Answerer:
    return ExtractiveAnswerer()
