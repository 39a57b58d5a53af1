"""The audit log (issue #14): one entry per question, search, upload, removal and sign-in.

An entry holds the time, the interface (`cli`, `api`, `chat`, `teams`), the actor as a
pseudonymous id (an HMAC of the user id or key name, keyed by NARA_AUDIT_KEY), the
action, the cited or touched document ids, the status, and the question text only when
NARA_AUDIT_KEEP_QUESTIONS is set.

Storage is an append-only JSONL file (`<data_dir>/audit/audit.jsonl`), tamper-evident as a
chain of MACs (ui/app/audit_chain.py). Entries older than NARA_AUDIT_RETENTION_DAYS are
purged at most once an hour by the process that writes; `anchor.json` then keeps the
sequence number and MAC of the last purged entry, so the rest still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nara.settings import Settings
from ui.app.audit_chain import AuditChain

Interface = Literal["cli", "api", "chat", "teams"]
Action = Literal["question", "search", "upload", "removal", "sign_in", "sign_out", "key_change"]
PURGE_EVERY_S = 3600.0
"""Least time between two retention checks by one process: once an hour."""
ACTOR_CHARS = 32
"""Hex characters of an actor id (128 bits of the HMAC)."""


@dataclass
class Pending:
    """An action being carried out: the documents and status are filled in by it."""

    documents: list[str] = field(default_factory=list)
    status: str = "ok"
    groups: list[str] | None = None
    """The groups an upload gave its documents (recorded only when set)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditLog(AuditChain):
    def __init__(
        self,
        folder: Path,
        key: bytes,
        *,
        keep_questions: bool = False,
        retention_days: int = 365,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        super().__init__(folder, key)
        self._actor_key = hmac.new(key, b"nara-audit-actor", hashlib.sha256).digest()
        self.keep_questions = keep_questions
        self.retention = dt.timedelta(days=retention_days)
        self.clock = clock
        self._purged_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        folder = settings.audit_dir
        secret = settings.audit.key.get_secret_value() if settings.audit.key else None
        key = secret.encode("utf-8") if secret else _stored_key(folder)
        return cls(
            folder,
            key,
            keep_questions=settings.audit.keep_questions,
            retention_days=settings.audit.retention_days,
        )

    # -- writing ------------------------------------------------------------------------
    def actor(self, interface: Interface, user: str) -> str:
        """The pseudonymous id of `user` (a user id, key name or account) in `interface`."""
        digest = hmac.new(self._actor_key, f"{interface}:{user}".encode(), hashlib.sha256)
        return digest.hexdigest()[:ACTOR_CHARS]

    def record(
        self,
        interface: Interface,
        user: str,
        action: Action,
        documents: list[str] | tuple[str, ...] = (),
        status: str = "ok",
        question: str | None = None,
        groups: list[str] | None = None,
    ) -> dict[str, Any]:
        """Append one entry and return it. `question` is kept only when configured;
        `groups` (of an upload) only when given."""
        entry: dict[str, Any] = {
            "at": self.clock().isoformat(timespec="seconds"),
            "interface": interface,
            "actor": self.actor(interface, user),
            "action": action,
            "documents": list(dict.fromkeys(documents)),
            "status": status,
        }
        if self.keep_questions and question is not None:
            entry["question"] = question
        if groups is not None:
            entry["groups"] = list(groups)
        with self._locked():
            self._purge_if_due()
            seq, prev = self._head()
            entry = {"seq": seq + 1, **entry, "prev": prev}
            entry["mac"] = self.mac(entry)
            self._append(entry)
            self._write_head(entry["seq"], entry["mac"])
        return entry

    @contextmanager
    def action(
        self, interface: Interface, user: str, action: Action, question: str | None = None
    ) -> Iterator[Pending]:
        """One entry for the action in the `with` block, written when it ends; an error
        is recorded as status `error:<ErrorClass>` and raised on."""
        pending = Pending()
        try:
            yield pending
        except BaseException as exc:
            pending.status = f"error:{type(exc).__name__}"
            raise
        finally:
            self.record(
                interface,
                user,
                action,
                pending.documents,
                pending.status,
                question,
                pending.groups,
            )

    # -- purging ------------------------------------------------------------------------------
    def _purge_if_due(self) -> None:
        if time.monotonic() - self._purged_at < PURGE_EVERY_S and self._purged_at:
            return
        self._purged_at = time.monotonic()
        self.purge()

    def purge(self) -> int:
        """Remove the entries older than the retention (callers hold the lock); the last
        removed one becomes the anchor. Returns how many."""
        cutoff = self.clock() - self.retention
        lines = self.lines()
        old = 0
        for line in lines:
            if dt.datetime.fromisoformat(json.loads(line)["at"]) >= cutoff:
                break
            old += 1
        if not old:
            return 0
        last = json.loads(lines[old - 1])
        self._write_signed(self.anchor_path, int(last["seq"]), str(last["mac"]))
        temp = self.path.with_suffix(".tmp")
        temp.write_text("".join(line + "\n" for line in lines[old:]), encoding="utf-8")
        os.replace(temp, self.path)
        return old


def _stored_key(folder: Path) -> bytes:
    """The key kept in `folder/key` (made on first use, readable by the owner only), for
    when NARA_AUDIT_KEY is not set."""
    path = folder / "key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f"key.{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
        try:
            os.link(temp, path)  # atomic, and never replaces a key another process made
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return path.read_text(encoding="utf-8").strip().encode("utf-8")
