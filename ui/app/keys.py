"""API keys as records (issue #14): a name, groups, an admin flag and the key's SHA-256
digest, kept in `<data_dir>/keys.json`; the key itself is shown once, at creation.

The keys of NARA_API_KEYS and NARA_ADMIN_KEYS keep working beside the records:
`KeyRing.identify` knows both. A key's groups are recorded for access per document
(issue #14, not enforced yet).

A key is 32 random bytes (`secrets.token_urlsafe`), so a plain SHA-256 digest is enough
to keep it: there is nothing to guess that a slow hash would protect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nara.errors import NaraError
from nara.settings import Settings

KEY_BYTES = 32
"""Random bytes of a new key (256 bits, as the README's key recipe)."""
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A key name: letters, digits, `_ . -`, at most 64 characters."""
OPEN_GROUP = "alla"
"""The group every user and key belongs to (issue #14)."""


class ApiKeyError(NaraError):
    """A key record cannot be created, found or revoked."""


@dataclass(frozen=True)
class KeyRecord:
    name: str
    digest: str
    groups: tuple[str, ...] = (OPEN_GROUP,)
    admin: bool = False
    created_at: str = ""
    revoked_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "groups": list(self.groups)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyRecord:
        return cls(**{**data, "groups": tuple(data.get("groups", (OPEN_GROUP,)))})


@dataclass(frozen=True)
class Identity:
    """Who a key belongs to: its name (for the audit log), admin flag and groups."""

    name: str
    admin: bool
    groups: tuple[str, ...] = field(default=(OPEN_GROUP,))


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(given: str, keys: Iterable[str]) -> bool:
    """Constant-time comparison against every key, with no early exit; digests are
    compared, so the time does not depend on the keys' lengths either."""
    token = hashlib.sha256(given.encode("utf-8")).digest()
    found = False
    for key in keys:
        found |= hmac.compare_digest(token, hashlib.sha256(key.encode("utf-8")).digest())
    return found


def digest_matches(digest: str, keys: Iterable[str]) -> bool:
    """`key_matches` for a key given as its digest (hex, as `digest_of`)."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(digest, digest_of(key))
    return found


class KeyStore:
    """The records in one JSON file, re-read when it changes on disk (another process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._records: dict[str, KeyRecord] = {}

    def records(self) -> list[KeyRecord]:
        """Every record, revoked ones too, in creation order."""
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._stamp, self._records = None, {}
                return []
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._records = {r["name"]: KeyRecord.from_json(r) for r in data["keys"]}
                self._stamp = stamp
            return list(self._records.values())

    def active(self) -> list[KeyRecord]:
        return [r for r in self.records() if r.revoked_at is None]

    def find(self, key: str) -> KeyRecord | None:
        """The active record of `key`, or None."""
        return self.find_digest(digest_of(key))

    def find_digest(self, wanted: str) -> KeyRecord | None:
        """The active record of the key whose digest is `wanted`, or None."""
        found = None
        for record in self.active():  # no early exit: the time does not tell which
            if hmac.compare_digest(record.digest, wanted):
                found = record
        return found

    def _write(self, records: list[KeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"keys": [r.to_json() for r in records]}, f, ensure_ascii=False, indent=1)
        os.replace(temp, self.path)

    def create(self, name: str, groups: list[str], admin: bool) -> str:
        """A new key named `name`; returns the key (shown once, never stored)."""
        if not NAME.fullmatch(name):
            raise ApiKeyError(
                f"Nyckelnamnet '{name}' går inte att använda.",
                "Använd bokstäver a–z, siffror och _ . - (högst 64 tecken), t.ex. "
                "vardcentral-norr.",
            )
        records = self.records()
        if any(r.name == name for r in records):
            raise ApiKeyError(
                f"Det finns redan en nyckel som heter '{name}'.",
                "Välj ett annat namn, eller återkalla den gamla (nara keys revoke NAMN) och "
                "skapa en ny med ett nytt namn.",
            )
        key = secrets.token_urlsafe(KEY_BYTES)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        chosen = tuple(dict.fromkeys(g.strip() for g in groups if g.strip())) or (OPEN_GROUP,)
        self._write([*records, KeyRecord(name, digest_of(key), chosen, admin, now)])
        return key

    def revoke(self, name: str) -> KeyRecord:
        records = self.records()
        found = next((r for r in records if r.name == name and r.revoked_at is None), None)
        if found is None:
            raise ApiKeyError(
                f"Det finns ingen aktiv nyckel som heter '{name}'.",
                "Se nycklarna med: nara keys list",
            )
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        revoked = KeyRecord(**{**asdict(found), "revoked_at": now})
        self._write([revoked if r is found else r for r in records])
        return revoked


class KeyRing:
    """The keys that open the API and the chat: the records, and the keys of the
    settings (NARA_API_KEYS, NARA_ADMIN_KEYS)."""

    def __init__(self, settings: Settings, store: KeyStore | None = None) -> None:
        self.settings = settings
        self.store = store or KeyStore(self.path_for(settings))

    @staticmethod
    def path_for(settings: Settings) -> Path:
        return settings.data_dir / "keys.json"

    def any(self) -> bool:
        """Whether any key could sign in."""
        return bool(self.settings.api_keys or self.settings.admin_keys or self.store.active())

    def any_admin(self) -> bool:
        """Whether any key may upload and remove (the chat then has its admin section)."""
        return bool(self.settings.admin_keys) or any(r.admin for r in self.store.active())

    def is_admin(self, key: str) -> bool:
        identity = self.identify(key)
        return identity is not None and identity.admin

    def identify(self, key: str) -> Identity | None:
        """Whose key `key` is, or None. A key of the settings is named by its digest."""
        return self.identify_digest(digest_of(key))

    def identify_digest(self, digest: str) -> Identity | None:
        """Whose key has the SHA-256 digest `digest` (`digest_of`), or None: as
        `identify`, for a key kept only as its digest (the chat's key sessions)."""
        if digest_matches(digest, [*self.settings.api_keys, *self.settings.admin_keys]):
            admin = digest_matches(digest, self.settings.admin_keys)
            return Identity(f"env:{digest[:16]}", admin)
        record = self.store.find_digest(digest)
        return Identity(record.name, record.admin, record.groups) if record else None
