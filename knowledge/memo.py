"""A bounded memo for pure per-text computations (term sets, matches) that readers
repeat within and across questions.

Whoever owns a `Memo` owns its validity: it lives on an object built for one store
generation or one vocabulary (an `Analyzer`, a `TermWeights`), so a new store state
brings a new, empty memo. Thread-safe for its use: single dict operations under the GIL,
a value computed twice by racing threads is the same value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """`get(key, compute)`: the value kept for `key`, else `compute()` kept and returned.
    Holds at most `size` values; when full it starts again empty (cheaper than an LRU,
    and a question's texts are filled again at once)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[K, V] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = compute()
        if len(self._values) >= self.size:
            self._values = {}
        self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)
