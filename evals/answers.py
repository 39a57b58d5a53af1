"""Answer quality on the gold set, with no LLM: facts, refusals, verbatim quotes.

- fact recall: the share of a question's expected facts (any alternative) that the
  answer text holds, averaged over in-scope questions; a refused in-scope question
  holds none;
- all-facts rate: the share of in-scope answers holding every expected fact;
- refusals: out-of-scope questions must be refused (recall); a refused in-scope question
  is a false refusal (precision);
- verbatim quote rate: the share of citations whose quote equals the document's text
  at its offsets;
- concision (answered in-scope questions): first-quote precision, the share whose first
  quote holds an expected fact; quote precision, the share of all quotes that hold an
  expected fact or overlap the gold evidence; quotes per answer, the median number of
  citations of answers to questions that are not list questions (a list question is a
  priority question or one with four or more expected facts: it needs its items).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.model import Answer, Turn
from assistant.service import Assistant
from evals.retrieval import GoldQuestion, load_gold, quote_spans

OUT_OF_SCOPE = "out_of_scope"
LIST_FACTS = 4
"""A question with this many expected facts is a list question (its items are wanted)."""


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip().lower()


def facts_found(answer: Answer, facts: Sequence[Sequence[str]]) -> list[bool]:
    haystack = normalise(answer.answer + " " + " ".join(c.quote for c in answer.citations))
    return [any(normalise(alt) in haystack for alt in group) for group in facts]


def holds_fact(text: str, facts: Sequence[Sequence[str]]) -> bool:
    haystack = normalise(text)
    return any(normalise(alt) in haystack for group in facts for alt in group)


def is_list_question(question: GoldQuestion) -> bool:
    return question.kind == "priority" or len(question.facts) >= LIST_FACTS


@dataclass(frozen=True)
class Outcome:
    """What the answer metrics read of one gold question: kept per question in
    report.json, so that a later report can be compared question by question."""

    id: str
    in_scope: bool
    list_question: bool
    refused: bool
    found: tuple[bool, ...]
    """Per expected fact: the answer holds it."""
    useful: tuple[bool, ...]
    """Per citation: holds an expected fact or overlaps the gold evidence."""
    verbatim: tuple[bool, ...]
    """Per citation: the quote equals the document's text at its offsets."""

    @property
    def recall(self) -> float:
        return sum(self.found) / len(self.found) if self.found else 1.0


@dataclass
class AnswerResult:
    question: GoldQuestion
    answer: Answer
    found: list[bool]
    verbatim: list[bool]
    seconds: float
    useful: list[bool] = field(default_factory=list)
    """Per citation: holds an expected fact or overlaps the gold evidence."""

    @property
    def in_scope(self) -> bool:
        return self.question.kind != OUT_OF_SCOPE

    @property
    def recall(self) -> float:
        return self.outcome.recall

    @property
    def outcome(self) -> Outcome:
        return Outcome(
            self.question.id,
            self.in_scope,
            is_list_question(self.question),
            self.answer.refused,
            tuple(self.found),
            tuple(self.useful),
            tuple(self.verbatim),
        )


@dataclass
class AnswerReport:
    results: list[AnswerResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return summarise([r.outcome for r in self.results])


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The answer metrics of a list of questions' outcomes."""
    in_scope = [o for o in outcomes if o.in_scope]
    scoped = [o for o in in_scope if o.found]
    outside = [o for o in outcomes if not o.in_scope]
    refused = [o for o in outcomes if o.refused]
    correct_refusals = [o for o in refused if not o.in_scope]
    quotes = [v for o in outcomes for v in o.verbatim]
    return {
        "questions": len(outcomes),
        "fact_recall": _mean([o.recall for o in scoped]),
        "all_facts_rate": _mean([float(all(o.found)) for o in scoped]),
        "refusal_precision": len(correct_refusals) / len(refused) if refused else 1.0,
        "refusal_recall": len(correct_refusals) / len(outside) if outside else 1.0,
        "out_of_scope": len(outside),
        "correct_refusals": len(correct_refusals),
        "false_refusals": len(refused) - len(correct_refusals),
        "false_refusal_rate": (len(refused) - len(correct_refusals)) / max(len(in_scope), 1),
        "verbatim_quote_rate": _mean([float(v) for v in quotes]) if quotes else 1.0,
        "citations": len(quotes),
    } | _concision(in_scope)


def _concision(in_scope: Sequence[Outcome]) -> dict[str, float]:
    answered = [o for o in in_scope if not o.refused and o.useful]
    useful = [u for o in answered for u in o.useful]
    counts = [len(o.useful) for o in answered if not o.list_question]
    return {
        "first_quote_precision": _mean([float(o.useful[0]) for o in answered]),
        "quote_precision": _mean([float(u) for u in useful]),
        "quotes_per_answer_median": float(statistics.median(counts)) if counts else 0.0,
        "quotes_per_answer_max": float(max(counts, default=0)),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def ask_gold(assistant: Assistant, question: GoldQuestion) -> AnswerResult:
    history = [Turn("user", h) for h in question.history]
    started = time.perf_counter()
    answer = assistant.ask(question.question, history)
    seconds = time.perf_counter() - started
    texts: dict[str, str] = {}
    verbatim = []
    for c in answer.citations:
        doc = c.source.document_id
        if doc not in texts:
            texts[doc] = assistant.kb.document_text(doc)
        verbatim.append(texts[doc][c.source.char_start : c.source.char_end] == c.quote)
    in_scope = question.kind != OUT_OF_SCOPE
    found = facts_found(answer, question.facts) if in_scope else []
    useful = _useful(assistant, question, answer) if in_scope else []
    return AnswerResult(question, answer, found, verbatim, seconds, useful)


def _useful(assistant: Assistant, question: GoldQuestion, answer: Answer) -> list[bool]:
    """Per citation: its quote holds an expected fact, or it overlaps an evidence quote."""
    places = [p for spans in quote_spans(assistant.kb, question) for p in spans]
    out = []
    for c in answer.citations:
        s = c.source
        on_evidence = any(
            d == s.document_id and a < s.char_end and s.char_start < b for d, a, b in places
        )
        out.append(on_evidence or holds_fact(c.quote, question.facts))
    return out


def evaluate_answers(
    assistant: Assistant, questions: Sequence[GoldQuestion] | None = None
) -> AnswerReport:
    gold = list(questions) if questions is not None else load_gold()
    return AnswerReport([ask_gold(assistant, q) for q in gold])


def failures(report: AnswerReport) -> list[str]:
    lines = []
    for r in report.results:
        q = r.question
        if not r.in_scope and not r.answer.refused:
            lines.append(f"{q.id}: should be refused: {q.question!r}")
        elif r.in_scope and not all(r.found):
            missing = [g[0] for g, ok in zip(q.facts, r.found, strict=True) if not ok]
            state = "REFUSED" if r.answer.refused else "missing " + ", ".join(missing)
            lines.append(f"{q.id} [{q.kind}]: {state}: {q.question!r}")
    return lines


def main() -> None:  # pragma: no cover - a thin command
    import argparse
    import json

    from knowledge.base import KnowledgeBase
    from nara.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--failures", action="store_true")
    args = parser.parse_args()
    report = evaluate_answers(Assistant(KnowledgeBase(load_settings())))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for key, value in report.as_dict().items():
            print(f"{key:22} {value:.3f}" if isinstance(value, float) else f"{key:22} {value}")
    if args.failures:
        print("\n".join(failures(report)))


if __name__ == "__main__":
    main()
