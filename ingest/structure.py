"""Structure from plain lines: headings, list items, table rows and paragraphs.

Used for text, Markdown and the text layer of PDFs. Every block is a span of the input
text, so offsets stay valid for quoting. Lines that are tables of contents or repeated
page headers/footers become no block at all.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest.model import Block, BlockKind

MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+([A-ZÅÄÖ\"“”].*)$")
LIST_MARKER = re.compile(r"^(?:[-•*–▪◦●]|\d{1,2}[.)])\s+")
TOC_LINE = re.compile(r"(?:\.{3,}|…)\s*(?:</?b>)?\s*\d{1,3}\s*(?:</b>)?\s*$|\t\s*\d{1,3}\s*$")
TERMINAL = (".", "!", "?", ":", ";", ",")
CONTINUATION_END = re.compile(r"[^.!?:;]$")
HEADER_WORD_LIMIT = 30
PIPE_ROW = re.compile(r"^\|.*\|$")
"""A Markdown table row: "| Aktivitet | Ansvar |"."""
PIPE_RULE = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+$")
"""The rule under a Markdown table's header row: "|---|:---:|"."""
PAGE_NUMBER = re.compile(r"(?:sida|s\.|page)?\s*\d{1,3}(?:\s*(?:av|/|of)\s*\d{1,3})?", re.I)


@dataclass
class _Line:
    start: int
    end: int
    text: str
    indent: int


def split_lines(text: str) -> Iterator[_Line]:
    """Lines with the offsets of their stripped content."""
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        start = pos + lead
        yield _Line(start, start + len(stripped), stripped, lead)
        pos += len(raw) + 1


