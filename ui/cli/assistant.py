"""`nara ask`, `nara chat`, `nara registers`, `nara serve` and `nara eval`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nara.settings import load_settings

EXIT_OK, EXIT_FAILED = 0, 1


def _assistant():  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from knowledge.base import KnowledgeBase

    return Assistant(KnowledgeBase(load_settings()))


def reader():  # type: ignore[no-untyped-def]
    """The command line's reader: NARA_CLI_KEY's groups, else every document."""
    from ui.app.access import of_cli
    from ui.app.keys import KeyRing

    settings = load_settings()
    return of_cli(settings, KeyRing(settings))


def _filters(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from knowledge.retrieval import SearchFilters

    return SearchFilters(
        documents=tuple(args.document or ()),
        organisations=tuple(args.organisation or ()),
        doc_types=tuple(args.type or ()),
        year=args.year,
    )


def cmd_ask(args: argparse.Namespace) -> int:
    from ui.app.audit_actions import answered, cli_action

    with cli_action("question", args.question) as entry:
        answer = _assistant().ask(args.question, filters=_filters(args), access=reader())
        answered(entry, answer)
    if args.json:
        json.dump(answer.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from ui.cli.render import render_answer, use_colour

        print(render_answer(answer, use_colour(sys.stdout)))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    from ui.cli.chat import run_chat

    run_chat(_assistant(), reader())
    return EXIT_OK


def cmd_registers(args: argparse.Namespace) -> int:
    assistant, access = _assistant(), reader()
    if args.register == "responsibilities":
        entries: list[Any] = assistant.responsibilities(args.document, args.year, access)
    else:
        entries = assistant.priorities(args.document, args.year, access)
    if args.json:
        data = {args.register: [asdict(e) for e in entries]}
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not entries:
        print("Inga rader.")
    for e in entries:
        if args.register == "responsibilities":
            when = f" ({e.timeline})" if e.timeline else ""
            print(f"- {e.activity[:90]}: {', '.join(e.responsible)}{when}  [{e.document_id}]")
        else:
            period = f"{e.period}: " if e.period else ""
            print(f"- {period}{e.priority}  [{e.document_id} — {e.section}]")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.server import run

    run(load_settings(), args.host, args.port)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from evals.suite import main_eval

    return main_eval(args)


def cmd_eval_formats(args: argparse.Namespace) -> int:
    from evals.formats import main_formats

    return main_formats(args)


def _positive(value: str) -> int:
    number = int(value) if value.strip().isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {value!r}")
    return number


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--document", action="append", help="only this document id (repeatable)")
    p.add_argument("--organisation", action="append", help="organisation or region")
    p.add_argument("--type", action="append", help="document type, e.g. färdplan")
    p.add_argument("--year", type=int)


def add_commands(sub: Any) -> None:
    p = sub.add_parser("ask", help="answer a question with cited sources")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    _filter_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("registers", help="the responsibility or priority register")
    p.add_argument("register", choices=["responsibilities", "priorities"])
    p.add_argument("--document")
    p.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_registers)

    p = sub.add_parser("serve", help="chat at /, API at /v1, Teams at /api/messages")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="the evaluation suite on the gold set")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, help="folder for report.md, report.json, scores.png")
    p.add_argument("--kind", action="append", help="only questions of this kind")
    p.add_argument("--gold", type=Path, help="one gold file instead of a suite (no split)")
    p.add_argument(
        "--corpus",
        type=Path,
        help="build a fresh temporary store from the files in this folder and evaluate it "
        "(e.g. tests/formats/pandoc); the configured store is not touched",
    )
    p.add_argument(
        "--suite",
        choices=["sample", "extra"],
        default="sample",
        help="sample: questions.yaml + fresh.yaml + dev-sample.yaml on corpus/; extra: "
        "extra.yaml + dev-extra.yaml on corpus/ plus ../shared/corpus-extra (see evals/README.md)",
    )
    p.add_argument(
        "--part",
        choices=["dev", "test", "all"],
        default="all",
        help="dev (tuned on), test (locked; the gate), or both side by side",
    )
    p.add_argument("--previous", type=Path, help="an earlier report.json to compare with")
    p.add_argument(
        "--gate", action="store_true", help="exit 1 when a metric is under its threshold"
    )
    p.add_argument("--gate-file", type=Path, help="thresholds (default: evals/gate.yaml)")
    p.add_argument(
        "--judge",
        action="store_true",
        help="also score faithfulness and answer relevance with the LLM (NARA_LLM_*); "
        "not part of the gate",
    )
    p.add_argument(
        "--judge-limit", type=_positive, metavar="N", help="judge at most N answers (cost)"
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "eval-formats", help="the gold set per format and writer (tests/formats/*, txt)"
    )
    p.add_argument("--gold", type=Path, help="one gold file instead of the sample suite")
    p.add_argument(
        "--part", choices=["dev", "test", "all"], default="test", help="of the sample suite"
    )
    p.add_argument("--formats-dir", type=Path, help="default: tests/formats")
    p.add_argument("--only", action="append", help="only this folder: txt or a writer (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_formats)
