"""Finding a private person's identifiers in text (issue #14): Swedish personal identity
numbers, phone numbers and e-mail addresses.

- `personnummer` / `samordningsnummer`: 10 or 12 digits (`YYMMDD-NNNC`, `YYYYMMDDNNNC`,
  separator `-`, `+` or none) whose date part is a real date (for a samordningsnummer
  the day plus 60) and whose last digit is the Luhn check digit of the other nine
  (Skatteverket, SKV 704). A number that fails either check is left alone.
- `telefonnummer`: a Swedish number (`0…` or `+46`/`0046`) of 8 to 10 digits with the
  leading 0, except national service numbers and numbers shortly after a switchboard
  cue on the same line (`nara/vocabulary.yaml`, `personal_data`).
- `e-postadress`: an address, except an organisation's shared mailbox (the first word
  of its local part is a functional name: registrator@, info.vard@) and an address at
  one of the given organisation domains (an official's work address at a public body).

Only positions and kinds leave this module's callers; the values are never reported.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from nara.vocabulary import cue, words

Kind = Literal["personnummer", "samordningsnummer", "telefonnummer", "e-postadress"]

ID_NUMBER = re.compile(r"(?<![\w+\-–/.:,])(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})(?![\w\-–/])")
"""A personal identity number's shape: optional century, YYMMDD, separator, NNNC."""
CENTURIES = ("18", "19", "20")
"""Centuries a 12-digit number may give (a `+` marks a person of 100 or more)."""
COORDINATION_DAY_OFFSET = 60
"""A samordningsnummer's day is the birth day plus 60 (Skatteverket, SKV 707)."""
PHONE = re.compile(
    r"(?<![\w+\-–/.,])(?:(?:\+|00)46[ ]?(?:\(0\)[ ]?)?|0)(\d{1,3})([ ]?[-–/][ ]?|[ ])?"
    r"(\d{2,8}(?:[ -]\d{2,4}){0,3})(?![\w\-–/]|[.,]\d)"
)
"""A Swedish phone number: country prefix or 0, area code, optional separator, and the
subscriber number in groups of 2–4 digits."""
PHONE_DIGITS = (8, 10)
"""Digits of a Swedish number with its leading 0: fewest and most (PTS nummerplan)."""
AREA_CODE = re.compile(r"8|[1-79]\d{1,2}")
"""An area code without its 0 when the number writes it apart: 08, or 3–4 digits."""
CUE_WINDOW = 40
"""Characters before a phone number (on its line) searched for a switchboard cue."""
ID_SHAPE = re.compile(r"\d{6}[-+]\d{4}")
"""Written like an identity number (YYMMDD-NNNN): never read as a phone number, so that
a number failing the identity checks is left alone."""
EMAIL = re.compile(r"(?<![\w.%+-])([\w.%+-]+)@([\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,})\b")


@dataclass(frozen=True)
class Hit:
    """One identifier found: its kind and where it is in the text (`text[start:end]`)."""

    kind: Kind
    start: int
    end: int


def luhn_ok(digits: str) -> bool:
    """Whether the last digit of `digits` is the Luhn check digit of the others."""
    total = 0
    for i, ch in enumerate(reversed(digits[:-1])):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10 == int(digits[-1])


def _real_day(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def id_number_kind(match: re.Match[str], today: dt.date | None = None) -> Kind | None:
    """`personnummer`, `samordningsnummer`, or None when the date or Luhn check fails."""
    century, yy, mm, dd, _sep, tail = match.groups()
    if century is not None and century not in CENTURIES:
        return None
    if not luhn_ok(yy + mm + dd + tail):
        return None
    day, kind = int(dd), "personnummer"
    if day > COORDINATION_DAY_OFFSET:
        day, kind = day - COORDINATION_DAY_OFFSET, "samordningsnummer"
    this_year = (today or dt.date.today()).year
    years = [int(century + yy)] if century else [int(c + yy) for c in CENTURIES]
    if any(y <= this_year and _real_day(y, int(mm), day) for y in years):
        return kind  # type: ignore[return-value]
    return None


def _plain(word: str) -> str:
    nfkd = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in nfkd if not unicodedata.combining(c))


def private_email(local: str, domain: str, work_domains: Sequence[str]) -> bool:
    """Whether an address is a private person's: not a functional mailbox, and not at
    one of `work_domains` (a listed domain covers its subdomains)."""
    first = _plain(re.split(r"[._+-]", local, maxsplit=1)[0])
    if first in words("personal_data", "functional_mailboxes"):
        return False
    host = domain.lower().rstrip(".")
    return not any(host == d or host.endswith("." + d) for d in (d.lower() for d in work_domains))


def private_phone(match: re.Match[str], text: str) -> bool:
    """Whether a phone-shaped match is a private person's number: a real length, a real
    area code when written apart, not a service number, no switchboard cue before it."""
    area, sep, rest = match.group(1), match.group(2), match.group(3)
    if ID_SHAPE.fullmatch(match.group()):
        return False
    national = "0" + area + re.sub(r"\D", "", rest)
    if not PHONE_DIGITS[0] <= len(national) <= PHONE_DIGITS[1]:
        return False
    if sep and not AREA_CODE.fullmatch(area):
        return False
    if national.startswith(words("personal_data", "service_prefixes")):
        return False
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[max(line_start, match.start() - CUE_WINDOW) : match.start()]
    return not cue("personal_data", "switchboard_cues", anchor=r"\b{}\b").search(before)


def find_identifiers(text: str, work_domains: Sequence[str]) -> list[Hit]:
    """The private identifiers of `text`, in order, none overlapping another (an
    identity number wins over a phone-shaped reading of the same digits)."""
    hits = [
        Hit(kind, m.start(), m.end())
        for m in ID_NUMBER.finditer(text)
        if (kind := id_number_kind(m)) is not None
    ]
    hits += [
        Hit("e-postadress", m.start(), m.end())
        for m in EMAIL.finditer(text)
        if private_email(m.group(1), m.group(2), work_domains)
    ]
    taken = [(h.start, h.end) for h in hits]
    for m in PHONE.finditer(text):
        overlaps = any(m.start() < end and start < m.end() for start, end in taken)
        if not overlaps and private_phone(m, text):
            hits.append(Hit("telefonnummer", m.start(), m.end()))
    return sorted(hits, key=lambda h: h.start)
