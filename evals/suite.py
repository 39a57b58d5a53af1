"""`nara eval`: retrieval, answers, faithfulness and citations on the gold set, as
report.md, report.json and a PNG chart, stamped with the settings that produced them."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from assistant.service import Assistant
from evals.answers import OUT_OF_SCOPE, AnswerReport, evaluate_answers, failures
from evals.faithfulness import faithfulness
from evals.formats import corpus_settings
from evals.intervals import change_lines, detail, interval_lines, intervals
from evals.judge import Item, Judge, Passage, judge_all
from evals.retrieval import GoldQuestion, evaluate_retrieval, load_gold, quote_spans
from evals.split import PARTS, SUITES, Part, load_suite
from knowledge.base import KnowledgeBase
from nara.errors import NaraError
from nara.settings import Settings, load_settings

GATE_PATH = Path(__file__).parent / "gate.yaml"


def _citation_recall(kb: KnowledgeBase, report: AnswerReport) -> float:
    """Share of gold evidence passages (of answered in-scope questions) that are cited."""
    found = total = 0
    for r in report.results:
        if not r.in_scope or not r.question.evidence:
            continue
        cited = [
            (c.source.document_id, c.source.char_start, c.source.char_end)
            for c in r.answer.citations
        ]
        for places in quote_spans(kb, r.question):
            total += 1
            found += any(d == p[0] and s < p[2] and p[1] < e for d, s, e in cited for p in places)
    return found / total if total else 0.0


def _faithfulness(report: AnswerReport) -> dict[str, float]:
    claims = supported = pairs = supporting = 0
    for r in report.results:
        if r.answer.refused:
            continue
        f = faithfulness(r.answer)
        claims, supported = claims + f.statements, supported + f.supported
        pairs, supporting = pairs + f.citation_pairs, supporting + f.supporting_pairs
    verbatim = [v for r in report.results for v in r.verbatim]
    return {
        "verbatim_quote_rate": sum(verbatim) / len(verbatim) if verbatim else 1.0,
        "supported_statement_rate": supported / claims if claims else 1.0,
        "statements": claims,
        "citation_precision": supporting / pairs if pairs else 1.0,
    }


def _by_group(report: AnswerReport, key: str) -> dict[str, float]:
    groups: dict[str, list[float]] = defaultdict(list)
    for r in report.results:
        if not r.in_scope or not r.found:
            continue
        name = r.question.kind if key == "kind" else r.question.evidence[0].document
        groups[name].append(r.recall)
    return {k: round(sum(v) / len(v), 4) for k, v in sorted(groups.items())}


def stamp(settings: Settings, kb: KnowledgeBase) -> dict[str, Any]:
    docs = kb.documents()
    corpus = hashlib.sha256("".join(sorted(d.key for d in docs)).encode()).hexdigest()[:12]
    return {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "embedder": kb.store.manifest.embedder,
        "chunking": kb.store.manifest.chunking,
        "analyzer": kb.store.manifest.analyzer,
        "answerer": settings.answerer,
        "llm": settings.llm.model if settings.answerer == "llm" else None,
        "corpus_version": corpus,
        "documents": len(docs),
    }


def _judged(judge: Judge, report: AnswerReport, limit: int | None) -> dict[str, Any]:
    """The LLM judge on the answered in-scope questions (the first `limit` of them)."""
    eligible = [r for r in report.results if r.in_scope and not r.answer.refused]
    items = [
        Item(
            r.answer.resolved_question or r.question.question,
            r.answer.answer,
            tuple(Passage(c.quote, c.source.title) for c in r.answer.citations),
        )
        for r in eligible[:limit]
    ]
    return judge_all(judge, items) | {"eligible": len(eligible)}


def part_metrics(
    kb: KnowledgeBase,
    assistant: Assistant,
    gold: list[GoldQuestion],
    judge: Judge | None = None,
    judge_limit: int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The offline metrics of one list of questions; with `judge`, also a `judge` section
    (which nothing else uses)."""
    return metrics_of(kb, gold, evaluate_answers(assistant, gold), judge, judge_limit)


