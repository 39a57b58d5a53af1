"""The audit log (issue #14): one entry per question, search, upload, removal and sign-in.

An entry holds the time, the interface (`cli`, `api`, `chat`, `teams`), the actor as a
pseudonymous id (an HMAC of the user id or key name, keyed by NARA_AUDIT_KEY), the
action, the cited or touched document ids, the status, and the question text only when
NARA_AUDIT_KEEP_QUESTIONS is set.

Storage is an append-only JSONL file (`<data_dir>/audit/audit.jsonl`) and tamper-evident:
each entry carries `prev`, the MAC of the entry before it, and its own `mac`, an HMAC of
its content under a key derived from NARA_AUDIT_KEY; `head.json` holds the MAC-signed
sequence number and MAC of the last entry, so a removed last line shows too. Entries
older than NARA_AUDIT_RETENTION_DAYS are purged at most once an hour by the process that
writes; `anchor.json` then keeps the sequence number and MAC of the last purged entry, so
the rest still verifies. Writers in several processes take a file lock: one chain order.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nara.errors import NaraError
from nara.settings import Settings

Interface = Literal["cli", "api", "chat", "teams"]
Action = Literal["question", "search", "upload", "removal", "sign_in", "sign_out", "key_change"]
GENESIS = "0" * 64
"""`prev` of the first entry of a log that was never purged."""
PURGE_EVERY_S = 3600.0
"""Least time between two retention checks by one process: once an hour."""
HEAD_BYTES = 256
"""Size of head.json, padded with spaces (its JSON is under 200 bytes)."""
ACTOR_CHARS = 32
"""Hex characters of an actor id (128 bits of the HMAC)."""


class AuditError(NaraError):
    """The audit log cannot be written or read."""


class AuditTamperedError(NaraError):
    """The audit chain does not verify: a line was changed, removed or inserted."""


@dataclass
class Pending:
    """An action being carried out: the documents and status are filled in by it."""

    documents: list[str] = field(default_factory=list)
    status: str = "ok"
    groups: list[str] | None = None
    """The groups an upload gave its documents (recorded only when set)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class AuditLog:
    def __init__(
        self,
        folder: Path,
        key: bytes,
        *,
        keep_questions: bool = False,
        retention_days: int = 365,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.folder = folder
        self.path = folder / "audit.jsonl"
        self.head_path = folder / "head.json"
        self.anchor_path = folder / "anchor.json"
        self._actor_key = hmac.new(key, b"nara-audit-actor", hashlib.sha256).digest()
        self._chain_key = hmac.new(key, b"nara-audit-chain", hashlib.sha256).digest()
        self.keep_questions = keep_questions
        self.retention = dt.timedelta(days=retention_days)
        self.clock = clock
        self._lock = threading.Lock()
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

    def mac(self, data: dict[str, Any]) -> str:
        return hmac.new(self._chain_key, _canonical(data), hashlib.sha256).hexdigest()

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

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise AuditError(
                f"Granskningsloggen {self.path} kan inte skrivas ({exc.strerror}).",
                "Kontrollera diskutrymmet och rättigheterna för NARA_DATA_DIR.",
            ) from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.folder / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- the head and the anchor ------------------------------------------------------------
    def _signed(self, path: Path) -> tuple[int, str] | None:
        """(seq, mac) of a head or anchor file, None when there is none; an error when
        its own MAC does not hold."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        body = {"seq": data.get("seq"), "mac": data.get("mac")}
        if not hmac.compare_digest(str(data.get("sig", "")), self.mac(body)):
            raise tampered(f"{path.name} är ändrad")
        return int(body["seq"]), str(body["mac"])

    def _write_signed(self, path: Path, seq: int, mac: str) -> None:
        body = {"seq": seq, "mac": mac}
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps({**body, "sig": self.mac(body)}), encoding="utf-8")
        os.replace(temp, path)

    def _start(self) -> tuple[int, str]:
        """(seq, mac) the first line of the file follows: the anchor, or the genesis."""
        return self._signed(self.anchor_path) or (0, GENESIS)

    def _head(self) -> tuple[int, str]:
        return self._signed(self.head_path) or self._start()

    def _write_head(self, seq: int, mac: str) -> None:
        """Overwritten in place at a fixed size (one small write, no new file): a
        rename per entry cost more than the entry itself."""
        body = {"seq": seq, "mac": mac}
        data = json.dumps({**body, "sig": self.mac(body)}).encode().ljust(HEAD_BYTES)
        fd = os.open(self.head_path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)

    # -- reading, verifying, purging --------------------------------------------------------
    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return [line for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def entries(self) -> list[dict[str, Any]]:
        """Every entry in order (not verified; `verify` checks them)."""
        return [json.loads(line) for line in self.lines()]

    def verify(self) -> int:
        """The number of entries when the chain holds; `AuditTamperedError` naming the
        first line that does not."""
        seq, prev = self._start()
        for number, line in enumerate(self.lines(), start=1):
            try:
                entry = json.loads(line)
                mac = entry.pop("mac")
            except (ValueError, KeyError, AttributeError):
                raise tampered(f"rad {number} är inte en läsbar post") from None
            if not hmac.compare_digest(str(mac), self.mac(entry)):
                raise tampered(f"rad {number} (post {entry.get('seq')}) är ändrad")
            if entry.get("prev") != prev or entry.get("seq") != seq + 1:
                raise tampered(f"posten före rad {number} saknas eller är flyttad")
            seq, prev = entry["seq"], mac
        head = self._signed(self.head_path)
        if head is not None and head != (seq, prev):
            raise tampered(f"den sista posten (nr {head[0]}) saknas")
        return seq - self._start()[0]

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


def tampered(what: str) -> AuditTamperedError:
    return AuditTamperedError(
        f"Granskningsloggen håller inte: {what}.",
        "Loggen har ändrats utanför nara. Spara en kopia av katalogen audit/ och "
        "jämför med säkerhetskopian.",
    )


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
