"""Swedish dates in document text: "2024-03-15", "15 mars 2024", "mars 2024", and the
words before them that say what the date is ("Publicerad", "Gäller till och med").

Cue words and month names come from `nara/vocabulary.yaml` (`date_cues`, `months`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nara.vocabulary import vocabulary, words

CUE_REACH = 60
"""Most characters between a cue and its date, within one sentence and line: room for
"antagen av <ett namngivet organ> den" but not for the next sentence's date."""


@dataclass(frozen=True)
class FoundDate:
    iso: str
    """yyyy-mm-dd, yyyy-mm or yyyy: as precise as the text is."""
    start: int
    end: int


@lru_cache(maxsize=1)
def _months() -> dict[str, int]:
    months: dict[str, int] = {}
    for key in ("sv", "sv_short"):
        for number, name in enumerate(words("months", key), start=1):
            months.setdefault(name, number)
    return months


@lru_cache(maxsize=1)
def _date_pattern() -> re.Pattern[str]:
    names = "|".join(sorted(_months(), key=len, reverse=True))
    return re.compile(
        r"\b(?P<iso>(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))\b"
        rf"|\b(?:(?P<day>[0-3]?\d)\s+)?(?P<month>{names})\.?\s+(?P<year>(?:19|20)\d\d)\b",
        re.IGNORECASE,
    )


def dates_in(text: str) -> list[FoundDate]:
    """Every date in `text`, in order."""
    found = []
    for m in _date_pattern().finditer(text):
        if m.group("iso"):
            found.append(FoundDate(m.group("iso"), m.start(), m.end()))
            continue
        month = _months()[m.group("month").lower()]
        day = m.group("day")
        iso = f"{m.group('year')}-{month:02d}" + (f"-{int(day):02d}" if day else "")
        if day and not 1 <= int(day) <= 31:
            continue
        found.append(FoundDate(iso, m.start(), m.end()))
    return found


@lru_cache(maxsize=4)
def _cue_pattern(kind: str) -> re.Pattern[str]:
    cues = sorted(vocabulary()["date_cues"][kind], key=len, reverse=True)
    alternatives = "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in cues)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)[^.\n]{{0,{CUE_REACH}}}", re.IGNORECASE)


def cued_dates(text: str, kind: str, year_only: bool = False) -> list[FoundDate]:
    """Dates announced by a cue of `kind` ("issued", "valid_from", "valid_until"), in
    order: "Publicerad 15 mars 2024" → 2024-03-15. With `year_only`, a bare year after
    the cue counts too ("gäller t.o.m. ett angivet år")."""
    out: list[FoundDate] = []
    for cue in _cue_pattern(kind).finditer(text):
        reach = cue.group()
        found = dates_in(reach)
        if found:
            first = found[0]
            out.append(FoundDate(first.iso, cue.start() + first.start, cue.start() + first.end))
        elif year_only and (year := re.search(r"\b(?:19|20)\d\d\b", reach)):
            out.append(
                FoundDate(year.group(), cue.start() + year.start(), cue.start() + year.end())
            )
    return out


def is_date_line(line: str) -> bool:
    """A line that is only a date, or a cue with its date ("Publicerad 15 mars 2024")."""
    rest = _date_pattern().sub(" ", line)
    for kind in ("issued", "valid_from", "valid_until"):
        rest = _cue_pattern(kind).sub(" ", rest) if dates_in(line) else rest
    return bool(dates_in(line)) and not re.search(r"[a-zåäö]{3,}", rest, re.IGNORECASE)