def metrics_of(
    kb: KnowledgeBase,
    gold: list[GoldQuestion],
    answers: AnswerReport,
    judge: Judge | None = None,
    judge_limit: int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """`part_metrics` of answers already given."""
    with_evidence = [q for q in gold if q.evidence and q.kind != OUT_OF_SCOPE]
    ranked = evaluate_retrieval(kb, with_evidence, k=10)
    retrieval = ranked.as_dict()
    faith = _faithfulness(answers)
    per_question = detail(answers, ranked)
    result = {
        "retrieval": {k: v for k, v in retrieval.items() if k != "misses"},
        "answers": answers.as_dict(),
        "faithfulness": {
            "verbatim_quote_rate": faith["verbatim_quote_rate"],
            "supported_statement_rate": faith["supported_statement_rate"],
            "statements": faith["statements"],
        },
        "citations": {
            "precision": faith["citation_precision"],
            "recall": _citation_recall(kb, answers),
        },
        "by_kind": _by_group(answers, "kind"),
        "by_document": _by_group(answers, "document"),
        "intervals": intervals(per_question),
        "detail": per_question,
    }
    if judge is not None:
        result["judge"] = _judged(judge, answers, judge_limit)
    return result, failures(answers)


def run_suite(
    settings: Settings,
    parts: dict[str, list[GoldQuestion]],
    suite: str = "custom",
    judge: Judge | None = None,
    judge_limit: int | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Each part's metrics side by side: `{"settings", "suite", "dev": {…}, "test": {…}}`
    (a `--gold` file that belongs to no suite is one part, `all`)."""
    kb = KnowledgeBase(settings)
    check_documents(kb, [q for gold in parts.values() for q in gold], suite)
    assistant = Assistant(kb)
    result: dict[str, Any] = {"settings": stamp(settings, kb), "suite": suite}
    fails: dict[str, list[str]] = {}
    for name, gold in parts.items():
        result[name], fails[name] = part_metrics(kb, assistant, gold, judge, judge_limit)
    return result, fails


def check_documents(kb: KnowledgeBase, gold: list[GoldQuestion], suite: str) -> None:
    """The store must hold every document the questions cite."""
    stored = {d.doc_id for d in kb.documents()}
    missing = sorted({e.document for q in gold for e in q.evidence} - stored)
    if missing:
        corpus = SUITES[suite].corpus if suite in SUITES else "the documents of the gold file"
        raise NaraError(
            f"Lagret saknar {len(missing)} dokument som frågorna citerar "
            f"({', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}).",
            f"Läs in dem först: nara ingest {corpus} (i en egen NARA_DATA_DIR).",
        )


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flat(value, name + ".")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _parts(result: dict[str, Any]) -> list[str]:
    return [k for k in result if k not in ("settings", "suite")]


def markdown(
    result: dict[str, Any], fails: dict[str, list[str]], previous: dict[str, Any] | None
) -> str:
    """Metrics of every part side by side (dev | test), then the failing questions."""
    parts = _parts(result)
    lines = [
        f"# Eval report: suite {result['suite']}",
        "",
        "Settings: " + json.dumps(result["settings"], ensure_ascii=False),
        "",
        "Tuning uses the dev part only; the CI gate reads the test part.",
        "",
        "| metric | " + " | ".join(parts) + " | previous (" + parts[-1] + ") |",
        "|---|" + "---|" * (len(parts) + 1),
    ]
    tables = {p: flat(result[p]) for p in parts}
    before = flat(previous[parts[-1]]) if previous and parts[-1] in previous else {}
    for name in tables[parts[-1]]:
        cells = [_cell(tables[p].get(name)) for p in parts]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {_cell(before.get(name))} |")
    lines += interval_lines(result, parts)
    if previous and "detail" in previous.get(parts[-1], {}):
        last = parts[-1]
        lines += change_lines(previous[last]["detail"], result[last]["detail"], last)
    for p in parts:
        lines += _judge_lines(result[p].get("judge"))
    for p in parts:
        lines += ["", f"## Failing questions, {p} ({len(fails[p])})", ""]
        lines += [f"- {f}" for f in fails[p]]
    return "\n".join(lines) + "\n"


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _judge_lines(judge: dict[str, Any] | None) -> list[str]:
    if judge is None:
        return []
    scores = [
        f"{name} {'–' if judge[name] is None else format(judge[name], '.3f')}"
        for name in ("faithfulness", "answer_relevance")
    ]
    return [
        "",
        f"## LLM judge ({judge['model']})",
        "",
        f"{', '.join(scores)}. Judged {judge['judged']} of {judge['eligible']} answered "
        f"in-scope questions; unjudged (unreadable reply) {judge['unjudged']}. "
        "Not part of the gate.",
    ]


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = _parts(result)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, key, title in (
        (axes[0], "by_kind", "Faktatäckning per frågetyp"),
        (axes[1], "by_document", "Faktatäckning per dokument"),
    ):
        names = sorted({n for p in parts for n in result[p][key]})
        width = 0.8 / len(parts)
        for i, p in enumerate(parts):
            values = [result[p][key].get(n, 0.0) for n in names]
            ax.bar([x + i * width for x in range(len(names))], values, width, label=p)
        ax.set_xticks(range(len(names)), [n[:14] for n in names], rotation=30, ha="right")
        ax.set_ylim(0, 1)
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def check_gate(result: dict[str, Any], gate_path: Path) -> list[str]:
    """Problems with the thresholds of the result's suite (`suites: {name: {metric: rule}}`,
    metric names are dotted keys of report.json, e.g. `test.answers.fact_recall`)."""
    gate = yaml.safe_load(gate_path.read_text(encoding="utf-8"))
    thresholds = gate["suites"].get(result["suite"])
    if thresholds is None:
        return [f"{gate_path} has no thresholds for suite {result['suite']!r}"]
    values = flat(result)
    problems = []
    for name, rule in thresholds.items():
        value = values.get(name)
        if value is None:
            problems.append(f"{name}: missing from the report")
        elif "min" in rule and value < rule["min"]:
            problems.append(f"{name} = {value:.3f} < {rule['min']}")
        elif "max" in rule and value > rule["max"]:
            problems.append(f"{name} = {value:.3f} > {rule['max']}")
    return problems


def _make_judge(settings: Settings, args: argparse.Namespace) -> Judge | None:
    """The LLM judge when --judge is given; fails here, before any question is asked."""
    if not getattr(args, "judge", False):
        if getattr(args, "judge_limit", None) is not None:
            raise NaraError("--judge-limit applies only with --judge.", "Add --judge, or drop it.")
        return None
    return Judge(settings)


def _questions(args: argparse.Namespace) -> tuple[str, dict[str, list[GoldQuestion]]]:
    """The suite's parts (`--part dev|test|all`), or one `--gold` file as the part `all`."""
    if args.gold:
        return "custom", {"all": load_gold(args.gold)}
    names: tuple[Part, ...] = PARTS if args.part == "all" else (args.part,)
    return args.suite, {p: load_suite(args.suite, p) for p in names}


def main_eval(args: argparse.Namespace) -> int:
    suite, parts = _questions(args)
    if args.kind:
        parts = {p: [q for q in gold if q.kind in set(args.kind)] for p, gold in parts.items()}
    settings = load_settings()
    judge = _make_judge(settings, args)
    with corpus_settings(settings, getattr(args, "corpus", None)) as settings:
        result, fails = run_suite(settings, parts, suite, judge, getattr(args, "judge_limit", None))
    previous = json.loads(args.previous.read_text()) if args.previous else None
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        (args.out / "report.md").write_text(markdown(result, fails, previous), encoding="utf-8")
        chart(result, args.out / "scores.png")
    if args.json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(markdown(result, fails, previous))
    if args.gate:
        problems = check_gate(result, args.gate_file or GATE_PATH)
        for p in problems:
            print(f"gate: {p}", file=sys.stderr)
        if not problems:
            print(f"gate ({suite}): all thresholds met", file=sys.stderr)
        return 1 if problems else 0
    return 0
