"""A PDF page's lines → items: headings, paragraphs, list items and tables.

Paragraphs are rebuilt from wrapped lines; headings come from numbering or from a font
size or weight above the body text's; list items from a bullet or number followed by a
gap, nested by the indentation of their marker; the table of contents is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.pdf_layout import Line, is_marker, join_wrapped, split_marker
from ingest.pdf_tables import MIN_CONTENTS_ROWS, Table, continue_table, find_tables, is_contents
from nara.vocabulary import words as vocabulary_words

HEADING_DELTA = 1.0
"""Points above the body size from which a line's size makes it a heading..."""
HEADING_SHARE = 0.1
"""...or this share of the body size, if less: a small body (7.4 pt in a two-column
print) has headings only 1 pt larger (8.4 pt)."""


def heading_step(body: float) -> float:
    """How much larger than the body text a heading's size is at least."""
    return min(HEADING_DELTA, HEADING_SHARE * body)


OCR_HEADING_RATIO = 1.25
"""An OCR'd line is a heading only if its height is this many times the body's."""
PARAGRAPH_BREAK = 1.45
"""A line more than this many font sizes below the previous one starts a new paragraph
(single-spaced lines are 1.15–1.2 sizes apart; paragraph spacing adds more)."""
HEADING_JOIN = 1.4
"""A heading wrapped over two lines: the second within this many sizes, same size."""
SHORT_LINE = 3.0
"""A line ending a sentence this many sizes short of the right margin ends its paragraph."""
MAX_HEADING_CHARS = 150
INDENT_TOLERANCE = 4.0
TOC_LEADER = re.compile(r"(?:\.{4,}|…{2,}|\s\.(?: \.){3,})\s*\d{1,3}$")
NUMBERING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?(?=\s)")
TERMINAL = (".", "!", "?", ":", ";")
TOC_PAGE = re.compile(r"\s\d{1,3}$")
"""A contents entry's page number, at the end of its line."""
RUNS_ON = (",",)
"""Line ends after which the sentence always goes on (a paragraph never ends on a
comma), whatever the layout says."""


@dataclass
class Item:
    kind: str  # heading | paragraph | list_item | table
    text: str
    page: int
    level: int = 0
    x: float = 0.0
    """Left edge of the item's text (list continuation lines align with it)."""
    ocr: bool = False
    table: Table | None = None
    breaks: list[tuple[int, int]] = field(default_factory=list)
    """(offset in `text`, page) where the item runs on onto a new page."""


def toc_titles() -> frozenset[str]:
    return frozenset(vocabulary_words("pdf_layout", "toc_titles"))


@dataclass
class Style:
    """The document's body size and its heading sizes, largest first."""

    body: float
    heading_sizes: list[float]
    words: frozenset[str] = frozenset()
    """Words the document uses inside a line (not first on it): see `pdf_tables`."""

    def heading_level(self, line: Line) -> int | None:
        """The level a line's look gives it as a heading, or None for body text. An OCR'd
        line's size is estimated from its height, so it must stand out more."""
        if line.ocr:  # a line of several segments there is a table row
            tall = line.size >= OCR_HEADING_RATIO * self.body
            return 1 if tall and len(line.segments) == 1 else None
        if line.size >= self.body + heading_step(self.body):
            near = [abs(s - line.size) for s in self.heading_sizes]
            return near.index(min(near)) + 1 if near else 1
        if line.bold and line.size >= self.body - HEADING_DELTA:
            return len(self.heading_sizes) + 1
        return None


def _numbered_heading(line: Line) -> bool:
    """Body-size text numbered like a heading: "6.2<tab>Prioriterade områden 2025"."""
    first = line.segments[0].text
    return (
        len(line.segments) >= 2
        and re.fullmatch(r"\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}", first) is not None
        and line.segments[1].text[:1].isupper()
        and len(line.text) <= MAX_HEADING_CHARS
        and not line.text.endswith(TERMINAL)
    )


