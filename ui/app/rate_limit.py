"""Per-client rate limits (issue #16): a token bucket per client, for the API (per key),
the chat (per signed-in user, else per client address) and Teams (per user in a
conversation).

Each client has a bucket of `burst` tokens that refills at `rate_per_s`; a request takes
one token, and a client with an empty bucket is refused and told how long to wait for
the next one. The API answers 429 with `Retry-After` and the `{"error", "hint"}` body,
the chat and Teams a Swedish message in the conversation; both say which setting raises
the limit. Buckets live in memory, per process; at most `MAX_CLIENTS` are kept, the
least recently used dropped first (a dropped client starts again with a full bucket).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000
"""Buckets kept at once: about 1 MB; more clients than this are not expected of one
server, and a flood of new clients only makes the oldest start over."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by client key. Thread-safe; `clock` is for tests."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Take one token for `client`: 0.0 when it was there (the request may go on),
        else the seconds until the next token (the request is refused; nothing taken)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(client, None) or _Bucket(float(self.burst), now)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate_per_s)
            bucket.updated = now
            self._buckets[client] = bucket
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate_per_s


def retry_after(wait_s: float) -> str:
    """The `Retry-After` value for a wait: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


def key_id(secret: str) -> str:
    """A client key that holds no secret (an API key is never kept as it is)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


def _rate_text(limiter: RateLimiter) -> str:
    per_minute = limiter.rate_per_s * 60
    return f"{limiter.burst} på en gång och sedan {per_minute:g} per minut"


def too_many(limiter: RateLimiter, wait_s: float, who: str, setting: str) -> tuple[str, str]:
    """The Swedish message and hint for a refused request. `who`: "den här API-nyckeln",
    "dig"; `setting`: the NARA_* setting of the rate that raises the limit."""
    return (
        f"För många förfrågningar från {who}: högst {_rate_text(limiter)} tas emot.",
        f"Vänta {retry_after(wait_s)} sekunder och försök igen. Behövs fler, be den som "
        f"driver tjänsten höja {setting}.",
    )
