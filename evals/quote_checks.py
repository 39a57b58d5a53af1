"""Each quote of an answer checked against the file it was read from (issue #12):

- **on its page**: a quote from a PDF cites a page, and its first words stand in that
  page's text as pdfplumber's own text reader prints it (the page, and its left and right
  halves, so that either column of a two-column page counts). A quote running on over a
  page break starts on the page it cites;
- **page furniture**: no quote holds a running header or footer line, i.e. a first or last
  line of the page that recurs (digits aside) on half the pages;
- **cut at a line break**: a quote that stops where its sentence goes on after a single
  line break (the next character after the break is a lower-case letter): a line of the
  file kept as a line, so the quote stops mid-sentence;
- **mid-sentence**: any quote that does not end a sentence, a list lead-in or a cell (for
  comparison with the txt store, where the writer's own line breaks are the same).

The reference texts come from pdfplumber's text reader, independently of the reader in
`ingest/`, so a reader that puts a block on the wrong page cannot agree with itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assistant.model import Citation

SENTENCE_ENDS = (".", "!", "?", ":", ";", "…")
CLOSING = '”"’)]*'
START_WORDS = 3
"""Words of a quote's start looked for on its page. Of a table row only the first word
of its first cell: pdfplumber prints a row line by line across the cells, so a cell's
words stand together only up to its first wrap."""


def squash(text: str) -> str:
    """Text without white space, soft hyphens or Markdown emphasis: what a PDF's text
    and the reader's text agree on."""
    return "".join(text.replace("*", "").replace("\u00ad", "").split())


@cache
def page_halves(pdf: Path) -> tuple[str, ...]:
    """Each page's text, then its left and its right half's (so a page set in two columns
    holds each column's text in order), read by pdfplumber's own text reader."""
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        out = []
        for page in doc.pages:
            middle = float(page.width) / 2
            halves = [
                page.crop((0, 0, middle, page.height)),
                page.crop((middle, 0, page.width, page.height)),
            ]
            out.append(" ".join((p.extract_text() or "") for p in (page, *halves)))
        return tuple(out)


MIN_RECURRENCE = 2
"""A running line recurs on at least two pages: on a one- or two-page document every
first and last line is on "half the pages", and a body line is not furniture (seen on
corpus-extra converted to PDF, session 8: 20 of 247 quotes flagged, none furniture)."""


def running_lines(pages: Iterable[str]) -> set[str]:
    """First and last lines that recur (digits aside, as "#") on half the pages, and on
    two at least: the furniture as pdfplumber prints it, found independently of the
    reader."""
    texts = list(pages)
    edges = Counter(
        re.sub(r"\d+", "#", line.strip())
        for text in texts
        for line in {*text.splitlines()[:1], *text.splitlines()[-1:]}
    )
    return {
        line
        for line, n in edges.items()
        if n >= max(len(texts) / 2, MIN_RECURRENCE) and re.search(r"[^\W\d]", line)
    }


@cache
def page_texts(pdf: Path) -> tuple[str, ...]:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return tuple(page.extract_text() or "" for page in doc.pages)


def _start(quote: str) -> str:
    """The quote's first words (of a table row, the first word of its first cell)."""
    words = quote.split("\t")[0].split()
    return squash(" ".join(words[: 1 if "\t" in quote else START_WORDS]))


def on_page(citation: Citation, pdf: Path) -> bool:
    """The quote's first words stand on the page it cites."""
    pages = page_halves(pdf)
    page = citation.source.page
    if page is None or not 1 <= page <= len(pages):
        return False
    return _start(citation.quote) in squash(pages[page - 1])


def holds_furniture(citation: Citation, pdf: Path) -> bool:
    lines = running_lines(page_texts(pdf))
    quote = re.sub(r"\d+", "#", " ".join(citation.quote.split()))
    return any(line in quote for line in lines)


def mid_sentence(citation: Citation) -> bool:
    return not citation.quote.rstrip().rstrip(CLOSING).endswith(SENTENCE_ENDS)


def cut_at_line_break(citation: Citation, text: str) -> bool:
    """The quote stops at a single line break after which its sentence goes on."""
    end = citation.source.char_end
    after = text[end : end + 2]
    return mid_sentence(citation) and after[:1] == "\n" and after[1:2].islower()


@dataclass
class QuoteChecks:
    quotes: int = 0
    paged: int = 0
    on_page: int = 0
    furniture: int = 0
    line_cuts: int = 0
    mid_sentence: int = 0

    def add(self, citation: Citation, text: str, pdf: Path | None) -> None:
        self.quotes += 1
        self.mid_sentence += mid_sentence(citation)
        self.line_cuts += cut_at_line_break(citation, text)
        if pdf is not None:
            self.paged += 1
            self.on_page += on_page(citation, pdf)
            self.furniture += holds_furniture(citation, pdf)

    def as_dict(self) -> dict[str, Any]:
        return {
            "quotes": self.quotes,
            "on_page_rate": self.on_page / self.paged if self.paged else None,
            "furniture_quotes": self.furniture,
            "line_break_cuts": self.line_cuts,
            "mid_sentence_rate": self.mid_sentence / self.quotes if self.quotes else 0.0,
        }