class PageReader:
    """Turns the lines of successive pages into items; one instance per document."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.items: list[Item] = []
        self.in_toc = False

    def page(
        self,
        lines: Sequence[Line],
        rules: Sequence[tuple[float, float, float]],
        closed: bool = False,
    ) -> None:
        """Read one flow of a page (the page, or one of its columns or bands); `closed`:
        the flow before it ended its last paragraph (`pdf.ends_short`)."""
        tables = {t.first: t for t in find_tables(lines, rules, self.style.words)}
        page_items: list[Item] = []
        i = 0
        while i < len(lines):
            if i in tables and is_contents(tables[i], 1 if self.in_toc else MIN_CONTENTS_ROWS):
                i, self.in_toc = tables[i].last + 1, True
                continue
            if i in tables:
                table = tables[i]
                page_items.append(Item("table", "", lines[i].page, table=table, ocr=lines[i].ocr))
                i = table.last + 1
                self.in_toc = False
                continue
            i = self._line(lines, i, page_items)
        self._append_page(page_items, closed)

    def _line(self, lines: Sequence[Line], i: int, out: list[Item]) -> int:
        line = lines[i]
        text = line.text
        if TOC_LEADER.search(text) or (self.in_toc and TOC_PAGE.search(text)):
            self.in_toc = True
            return i + 1
        if self.in_toc and self._wrapped_entry(lines, i):
            return i + 1
        self.in_toc = False
        if text.lower().strip(" :") in toc_titles():
            self.in_toc = True
            return i + 1
        level = self.style.heading_level(line)
        numbered = NUMBERING.match(text)
        if (level is not None and len(text) <= MAX_HEADING_CHARS) or _numbered_heading(line):
            return self._heading(lines, i, level, numbered, out)
        if self._inline_marker(lines, i):
            split_marker(line)
        if len(line.segments) >= 2 and is_marker(line.segments[0].text):
            return self._list_item(lines, i, out)
        if is_marker(text) and i + 1 < len(lines) and lines[i + 1].x0 > line.x1:
            return self._list_item(lines, i, out)  # the marker on a line of its own
        if self._emphasised_heading(lines, i):
            return self._heading(lines, i, len(self.style.heading_sizes) + 1, numbered, out)
        return self._paragraph(lines, i, out)

    @staticmethod
    def _inline_marker(lines: Sequence[Line], i: int) -> bool:
        """A marker followed by a word space starts a list item if the next line hangs
        under the item's text or a list nested under it starts, or a neighbour line starts
        with a marker at the same place."""
        line = lines[i]
        if line.body_x is None:
            return False
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and abs(nxt.x0 - line.body_x) <= INDENT_TOLERANCE:
            return True
        if (
            nxt is not None
            and nxt.x0 > line.x0 + INDENT_TOLERANCE
            and is_marker(nxt.segments[0].text)
        ):
            return True  # a list nested under it
        return any(
            0 <= k < len(lines)
            and (lines[k].body_x is not None or is_marker(lines[k].segments[0].text))
            and abs(lines[k].x0 - line.x0) <= INDENT_TOLERANCE
            for k in (i - 1, i + 1)
        )

    def _emphasised_heading(self, lines: Sequence[Line], i: int) -> bool:
        """A short line all in italics or bold, standing alone, not ending a sentence."""
        line = lines[i]
        if not line.emphasis or len(line.text) > MAX_HEADING_CHARS // 2:
            return False
        if line.text.endswith(TERMINAL) or not line.text[:1].isupper():
            return False
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and is_marker(nxt.segments[0].text):
            return False  # a lead-in to the list under it ("*Tre mål*")
        return nxt is None or nxt.top - line.top > PARAGRAPH_BREAK * line.size

    def _heading(
        self,
        lines: Sequence[Line],
        i: int,
        level: int | None,
        numbered: re.Match[str] | None,
        out: list[Item],
    ) -> int:
        line = lines[i]
        text = line.text
        j = i + 1
        while (
            j < len(lines)
            and abs(lines[j].size - line.size) < 0.5
            and lines[j].bold == line.bold
            and lines[j].top - lines[j - 1].top <= HEADING_JOIN * line.size
            and len(text) + len(lines[j].text) <= MAX_HEADING_CHARS
        ):
            text = join_wrapped(text, lines[j].text)
            j += 1
        depth = numbered.group(1).count(".") + 1 if numbered else None
        out.append(Item("heading", text, line.page, depth or level or 1, line.x0, line.ocr))
        return j

    def _list_item(self, lines: Sequence[Line], i: int, out: list[Item]) -> int:
        line = lines[i]
        marker = line.segments[0]
        if len(line.segments) == 1:  # the text starts on the next line
            i += 1
            line = lines[i]
            body, text = line.segments[0], line.text
        else:
            body, text = line.segments[1], " ".join(s.text for s in line.segments[1:])
        j = i + 1
        while j < len(lines) and self._continues(lines[j - 1], lines[j], body.x0):
            text = join_wrapped(text, lines[j].text)
            j += 1
        out.append(Item("list_item", text, line.page, 0, body.x0, line.ocr))
        out[-1].level = round(marker.x0)  # the marker's indent; levels are ranked later
        return j

    def _wrapped_entry(self, lines: Sequence[Line], i: int) -> bool:
        """Line i is a contents entry wrapped onto the next line, its page number there."""
        if i + 1 >= len(lines):
            return False
        nxt = lines[i + 1]
        return self._continues(lines[i], nxt, lines[i].x0) and bool(TOC_PAGE.search(nxt.text))

    def _continues(self, prev: Line, line: Line, x: float) -> bool:
        """`line` wraps the text of `prev` (its paragraph or list item starting at x)."""
        if line.top - prev.top > PARAGRAPH_BREAK * line.size or abs(line.size - prev.size) > 0.5:
            return False
        if abs(line.x0 - x) > INDENT_TOLERANCE and line.x0 < x:
            return False
        if is_marker(line.segments[0].text) and len(line.segments) >= 2:
            return False
        if self.style.heading_level(line) is not None or _numbered_heading(line):
            return False
        right = max(prev.x1, line.x1)
        ended = prev.text.endswith(TERMINAL) and prev.x1 < right - SHORT_LINE * prev.size
        return not ended or line.text[:1].islower()  # "Bitr." + "divisionschef …"

    def _paragraph(self, lines: Sequence[Line], i: int, out: list[Item]) -> int:
        line = lines[i]
        text = line.text
        j = i + 1
        while j < len(lines) and self._continues(lines[j - 1], lines[j], line.x0):
            text = join_wrapped(text, lines[j].text)
            j += 1
        out.append(Item("paragraph", text, line.page, 0, line.x0, line.ocr))
        return j

    def _append_page(self, page_items: list[Item], closed: bool = False) -> None:
        """Add a page's items, joining the first to the last of the page before when it
        continues it: a sentence or list item broken by the page, or a table (a
        sentence only when the flow before is not `closed`)."""
        if page_items and self.items:
            last, first = self.items[-1], page_items[0]
            if last.kind == "table" and first.kind == "table" and last.table and first.table:
                if continue_table(last.table, first.table):
                    page_items.pop(0)
            elif last.kind in ("paragraph", "list_item") and first.kind == "paragraph":
                runs_on = first.text[:1].islower() or last.text.endswith(RUNS_ON)
                open_end = runs_on or not (closed or last.text.endswith(TERMINAL))
                aligned = (
                    last.kind == "paragraph" or abs(first.x - last.x) <= INDENT_TOLERANCE or runs_on
                )
                if open_end and aligned:
                    joined = join_wrapped(last.text, first.text)
                    at = len(joined) - len(first.text)
                    ends_on = last.breaks[-1][1] if last.breaks else last.page
                    if first.page != ends_on:  # not the next column of the same page
                        last.breaks.append((at, first.page))
                    last.breaks += [(at + o, p) for o, p in first.breaks]
                    last.text = joined
                    page_items.pop(0)
        self.items.extend(page_items)

    def finish(self) -> list[Item]:
        """The items, with list levels ranked by marker indent within each list."""
        run: list[Item] = []
        for item in [*self.items, Item("end", "", 0)]:
            if item.kind == "list_item":
                run.append(item)
                continue
            indents: list[int] = []
            for x in sorted({i.level for i in run}):
                if not indents or x - indents[-1] > INDENT_TOLERANCE:
                    indents.append(x)
            for entry in run:
                entry.level = 1 + max(k for k, x in enumerate(indents) if entry.level >= x - 1)
            run = []
        return self.items
