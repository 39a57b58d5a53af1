"""Structured registers extracted at ingest time: who is responsible, what is prioritised.

Every entry points back to a verbatim quote (`quote == text[char_start:char_end]`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResponsibilityEntry:
    activity: str
    responsible: tuple[str, ...]
    timeline: str
    description: str
    document_id: str
    section: str
    page: int | None
    quote: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class PriorityEntry:
    period: str
    year_from: int | None
    year_to: int | None
    target_group: str
    priority: str
    document_id: str
    section: str
    page: int | None
    quote: str
    char_start: int
    char_end: int

    def covers(self, year: int) -> bool:
        if self.year_from is None:
            return False
        return self.year_from <= year <= (self.year_to or self.year_from)
