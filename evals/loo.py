"""Leave one document out: the fitted scorers, refitted without each document, scored on
it, next to the shipped scorers on the same questions.

    python -m evals.loo [--store DIR] [--json] [--out DIR]

For every document D (and every pseudo-group of out-of-scope questions): the scorers
(the quote policy too) and their thresholds are fitted (`evals.fit_scorers.fit`, with its own inner
cross-validation) on the dev questions about other documents, and every question about
D, dev and test, is answered with them. The in-sample figures answer the same
questions with the shipped scorers (fitted on all dev questions). A gap between the two
is what the fitted parts owe to having seen the document.

Not refitted here: the retrieval fusion weights (`knowledge.retrieval.FusionConfig`),
which were set on the sample gold set before the split existed; their dev/test gap is
in the main report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.answers import AnswerReport, ask_gold
from evals.fit_scorers import Sample, build_store, collect, dev_questions, fit, group_of
from evals.intervals import HEADLINE
from evals.retrieval import GoldQuestion
from evals.split import load_suite

KEYS = (*HEADLINE["answers"], "quotes_per_answer_median")


def all_questions() -> list[GoldQuestion]:
    return load_suite("sample") + load_suite("extra")


def loo(
    assistant: Any, samples: Sequence[Sample], questions: Sequence[GoldQuestion]
) -> dict[str, Any]:
    """LOO and in-sample figures over `questions` (`assistant` holds the shipped scorers)."""
    from assistant.service import Assistant

    held = AnswerReport()
    shipped = AnswerReport([ask_gold(assistant, q) for q in questions])
    for group in sorted({group_of(q) for q in questions}):
        train = [s for s in samples if s.group != group]
        scorers = fit(train).scorers
        fold = Assistant(assistant.kb, assistant.answerer, scorers)
        held.results += [ask_gold(fold, q) for q in questions if group_of(q) == group]
    ins, out = shipped.as_dict(), held.as_dict()
    return {
        "questions": len(questions),
        "in_sample": {k: ins[k] for k in KEYS},
        "leave_one_document_out": {k: out[k] for k in KEYS},
        "gap": {k: round(ins[k] - out[k], 4) for k in KEYS},
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Leave one document out ({result['questions']} questions)",
        "",
        "| metric | in-sample | leave-one-document-out | gap |",
        "|---|---|---|---|",
    ]
    for k in KEYS:
        lines.append(
            f"| {k} | {result['in_sample'][k]:.3f} | "
            f"{result['leave_one_document_out'][k]:.3f} | {result['gap'][k]:+.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="a store holding corpus/ and corpus-extra")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp)
        os.environ["NARA_DATA_DIR"] = str(store)
        if args.store is None:
            build_store(store)
        from assistant.features import ANSWER_FEATURES, SPAN_FEATURES
        from assistant.scorers import Scorers, neutral
        from assistant.service import Assistant
        from knowledge.base import KnowledgeBase
        from nara.settings import load_settings

        kb = KnowledgeBase(load_settings())
        start = Scorers(
            neutral(SPAN_FEATURES, "relevance"), neutral(ANSWER_FEATURES, "answerability"), "0"
        )
        samples = collect(Assistant(kb, scorers=start), dev_questions())
        result = loo(Assistant(kb), samples, all_questions())
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "loo.json").write_text(json.dumps(result, indent=2))
        (args.out / "loo.md").write_text(markdown(result), encoding="utf-8")
    sys.stdout.write(json.dumps(result, indent=2) + "\n" if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
