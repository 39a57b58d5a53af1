"""Thumbs up/down with an optional comment, kept durably as JSON lines.

Each record holds the question, the answer and its citations, so that the eval suite can
later turn feedback into gold questions. Appends are serialised and fsync'ed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(
        self,
        *,
        rating: str,
        question: str,
        answer: str,
        citations: list[dict[str, Any]],
        comment: str = "",
        source: str = "",
    ) -> str:
        """Store one judgement ("up" or "down"); returns its id."""
        if rating not in ("up", "down"):
            raise ValueError("rating must be 'up' or 'down'")
        record = {
            "id": uuid.uuid4().hex,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "comment": comment,
            "question": question,
            "answer": answer,
            "citations": citations,
            "source": source,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        return str(record["id"])

    def all(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
