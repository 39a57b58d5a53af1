"""The chat's sessions signed in with a key (issue #14, ui/chat/identity.py): Gradio's
session token → the user name and the key's digest (never the key), in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

GRADIO_TOKEN_COOKIE = "access-token-"
"""Prefix of Gradio's session cookies (gradio/routes.py `login`: `access-token-<id>` and
`access-token-unsecure-<id>`, both holding the same token)."""
MAX_KEY_SESSIONS = 10_000
"""Most key sessions kept in memory; the oldest goes first. A session past it reads only
"alla" and does not administer until its user signs in again (Gradio's own tokens are
kept in memory too, and lost at a restart)."""


class KeySessions:
    """Gradio session token → (user name, the key's digest), bounded by
    `MAX_KEY_SESSIONS`; thread-safe (Gradio runs handlers in worker threads)."""

    def __init__(self, limit: int = MAX_KEY_SESSIONS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def remember(self, token: str, username: str, digest: str) -> None:
        with self._lock:
            self._sessions[token] = (username, digest)
            self._sessions.move_to_end(token)
            while len(self._sessions) > self.limit:
                self._sessions.popitem(last=False)

    def digest_for(self, cookies: Mapping[str, str], username: str | None) -> str | None:
        """The key digest of the Gradio session in `cookies`, when it was signed in as
        `username` (the name Gradio itself found for the request)."""
        if not username:
            return None
        with self._lock:
            for name, token in cookies.items():
                if not name.startswith(GRADIO_TOKEN_COOKIE):
                    continue
                kept = self._sessions.get(token)
                if kept is not None and kept[0] == username:
                    return kept[1]
        return None
