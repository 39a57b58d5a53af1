"""`nara audit export` and `nara audit verify`: the audit log (`ui.app.audit`) read back."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from typing import Any

from nara.errors import NaraError
from nara.settings import load_settings
from ui.app.audit import AuditLog

EXIT_OK = 0
COLUMNS = (
    "seq",
    "at",
    "interface",
    "actor",
    "action",
    "documents",
    "status",
    "question",
    "groups",
)
"""The CSV columns; the chain fields (prev, mac) are in the JSONL export only."""


def since(value: str) -> dt.datetime:
    """An ISO date or time (`2026-11-01`, `2026-11-01T08:00`); without a zone, UTC."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise NaraError(
            f"--since '{value}' är inget datum.",
            "Skriv datumet som ÅÅÅÅ-MM-DD, t.ex. --since 2026-11-01.",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _audit() -> AuditLog:
    return AuditLog.from_settings(load_settings())


def cmd_export(args: argparse.Namespace) -> int:
    start = since(args.since) if args.since else None
    entries = [
        e
        for e in _audit().entries()
        if start is None or dt.datetime.fromisoformat(e["at"]) >= start
    ]
    if args.format == "jsonl":
        for entry in entries:
            sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return EXIT_OK
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        row: dict[str, Any] = {
            **entry,
            "documents": ";".join(entry.get("documents", [])),
            "groups": ";".join(entry.get("groups", [])),
        }
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    log = _audit()
    count = log.verify()
    print(f"Granskningsloggen håller: {count} poster, kedjan är obruten ({log.path}).")
    return EXIT_OK


def add_command(sub: Any) -> None:
    p = sub.add_parser("audit", help="the audit log: export it, verify its chain")
    actions = p.add_subparsers(dest="audit_command", required=True)
    export = actions.add_parser("export", help="entries as CSV or JSON lines on stdout")
    export.add_argument("--since", help="only entries from this date, e.g. 2026-11-01")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.set_defaults(func=cmd_export)
    verify = actions.add_parser(
        "verify", help="check that no entry was changed, removed or inserted"
    )
    verify.set_defaults(func=cmd_verify)
