"""The `nara` command line. Errors become one clear message and a non-zero exit here."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nara.errors import NaraError
from nara.settings import load_settings
from ui.app.audit_actions import cli_action, searched, uploaded
from ui.app.json_shapes import document_json, search_json
from ui.app.text import document_counts

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
QUERY_COMMANDS = frozenset({"ask", "chat", "search", "registers"})
"""Commands that embed a question or two and end (or wait for the next): their embedder's
OpenMP threads wait passively (`OMP_WAIT_POLICY=PASSIVE`) instead of spinning. On the
2 shared cores of the dev machine, with the load at 5-6, a spinning wait made one query
embedding take 0.4-1.0 s instead of 0.03-0.05 s (measured in session 9, see
evals/README.md, "Cold start"); a query is too short for the spin to pay off on an idle
machine. `serve` and `ingest` keep the runtime's default: they embed in long batches."""
FLAG_NOTE = (
    "Flaggade dokument är inlästa: deras text citeras som data, och länkar visas som text. "
    "Granska dem, och ta bort dem (nara remove ID) om de inte hör hemma här."
)


def _kb():  # type: ignore[no-untyped-def]
    from knowledge.base import KnowledgeBase

    return KnowledgeBase(load_settings())


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ingest import expand_paths
    from ingest.personal_data import summary

    missing = [p for p in args.paths if not Path(p).exists()]
    if args.rebuild:
        _rebuild()
    kb = _kb()
    files = list(expand_paths(Path(p) for p in args.paths if Path(p).exists()))
    with (
        cli_action("upload") as entry,
        tqdm(total=len(files), desc="Läser in", unit="fil", disable=args.quiet) as bar,
    ):
        groups = tuple(g for v in args.access or () for g in v.split(","))
        entry.groups = list(groups or kb.settings.access_default)
        report = kb.ingest(files, progress=lambda _p: bar.update(1), access=groups)
        uploaded(entry, report)
    for path in missing:
        print(f"fel: {path}: filen eller mappen finns inte.", file=sys.stderr)
    for err in report.failed:
        print(f"fel: {err}", file=sys.stderr)
    failed = len(report.failed) + len(missing)
    print(
        "Dokument: "
        + document_counts(len(report.added), len(report.updated), len(report.unchanged), failed)
        + f". Textdelar: {report.chunks}."
    )
    for name, pages in report.ocr_pages.items():
        listed = ", ".join(str(p) for p in pages)
        print(f"OCR: {name}: {'sidan' if len(pages) == 1 else 'sidorna'} {listed} lästes med OCR.")
    for name, flags in report.flags.items():
        print(f"Flaggat: {name}: " + "; ".join(f.describe() for f in flags) + ".")
    if report.flags:
        print(FLAG_NOTE)
    for name, found in report.personal_data.items():
        print(f"Maskerat: {name}: {summary(found)}.")
    return EXIT_FAILED if failed else EXIT_OK


def _rebuild() -> None:
    from knowledge.base import empty_store

    settings = load_settings()
    empty_store(settings)
    print(f"Lagret '{settings.collection}' är tömt; dokumenten läses in på nytt.", file=sys.stderr)


def cmd_documents(args: argparse.Namespace) -> int:
    from ui.cli.assistant import reader

    docs = _kb().documents(reader())
    if args.json:
        _print_json({"documents": [document_json(d) for d in docs]})
        return EXIT_OK
    if not docs:
        print("Inga dokument. Läs in med: nara ingest corpus/")
    for d in docs:
        print(f"{d.doc_id}  [{d.doc_type}]  {d.title}")
        print(
            f"    fil: {d.file}  organisationer: {', '.join(d.organisations) or '-'}  "
            f"datum: {d.date or '-'}  gäller till: {d.valid_until or '-'}  textdelar: {d.n_chunks}"
        )
        for flag in d.flags:
            print(f"    flaggat: {flag.describe()}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with cli_action("removal") as entry:
        entry.documents = [args.document_id]
        record = _kb().remove(args.document_id)
    print(f"Borttaget: {record.doc_id} ({record.title})")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge.retrieval import SearchFilters

    if not args.query.strip():
        raise NaraError("Sökfrågan är tom.", "Skriv vad du letar efter: nara search ”…”")
    filters = SearchFilters(
        documents=tuple(args.document or ()),
        organisations=tuple(args.organisation or ()),
        doc_types=tuple(args.type or ()),
        year=args.year,
    )
    with cli_action("search", args.query) as entry:
        from ui.cli.assistant import reader

        results = _kb().search(args.query, args.k, filters, reader())
        searched(entry, results)
    if args.json:
        _print_json(search_json(args.query, results))
        return EXIT_OK
    if not results:
        print("Inga träffar.")
    for r in results:
        page = f", s. {r.chunk.page}" if r.chunk.page else ""
        print(f"[{r.rank}] {r.document.title} — {r.chunk.section or '(utan rubrik)'}{page}")
        print("    " + " ".join(r.chunk.text.split())[:400])
    return EXIT_OK


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    from evals.retrieval import evaluate_retrieval, format_report, load_gold

    report = evaluate_retrieval(_kb(), load_gold(args.gold), k=10)
    if args.json:
        _print_json(report.as_dict())
    else:
        print(format_report(report))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nara", description="Nära vård-assistenten")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="read files or folders into the knowledge base")
    p.add_argument("paths", nargs="+")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="empty the store first (every stored document), e.g. after a settings change",
    )
    p.add_argument(
        "--access",
        action="append",
        metavar="GROUP",
        help="a group that may read the files whose sidecar has no access: (repeatable; "
        "default NARA_ACCESS_DEFAULT, 'alla')",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("documents", help="list stored documents")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("remove", help="remove a document")
    p.add_argument("document_id")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("search", help="hybrid search")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--document", action="append", help="only this document id (repeatable)")
    p.add_argument("--organisation", action="append", help="organisation or region")
    p.add_argument("--type", action="append", help="document type, e.g. färdplan")
    p.add_argument("--year", type=int)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("eval-retrieval", help="hit@1, hit@5 and MRR@10 on the gold set")
    p.add_argument("--gold", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_retrieval)

    from ui.cli.assistant import add_commands
    from ui.cli.audit import add_command as add_audit_command
    from ui.cli.keys import add_command as add_keys_command

    add_commands(sub)
    add_audit_command(sub)
    add_keys_command(sub)
    return parser


def _passive_threads(command: str) -> None:
    """`OMP_WAIT_POLICY=PASSIVE` for a `QUERY_COMMANDS` command, unless the caller set a
    policy. The OpenMP runtime reads it when the embedder first loads, later than this."""
    if command in QUERY_COMMANDS:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _passive_threads(args.command)
    if getattr(args, "k", 1) is not None and getattr(args, "k", 1) < 1:
        print("fel: -k must be at least 1.", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except NaraError as err:
        print(f"fel: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"åtgärd: {err.hint}", file=sys.stderr)
        return EXIT_FAILED


def main() -> None:
    """The console script. A reader that stops early (`nara ask … | head`) ends the
    command quietly: nothing more is written, no traceback."""
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's documented recipe (library/signal, "Note on SIGPIPE"): point stdout at
        # devnull so the flush at interpreter exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)
