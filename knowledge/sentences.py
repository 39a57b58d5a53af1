"""Swedish sentence splitting that knows abbreviations, list items and wrapped lines.

`sentences(text, start, end)` returns the (start, end) offsets in `text` of the sentences
of `text[start:end]`, each trimmed of surrounding whitespace, so that `text[s:e]` is the
sentence verbatim and every non-blank character of the range lies in exactly one of them.

Where a sentence ends:
- after `.`, `!`, `?`, `…` (closing quotes or brackets may follow) when the next word
  opens a sentence: a capital, a digit, an opening quote or a list mark;
- after `:` when a capital letter follows (Svenska skrivregler: a full sentence after a
  colon takes a capital);
- not after an abbreviation of `nara/vocabulary.yaml` ("kl. 8–17", "12 kap. 3 §",
  "t.ex. Region …"), nor after a dotted lower-case abbreviation the list lacks
  ("p.g.a."), initials ("A. Svensson"), a month abbreviation before a year ("1 jan.
  2025") or a list number opening a line ("1. Första"); an abbreviation that may close a
  sentence ("… m.m.", "… 50 st.") ends one only before a capital;
- at a blank line; at a line break only when the next line is a list item, a heading or
  a table row (tab-separated cells, or a Markdown "| … |" row) or this line is a row,
  when the line ends with terminal punctuation as above (or `:` / `;`), or when the
  next line starts with a capital and this one is short (a label, a signature, a
  heading the reader did not mark) or too long to be a wrapped line. Any other line
  break is a wrapped line (text from a PDF) and the sentence goes on.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from nara.vocabulary import words

TERMINAL = ".!?…"
CLOSERS = "\"”’»)]'"
OPENERS = "\"“”«'(["
START_MARKS = "•-–—▪◦●*§"
LINE_OPENS_BLOCK = re.compile(r"[ \t]*(?:(?:[-•*–▪◦●]|\d{1,2}[.)])[ \t]+|#{1,6}[ \t])")
"""A line that starts a list item (bullet, "1." or "1)") or a Markdown heading."""
INITIALS = re.compile(r"(?:[A-ZÅÄÖ]\.)+")
DOTTED = re.compile(r"(?:[a-zåäö]{1,4}\.){2,}")
"""Lower-case dotted abbreviations ("p.g.a.", "fr.o.m."): never a word ending a sentence."""
LIST_NUMBER = re.compile(r"\d{1,2}\.")
WHITESPACE = re.compile(r"\s+")

SHORT_LINE_CHARS = 40
"""A line without terminal punctuation shorter than this (and than SHORT_LINE_SHARE of
the longest line around it) is a label or heading line, not a wrapped one: PDF text at
10–12 pt on A4 wraps at 60–100 characters, two-column text at about 45."""
SHORT_LINE_SHARE = 0.5
WRAP_MAX_CHARS = 130
"""A line longer than this was not wrapped by a PDF reader (A4 text lines are shorter):
it is a paragraph of its own, ended by its line break when a capital follows."""


@lru_cache(maxsize=1)
def abbreviations() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(never ending a sentence, may end one, month stems), lower-case, from the vocabulary."""
    may_end = frozenset(w.lower() for w in words("abbreviations_may_end_sentence"))
    never = frozenset(w.lower() for w in words("abbreviations")) - may_end
    names = (*words("months", "sv_short"), *words("months", "en"))
    months = frozenset(m[:3].lower() for m in names)
    return never, may_end, months


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the sentences of `text[start:end]` (see the module docstring)."""
    end = len(text) if end is None else end
    longest = max((len(line.strip()) for line in text[start:end].split("\n")), default=0)
    cuts = [start]
    for gap in WHITESPACE.finditer(text, start, end):
        if start < gap.start() and gap.end() < end and _boundary(text, gap, start, longest):
            cuts.append(gap.end())
    cuts.append(end)
    out = []
    for a, b in itertools.pairwise(cuts):
        a, b = _strip(text, a, b)
        if a < b:
            out.append((a, b))
    return out


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _boundary(text: str, gap: re.Match[str], lo: int, longest: int) -> bool:
    newlines = gap.group().count("\n")
    if newlines >= 2:
        return True
    if newlines == 1:
        return _line_break(text, gap.start(), gap.end(), lo, longest)
    return _in_line(text, gap.start(), gap.end(), lo)


def _mark_before(text: str, pos: int, lo: int) -> tuple[str, int]:
    """The punctuation mark before `pos` behind any closing quotes or brackets, and its
    offset ("", -1 when the text before is a letter or digit)."""
    i = pos
    while i > lo and text[i - 1] in CLOSERS:
        i -= 1
    if i > lo and (text[i - 1] in TERMINAL or text[i - 1] in ":;"):
        return text[i - 1], i - 1
    return "", -1


def _opens_sentence(ch: str) -> bool:
    return ch.isupper() or ch.isdigit() or ch in OPENERS or ch in START_MARKS


def _in_line(text: str, ws_start: int, ws_end: int, lo: int) -> bool:
    mark, at = _mark_before(text, ws_start, lo)
    nxt = text[ws_end]
    if mark == ":":
        return nxt.isupper()
    if mark == "" or mark == ";" or not _opens_sentence(nxt):
        return False
    return mark != "." or not _period_continues(text, at, lo, nxt)


def _period_continues(text: str, dot: int, lo: int, nxt: str) -> bool:
    """Whether the full stop at `dot` belongs to a word that does not end the sentence
    when `nxt` (a character opening a sentence) follows."""
    line_start = max(lo, text.rfind("\n", lo, dot) + 1)
    token_start = dot
    while token_start > line_start and not text[token_start - 1].isspace():
        token_start -= 1
    token = text[token_start : dot + 1].lstrip(OPENERS)
    low = token.lower()
    if token.endswith(".."):
        return False  # an ellipsis
    never, may_end, months = abbreviations()
    if low in may_end:
        return not (nxt.isupper() or nxt in OPENERS)
    if low in never or DOTTED.fullmatch(low) or INITIALS.fullmatch(token):
        return True
    if low[:-1] in months and nxt.isdigit():
        return True
    return bool(LIST_NUMBER.fullmatch(token)) and not text[line_start:token_start].strip()


def _table_row(line: str) -> bool:
    """A row of a table: cells split by tabs, or a Markdown pipe-table row."""
    return "\t" in line or line.lstrip().startswith("|")


def _line_break(text: str, ws_start: int, ws_end: int, lo: int, longest: int) -> bool:
    line_start = max(lo, text.rfind("\n", lo, ws_start) + 1)
    before = text[line_start:ws_start]
    next_end = text.find("\n", ws_end)
    after = text[ws_end : next_end if next_end >= 0 else len(text)]
    if LINE_OPENS_BLOCK.match(after) or _table_row(before) or _table_row(after):
        return True
    mark, at = _mark_before(text, ws_start, line_start)
    if mark in (":", ";"):
        return True
    nxt = after[:1]
    if mark:
        if nxt.islower():
            return False  # "… 3 st.\nvårdcentraler": wrapped after an unknown abbreviation
        return mark != "." or not _period_continues(text, at, lo, nxt)
    size = len(before.strip())
    short = size < min(SHORT_LINE_CHARS, SHORT_LINE_SHARE * longest)
    return nxt.isupper() and (short or size > WRAP_MAX_CHARS)
