"""The tamper-evident storage of the audit log (ui.app.audit): an append-only JSONL file
(`<data_dir>/audit/audit.jsonl`) whose entries form a chain.

Each entry carries `prev`, the MAC of the entry before it, and its own `mac`, an HMAC of
its content under a key derived from NARA_AUDIT_KEY; `head.json` holds the MAC-signed
sequence number and MAC of the last entry, so a removed last line shows too, and
`anchor.json` the sequence number and MAC of the last purged entry, so the rest still
verifies. Writers in several processes take a file lock: one chain order.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nara.errors import NaraError

GENESIS = "0" * 64
"""`prev` of the first entry of a log that was never purged."""
HEAD_BYTES = 256
"""Size of head.json, padded with spaces (its JSON is under 200 bytes)."""


class AuditError(NaraError):
    """The audit log cannot be written or read."""


class AuditTamperedError(NaraError):
    """The audit chain does not verify: a line was changed, removed or inserted."""


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class AuditChain:
    """The chain's files in `folder`, and the MAC under the chain key derived from `key`."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self.path = folder / "audit.jsonl"
        self.head_path = folder / "head.json"
        self.anchor_path = folder / "anchor.json"
        self._chain_key = hmac.new(key, b"nara-audit-chain", hashlib.sha256).digest()
        self._lock = threading.Lock()

    def mac(self, data: dict[str, Any]) -> str:
        return hmac.new(self._chain_key, _canonical(data), hashlib.sha256).hexdigest()

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

    # -- reading and verifying --------------------------------------------------------------
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


def tampered(what: str) -> AuditTamperedError:
    return AuditTamperedError(
        f"Granskningsloggen håller inte: {what}.",
        "Loggen har ändrats utanför nara. Spara en kopia av katalogen audit/ och "
        "jämför med säkerhetskopian.",
    )
