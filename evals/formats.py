"""The gold set against a store built from one folder of documents, and the table per
format and writer: `nara eval --corpus DIR`, `nara eval-formats`.

Each folder goes into a fresh temporary store with the configured embedder and chunking,
so a PDF or DOCX store is compared with the txt store on equal terms. The format corpus
lives in `tests/formats/<writer>/` (one file per sample, same stems as the samples, so the
gold set's document ids hold for every writer).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals.answers import OUT_OF_SCOPE, AnswerReport
from evals.quote_checks import QuoteChecks
from evals.retrieval import GoldQuestion, load_gold, lost_quotes_counted
from evals.split import load_suite
from knowledge.base import KnowledgeBase
from nara.errors import NaraError
from nara.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
FORMATS_DIR = ROOT / "tests" / "formats"
TXT_CORPUS = ROOT / "corpus"

ROWS = (
    ("retrieval hit@5 / MRR@10", lambda r: f"{r['hit_at_5']:.3f} / {r['mrr_at_10']:.3f}"),
    ("fact recall", lambda r: f"{r['fact_recall']:.3f}"),
    ("answers holding all facts", lambda r: f"{r['all_facts']} of {r['in_scope']}"),
    ("responsibility register", lambda r: str(r["responsibilities"])),
    ("priority register", lambda r: str(r["priorities"])),
    ("chunks", lambda r: str(r["chunks"])),
    ("documents (failed)", lambda r: f"{r['documents']} ({r['failed']})"),
    ("gold quotes not in the text", lambda r: str(len(r.get("lost_quotes", [])))),
    ("quotes on the page they cite", lambda r: _share(r.get("on_page_rate"))),
    ("quotes holding page furniture", lambda r: str(r.get("furniture_quotes", "–"))),
    ("quotes cut at a line break", lambda r: str(r.get("line_break_cuts", "–"))),
    ("quotes ending mid-sentence", lambda r: _share(r.get("mid_sentence_rate"))),
)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


@contextlib.contextmanager
def corpus_store(settings: Settings, corpus: Path) -> Iterator[tuple[Settings, list[str]]]:
    """Settings of a fresh temporary store holding the files of `corpus`, and the
    ingest failures (as messages). The store is deleted afterwards."""
    if not corpus.is_dir():
        raise NaraError(f"Mappen {corpus} finns inte.", "Ange en mapp med dokument till --corpus.")
    with tempfile.TemporaryDirectory(prefix="nara-eval-") as tmp:
        fresh = settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": None})
        report = KnowledgeBase(fresh).ingest([corpus])
        if not report.added and not report.updated:
            raise NaraError(
                f"Inga dokument kunde läsas in från {corpus}.",
                "Kontrollera att mappen innehåller txt-, pdf- eller docx-filer.",
            )
        yield fresh, [str(e) for e in report.failed]


@contextlib.contextmanager
def corpus_settings(settings: Settings, corpus: Path | None) -> Iterator[Settings]:
    """`settings` as they are, or (with `corpus`) those of a fresh store built from it;
    files that fail to ingest are named on stderr."""
    if corpus is None:
        yield settings
        return
    with corpus_store(settings, corpus) as (fresh, failed):
        for message in failed:
            print(f"inläsning misslyckades: {message}", file=sys.stderr)
        yield fresh


def format_row(
    settings: Settings, gold: list[GoldQuestion], suite: str, folder: Path | None = None
) -> dict[str, Any]:
    """The figures of one store: retrieval, answers, registers, chunks, and the checks of
    every quote against the files of `folder` (`evals.quote_checks`)."""
    from assistant.service import Assistant
    from evals.answers import evaluate_answers
    from evals.suite import check_documents, metrics_of

    kb = KnowledgeBase(settings)
    check_documents(kb, gold, suite)
    with lost_quotes_counted() as lost:
        answers = evaluate_answers(Assistant(kb), gold)
        part, _ = metrics_of(kb, gold, answers)
    scoped = [q for q in gold if q.kind != OUT_OF_SCOPE and q.facts]
    docs = kb.documents()
    return {
        "hit_at_5": part["retrieval"]["hit_at_5"],
        "mrr_at_10": part["retrieval"]["mrr_at_10"],
        "fact_recall": part["answers"]["fact_recall"],
        "all_facts": round(part["answers"]["all_facts_rate"] * len(scoped)),
        "in_scope": len(scoped),
        "responsibilities": len(kb.responsibilities()),
        "priorities": len(kb.priorities()),
        "chunks": sum(d.n_chunks for d in docs),
        "documents": len(docs),
        "verbatim_quote_rate": part["faithfulness"]["verbatim_quote_rate"],
        "lost_quotes": sorted(lost),
    } | _quote_checks(kb, answers, folder)


def _quote_checks(kb: KnowledgeBase, answers: AnswerReport, folder: Path | None) -> dict[str, Any]:
    checks = QuoteChecks()
    files = {d.doc_id: d.file for d in kb.documents()}
    for result in answers.results:
        for citation in result.answer.citations:
            doc = citation.source.document_id
            file = folder / files[doc] if folder is not None and doc in files else None
            pdf = file if file is not None and file.suffix.lower() == ".pdf" else None
            checks.add(citation, kb.document_text(doc), pdf)
    return checks.as_dict()


def format_folders(root: Path = FORMATS_DIR, txt: Path = TXT_CORPUS) -> dict[str, Path]:
    """txt first, then every writer folder of the format corpus that holds documents."""
    folders = {"txt": txt}
    for path in sorted(p for p in root.iterdir() if p.is_dir()):
        if any(f.suffix.lower() in {".pdf", ".docx"} for f in path.iterdir()):
            folders[path.name] = path
    return folders


def table(rows: dict[str, dict[str, Any]]) -> str:
    names = list(rows)
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, cell in ROWS:
        lines.append(f"| {label} | " + " | ".join(cell(rows[n]) for n in names) + " |")
    return "\n".join(lines) + "\n"


def run_formats(
    settings: Settings, gold: list[GoldQuestion], folders: dict[str, Path], suite: str
) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for name, folder in folders.items():
        print(f"… {name}: {folder}", file=sys.stderr)
        with corpus_store(settings, folder) as (fresh, failed):
            rows[name] = format_row(fresh, gold, suite, folder) | {"failed": len(failed)}
        print(json.dumps({name: rows[name]}), file=sys.stderr)  # survives a later failure
    return rows


def main_formats(args: argparse.Namespace) -> int:
    suite, gold = (
        ("custom", load_gold(args.gold))
        if args.gold
        else ("sample", load_suite("sample", args.part))
    )
    folders = format_folders(args.formats_dir or FORMATS_DIR)
    if args.only:
        folders = {k: v for k, v in folders.items() if k in set(args.only)}
    emit(run_formats(load_settings(), gold, folders, suite), args.json)
    return 0


def emit(rows: dict[str, dict[str, Any]], as_json: bool) -> None:
    """The rows on stdout: as JSON, or as the Markdown table."""
    if as_json:
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table(rows))