class SectionStack:
    """The path of headings above the current position."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._stack)

    @property
    def depth(self) -> int:
        return self._stack[-1][0] if self._stack else 0


def repeated_lines(lines: Sequence[_Line], min_count: int = 3) -> set[str]:
    """Short lines that recur: page headers and footers of a converted document. A list
    item that recurs (a summary list repeated in several places) is content."""
    counts = Counter(
        line.text
        for line in lines
        if line.text and len(line.text) <= 80 and not LIST_MARKER.match(line.text)
    )
    return {text for text, n in counts.items() if n >= min_count and "\t" not in text}


def is_title_line(text: str) -> bool:
    """A short standalone line that reads as a heading rather than a sentence."""
    if not text or len(text) > 70 or len(text.split()) > 9:
        return False
    if text.endswith(TERMINAL) or "(pdf)" in text.lower() or "http" in text or ": " in text:
        return False
    first = text[0]
    if not (first.isupper() or first.isdigit()):
        return False
    return not re.fullmatch(r"[\d\s\-–./]+", text)


def _is_header_row(cells: list[str]) -> bool:
    return len(cells) >= 2 and all(
        0 < len(c) <= HEADER_WORD_LIMIT and not c.endswith(".") and re.search(r"\w", c)
        for c in cells
    )


class LineParser:
    """Turns lines into blocks; one instance per document."""

    def __init__(self, text: str, page_starts: Sequence[int] | None = None) -> None:
        self.text = text
        self.page_starts = list(page_starts or [])
        self.lines = list(split_lines(text))
        self.skip = repeated_lines(self.lines)
        self.sections = SectionStack()
        self.explicit_depth = 0
        self.blocks: list[Block] = []
        self.header: list[str] | None = None
        self.last_table: tuple[int, list[str]] | None = None  # (line index, header) of last row
        self.open_paragraph: int | None = None  # index in blocks of a paragraph still open
        self.list_outer: bool | None = None  # numbered (True) or bulleted, for the list run

    def page_of(self, offset: int) -> int | None:
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    def _emit(
        self,
        kind: BlockKind,
        start: int,
        end: int,
        level: int = 0,
        cells: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.blocks.append(
            Block(kind, start, end, self.sections.path, self.page_of(start), level, cells)
        )

    def _heading(self, line: _Line, start: int, level: int, explicit: bool) -> None:
        title = self.text[start : line.end]
        self.sections.push(level, title)
        if explicit:
            self.explicit_depth = level
        self._emit("heading", start, line.end, level)

    def _neighbours_blank(self, i: int) -> bool:
        prev_blank = i == 0 or not self.lines[i - 1].text
        next_blank = i + 1 >= len(self.lines) or not self.lines[i + 1].text
        return prev_blank and next_blank

    def parse(self) -> list[Block]:
        for i, line in enumerate(self.lines):
            self._line(i, line)
        return self.blocks

    def _line(self, i: int, line: _Line) -> None:
        text = line.text
        if not LIST_MARKER.match(text):
            self.list_outer = None
        if not text:
            self.header = None
            self.open_paragraph = None
            return
        if text in self.skip or TOC_LINE.search(text):
            return
        continued = self.open_paragraph is not None
        if PIPE_ROW.match(text):
            self.open_paragraph = None
            self._pipe_row(i, line)
            return
        if "\t" in text:
            self.open_paragraph = None
            self._table_row(i, line)
            return
        self.header = None
        if m := MD_HEADING.match(text):
            self.open_paragraph = None
            self._heading(line, line.start + m.start(2), len(m.group(1)), explicit=True)
            return
        if m := LIST_MARKER.match(text):
            standalone = self._neighbours_blank(i) and not text.endswith(".")
            if standalone and re.match(r"\d", text) and len(text) <= 120:
                self.open_paragraph = None
                self._heading(line, line.start, 1, explicit=True)
                return
            self.open_paragraph = None
            self._emit("list_item", line.start + m.end(), line.end, self._list_level(line, m))
            return
        if not continued:
            if (m := NUMBERED_HEADING.match(text)) and len(text) <= 90 and not text.endswith("."):
                self._heading(line, line.start, m.group(1).count(".") + 1, explicit=True)
                return
            if is_title_line(text) and not self._after_quote(i):
                level = self.explicit_depth + 1
                self._heading(line, line.start, level, explicit=False)
                return
        self._paragraph(line)

    def _list_level(self, line: _Line, marker: re.Match[str]) -> int:
        """1, or 2 for an indented item or one whose marker differs from its run's
        first item (the bullets under "1. Area" in a flat text are nested in it)."""
        numbered = marker.group(0)[0].isdigit()
        if self.list_outer is None:
            self.list_outer = numbered
        return 2 if line.indent or numbered != self.list_outer else 1

    def _after_quote(self, i: int) -> bool:
        for j in range(i - 1, -1, -1):
            prev = self.lines[j].text
            if prev:
                return prev[0] in "\"”“'" or prev.endswith(("”", '"'))
        return False

    def _paragraph(self, line: _Line) -> None:
        if self.open_paragraph is not None:
            old = self.blocks[self.open_paragraph]
            self.blocks[self.open_paragraph] = Block(
                old.kind, old.start, line.end, old.section, old.page, old.level
            )
        else:
            self._emit("paragraph", line.start, line.end)
            self.open_paragraph = len(self.blocks) - 1
        if not CONTINUATION_END.search(line.text.rstrip('”"’»')):
            self.open_paragraph = None

    def _continues_on_new_page(self, i: int, line: _Line) -> list[str] | None:
        """The header of a table that ran over a page break to this line, if any."""
        if self.last_table is None:
            return None
        last, header = self.last_table
        between = self.lines[last + 1 : i]
        crosses_page = any(self.lines[last].end < p <= line.start for p in self.page_starts)
        only_furniture = all(
            not b.text or b.text in self.skip or PAGE_NUMBER.fullmatch(b.text) for b in between
        )
        return header if crosses_page and only_furniture else None

    def _table_row(self, i: int, line: _Line) -> None:
        cells = [c.strip() for c in line.text.split("\t")]
        filled = [c for c in cells if c]
        if len(filled) < 2:
            self._paragraph(line)
            return
        # A table continued on the next page keeps its columns (a repeated header row is
        # recognised below as the header again), so its first row is not taken as a header.
        carried = self._continues_on_new_page(i, line) if self.header is None else None
        if carried and filled != carried and len(filled) == len(carried):
            self.header = carried
        if (
            self.header is None
            and _is_header_row(filled)
            and not any(re.fullmatch(r"\W+", c) for c in filled)
        ):
            self.header = filled
            self.last_table = (i, filled)
            return
        if self.header:
            self.last_table = (i, self.header)
        names = self.header or []
        pairs = tuple(
            (names[k] if k < len(names) else f"Kolumn {k + 1}", cell)
            for k, cell in enumerate(cells)
            if cell
        )
        self._emit("table_row", line.start, line.end, cells=pairs)

    def _pipe_row(self, i: int, line: _Line) -> None:
        """A Markdown table row. The row above a rule is the header (not a block); the
        others are table rows whose cells are named by it, column by column."""
        if PIPE_RULE.match(line.text.replace(" ", "")):
            return
        cells = [c.strip() for c in line.text.strip()[1:-1].split("|")]
        following = self.lines[i + 1].text if i + 1 < len(self.lines) else ""
        if PIPE_RULE.match(following.replace(" ", "")):
            self.header = cells
            self.last_table = (i, cells)
            return
        names = self.header or []
        pairs = tuple(
            (names[k] if k < len(names) and names[k] else f"Kolumn {k + 1}", cell)
            for k, cell in enumerate(cells)
            if cell
        )
        self._emit("table_row", line.start, line.end, cells=pairs)


def parse_lines(text: str, page_starts: Sequence[int] | None = None) -> list[Block]:
    """Blocks of `text`; `page_starts` are the offsets where pages 1, 2, … begin."""
    return LineParser(text, page_starts).parse()
