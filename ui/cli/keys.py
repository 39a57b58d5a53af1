"""`nara keys create|list|revoke`: API keys as records (`ui.app.keys`). Each creation and
revocation leaves an audit entry (`key_change`), naming the key by its pseudonym."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nara.settings import load_settings
from ui.app.audit import AuditLog
from ui.app.audit_actions import cli_user
from ui.app.keys import KeyRing, KeyStore

EXIT_OK = 0


def _store() -> tuple[KeyStore, AuditLog]:
    settings = load_settings()
    return KeyRing(settings).store, AuditLog.from_settings(settings)


def _log_change(audit: AuditLog, name: str, change: str) -> None:
    """One `key_change` entry; the key appears as the pseudonym its API actions get."""
    audit.record("cli", cli_user(), "key_change", status=f"{change}:{audit.actor('api', name)}")


def cmd_create(args: argparse.Namespace) -> int:
    store, audit = _store()
    key = store.create(args.name, args.group or [], args.admin)
    _log_change(audit, args.name, "created")
    role = "administratör" if args.admin else "användare"
    print(f"Nyckeln '{args.name}' ({role}) är skapad. Den visas bara nu; spara den säkert:")
    print(key)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    store, _audit = _store()
    records = store.records()
    if args.json:
        shown: list[dict[str, Any]] = [
            {k: v for k, v in r.to_json().items() if k != "digest"} for r in records
        ]
        json.dump({"keys": shown}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not records:
        print("Inga nycklar. Skapa en med: nara keys create NAMN [--group GRUPP] [--admin]")
    for r in records:
        state = f"återkallad {r.revoked_at}" if r.revoked_at else "aktiv"
        admin = "administratör" if r.admin else "användare"
        print(
            f"{r.name}  [{admin}]  grupper: {', '.join(r.groups)}  skapad {r.created_at}  {state}"
        )
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    store, audit = _store()
    store.revoke(args.name)
    _log_change(audit, args.name, "revoked")
    print(f"Nyckeln '{args.name}' är återkallad och fungerar inte längre.")
    return EXIT_OK


def add_command(sub: Any) -> None:
    p = sub.add_parser("keys", help="API keys as records: create, list, revoke")
    actions = p.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="a new key, shown once")
    create.add_argument("name", help="e.g. vardcentral-norr")
    create.add_argument("--group", action="append", help="a group the key belongs to")
    create.add_argument("--admin", action="store_true", help="may upload and remove")
    create.set_defaults(func=cmd_create)
    listing = actions.add_parser("list", help="the keys (never the keys themselves)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    revoke = actions.add_parser("revoke", help="a key stops working at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_revoke)
