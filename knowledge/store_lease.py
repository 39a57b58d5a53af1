"""A write lease kept in the store: one writer at a time among processes, on any number
of machines, that share one Chroma server (an `flock` holds on one machine only).

Chroma has no compare-and-set, but it ignores an `add` of an id that exists: the first
add of an id wins, and every reader then reads the winner. The lease is a sequence of
records `lease-<n>` in the collection `<prefix>-lease` (not one of the store's
collections, so a rebuild that drops those keeps it); the record with the highest n is
the current one. A writer takes the lease when the current record is released or
expired, by adding `lease-<n+1>` with itself as owner and reading the records back: it
holds the lease when it owns the highest one. Otherwise another writer won, and it
waits. While held, a thread renews the expiry every third of the term, so a long ingest
keeps the lease; a holder that dies leaves a record that expires after `LEASE_S`.

Expiry compares wall clocks of different machines: they must agree to well within the
term (NTP does). A holder stalled past its term (a machine frozen for 30 s) can lose
the lease without knowing it; writes are not fenced.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

LEASE_S = 30.0
"""Term of a lease: how long a dead holder blocks writers. A live holder renews it."""
RENEW_EVERY = 3
"""Renewals per term (one missed renewal does not lose the lease)."""
POLL_S = 0.1
"""Interval between two looks at a lease held by another writer."""
KEEP = 16
"""Past lease records kept behind the current one (older ones are deleted)."""
PREFIX = "lease-"
DIGITS = 12
"""Digits of a lease number, zero-padded so that ids sort as numbers."""


def _lease_id(n: int) -> str:
    return f"{PREFIX}{n:0{DIGITS}d}"


def _number(lease_id: str) -> int:
    return int(lease_id[len(PREFIX) :]) if lease_id.startswith(PREFIX) else -1


def _free(record: dict[str, Any] | None) -> bool:
    """No lease yet, or the current one released or expired."""
    if record is None or record.get("released"):
        return True
    return float(record.get("expires", 0)) < time.time()


class StoreLease:
    """`connect` gives a Chroma client (called at the first use, not here); `prefix`
    names the store. Re-entrance and threads are the caller's (`knowledge.write_lock`):
    one `acquire` is followed by one `release`."""

    def __init__(self, connect: Callable[[], Any], prefix: str, term_s: float = LEASE_S) -> None:
        self._connect = connect
        self._name = f"{prefix}-lease"
        self.term_s = term_s
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._collection: Any = None
        self._held: int | None = None
        self._since = 0.0
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> int | None:
        """The number of the lease held, or None."""
        return self._held

    def _records(self) -> list[tuple[int, dict[str, Any]]]:
        if self._collection is None:
            self._collection = self._connect().get_or_create_collection(
                self._name, embedding_function=None
            )
        found = self._collection.get(include=["metadatas"])
        records = zip(found["ids"], found["metadatas"] or [], strict=True)
        return sorted((_number(i), dict(m or {})) for i, m in records if _number(i) >= 0)

    def acquire(self, deadline: float | None) -> bool:
        """Take the lease; False when `deadline` (a `time.monotonic()` value) passes
        first. None waits as long as it takes."""
        while True:
            records = self._records()
            n, current = records[-1] if records else (0, None)
            if _free(current) and self._claim(n + 1):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)

    def _claim(self, n: int) -> bool:
        self._since = time.time()
        self._collection.add(ids=[_lease_id(n)], embeddings=[[1.0]], metadatas=[self._meta()])
        records = self._records()
        mine = [m for k, m in records if k == n and m.get("owner") == self.owner]
        if not mine:
            return False  # another writer added lease n first
        if records[-1][0] != n:  # a stale view: n was deleted long ago and added again
            self._write(n, released=True)
            return False
        self._held = n
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name="lease-renewal", daemon=True)
        self._renewer.start()
        old = [_lease_id(k) for k, _ in records if k < n - KEEP]
        if old:
            self._collection.delete(ids=old)
        return True

    def _meta(self, released: bool = False) -> dict[str, Any]:
        """The record of a lease: who holds it, since when, and until when (the moment
        of its release, once released), in seconds since the epoch."""
        expires = time.time() + (0.0 if released else self.term_s)
        return {
            "owner": self.owner,
            "since": self._since,
            "expires": expires,
            "released": released,
        }

    def _write(self, n: int, released: bool) -> None:
        self._collection.upsert(
            ids=[_lease_id(n)], embeddings=[[1.0]], metadatas=[self._meta(released)]
        )

    def _renew(self) -> None:
        while not self._stop.wait(self.term_s / RENEW_EVERY):
            held = self._held
            if held is None:
                return
            try:
                self._write(held, released=False)
            except Exception:  # Chroma unreachable a moment: the next renewal tries again
                continue

    def release(self) -> None:
        """Give the lease back (nothing when none is held)."""
        held, self._held = self._held, None
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        if held is not None:
            self._write(held, released=True)
