"""The Teams token signing keys (JWKS), fetched with bounds so that forged tokens cannot
stall the server.

Each request checks a token whose key id (`kid`) it names. An unknown `kid` may mean that
the issuer rotated its keys, so the keys are fetched again, but:

- at most one fetch per JWKS address runs at a time, with no lock held during it, and it
  ends within `timeout_s` (connection, reading and size all bounded);
- after a fetch (successful or not) the next one waits `refetch_s`: until then an unknown
  `kid` is refused at once, without a fetch (a negative cache for every unknown kid);
- while a fetch runs, at most `MAX_WAITERS` requests wait for it (for at most `timeout_s`);
  the others are refused at once, so a flood of forged tokens holds a few of the server's
  threads, not all of them.

Known keys are used for `KEYS_LIFESPAN_S` and then fetched again; until that fetch
succeeds the keys already known stay in use.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

KEYS_LIFESPAN_S = 3600.0  # as PyJWKClient(lifespan=3600) used before
MAX_WAITERS = 4  # requests that may wait for a running fetch; more are refused at once
JWKS_MAX_BYTES = 1_000_000  # a JWKS is a few kB; Microsoft's hold about ten keys

Fetch = Callable[[str, float], dict[str, Any]]


class KeyLookupError(jwt.PyJWKClientError):
    """No key with this id may be used now. The message is for the log, not the caller."""


def fetch_jwks(uri: str, timeout_s: float) -> dict[str, Any]:
    """The signing keys published at `uri`, by key id. The whole fetch, reading included,
    ends within `timeout_s`; a body over `JWKS_MAX_BYTES` is refused."""
    deadline = time.monotonic() + timeout_s
    body = bytearray()
    with httpx.stream("GET", uri, timeout=timeout_s, follow_redirects=False) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > JWKS_MAX_BYTES:
                raise KeyLookupError(f"the JWKS at {uri} is over {JWKS_MAX_BYTES} bytes")
            if time.monotonic() > deadline:
                raise KeyLookupError(f"the JWKS at {uri} took over {timeout_s} s")
    keys = jwt.PyJWKSet.from_json(body.decode("utf-8")).keys
    return {k.key_id: k.key for k in keys if k.key_id and k.public_key_use in ("sig", None)}


@dataclass
class _KeySet:
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float | None = None  # the last successful fetch
    attempted_at: float | None = None  # the last fetch, successful or not
    fetching: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class JwksKeySource:
    """`KeySource` over the issuers' published JWKS (`uri_of(issuer)`), with the bounds in
    the module docstring. `fetch` and `clock` are for tests."""

    def __init__(
        self,
        uri_of: Callable[[str], str],
        *,
        timeout_s: float = 3.0,
        refetch_s: float = 60.0,
        fetch: Fetch = fetch_jwks,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri_of = uri_of
        self.timeout_s = timeout_s
        self.refetch_s = refetch_s
        self._fetch = fetch
        self._clock = clock
        self._sets: dict[str, _KeySet] = {}
        self._lock = threading.Lock()  # guards _sets and each _KeySet; never held on I/O
        self._waiters = threading.BoundedSemaphore(MAX_WAITERS)
        self.fetches = 0  # fetches started, for the log and for tests

    def signing_key(self, issuer: str, kid: str) -> Any:
        """The key `kid` of `issuer`; `KeyLookupError` when it is not known and no fetch
        is due (or the fetch did not bring it)."""
        uri = self.uri_of(issuer)
        now = self._clock()
        with self._lock:
            entry = self._sets.setdefault(uri, _KeySet())
            key = entry.keys.get(kid)
            fresh = entry.fetched_at is not None and now - entry.fetched_at < KEYS_LIFESPAN_S
            due = not entry.fetching and (
                entry.attempted_at is None or now - entry.attempted_at >= self.refetch_s
            )
            if key is not None and (fresh or not due):
                return key
            if due:
                entry.fetching, entry.attempted_at = True, now
                entry.done = threading.Event()
                self.fetches += 1
            wait = None if due else (entry.done if entry.fetching else None)
        if due:
            self._refresh(uri, entry)
        elif wait is not None:
            self._wait(wait)
        with self._lock:
            key = entry.keys.get(kid)
        if key is None:
            raise KeyLookupError(f"unknown key id {kid[:40]!r} (no fetch due)")
        return key

    def _refresh(self, uri: str, entry: _KeySet) -> None:
        keys: dict[str, Any] | None = None
        try:
            keys = self._fetch(uri, self.timeout_s)
        except Exception as exc:  # network, HTTP status, JSON, key format: logged, not raised
            log.warning("Teams signing keys could not be fetched from %s: %s", uri, exc)
        with self._lock:
            if keys is not None:
                entry.keys, entry.fetched_at = keys, self._clock()
            entry.fetching = False
            entry.done.set()

    def _wait(self, running: threading.Event) -> None:
        if self._waiters.acquire(blocking=False):
            try:
                running.wait(self.timeout_s)
            finally:
                self._waiters.release()
