"""Lines of a PDF page from positioned words, page furniture, and joining wrapped lines.

A `Line` is the words at one height, split into `segments` where the gap between two
words is wider than a column gap (a tab, a table column, the gap after a bullet).
Positions are PDF points from the top left of the page, as pdfplumber gives them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nara.vocabulary import words as vocabulary_words

COLUMN_GAP = 0.9
"""A gap wider than this many font sizes separates segments. Word spaces are about 0.3
em and a tab or table column gap at least one em in the LibreOffice, Word and reportlab
PDFs measured; 0.9 keeps a justified line's widest spaces inside one segment."""
MARKER_GAP = 0.4
"""After a list marker ("•", "1.", "a)") a gap wider than this many sizes (a normal space
is 0.25–0.32) is the writer's tab to the item's text, so the marker is a segment."""
MARKER = re.compile(r"^(?:[•●▪◦■□➢►‣⁃∙·*o\-–—]|\(?\d{1,2}[.)]|[a-zåäö]\))$")
SAME_LINE = 0.5
"""Words whose tops differ by less than this many font sizes stand on one line."""
FURNITURE_ZONE = 0.075
"""Headers and footers stand in the top or bottom 7.5 % of the page: Word and LibreOffice
put them 1.25 cm (4.4 %) from the edge, and body text starts at 2.5 cm (8.5 %)."""
FURNITURE_SHARE = 0.5
"""A line repeated (digits aside) on at least half the pages, and on two or more, is a
running header or footer."""
MIN_PARTIAL = 8
"""Characters a line needs before it can count as part of a running header."""
PAGE_NUMBER = re.compile(
    r"(?:(?:sida|sid|s\.|page)\s*)?\d{1,4}(?:\s*(?:av|/|of)\s*\d{1,4}|\s*\(\d{1,4}\))?", re.I
)


@dataclass
class Segment:
    x0: float
    x1: float
    text: str


@dataclass
class Line:
    top: float
    bottom: float
    size: float
    """The line's main font size, in points."""
    bold: bool
    emphasis: bool = False
    """All words bold or italic."""
    segments: list[Segment] = field(default_factory=list)
    page: int = 0
    ocr: bool = False
    flow: int = 0
    body_x: float | None = None
    """Where the text after a leading marker starts when only a word space follows the
    marker ("1. Behov…" as Chromium sets a numbered list): see `split_marker`."""
    """The column (reading flow) of its page the line belongs to; see `pdf_columns`."""

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def x1(self) -> float:
        return self.segments[-1].x1

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


def is_marker(text: str) -> bool:
    """A bullet or item number: "•", "–", "o", "1.", "2)", "a)", or a symbol-font glyph."""
    if MARKER.match(text):
        return True
    return len(text) == 1 and unicodedata.category(text) in ("Co", "So", "Sm", "Pd")


def _is_italic(font: str) -> bool:
    return bool(re.search(r"italic|oblique", font, re.I))


def _is_bold(font: str) -> bool:
    return bool(re.search(r"bold|black|heavy|semibold", font, re.I))


def build_lines(words: Sequence[dict[str, Any]], page: int, ocr: bool = False) -> list[Line]:
    """Words (pdfplumber's `extract_words` dicts with `size` and `fontname`) → lines,
    top to bottom, each split into segments at column gaps."""
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        size = float(word.get("size") or 10)
        middle = (word["top"] + word["bottom"]) / 2  # a dash's box is only mid-height
        for line in reversed(lines[-3:]):
            if abs(line[0]["top"] - word["top"]) < SAME_LINE * size or (
                line[0]["top"] < middle < line[0]["bottom"]
            ):
                line.append(word)
                break
        else:
            lines.append([word])
    out = []
    for ws in lines:
        ws.sort(key=lambda w: w["x0"])
        sizes = Counter(round(float(w.get("size") or 10), 1) for w in ws for _ in w["text"])
        size = sizes.most_common(1)[0][0]
        fonts = [str(w.get("fontname", "")) for w in ws]
        bold = all(_is_bold(f) for f in fonts)
        line = Line(min(w["top"] for w in ws), max(w["bottom"] for w in ws), size, bold)
        line.page, line.ocr = page, ocr
        line.emphasis = all(_is_bold(f) or _is_italic(f) for f in fonts)
        for w in ws:
            last = line.segments[-1] if line.segments else None
            gap = w["x0"] - last.x1 if last is not None else 0.0
            after_marker = len(line.segments) == 1 and is_marker(line.segments[0].text)
            if last is not None and after_marker and gap <= MARKER_GAP * size:
                line.body_x = w["x0"]
            if last is not None and gap <= (MARKER_GAP if after_marker else COLUMN_GAP) * size:
                last.text += " " + w["text"]
                last.x1 = w["x1"]
            else:
                line.segments.append(Segment(w["x0"], w["x1"], w["text"]))
        out.append(line)
    out.sort(key=lambda ln: ln.top)
    return out


def split_marker(line: Line) -> None:
    """Make a leading marker followed by only a word space a segment of its own."""
    if line.body_x is None or len(line.segments[0].text.split(" ", 1)) < 2:
        return
    first = line.segments[0]
    marker, rest = first.text.split(" ", 1)
    line.segments[0:1] = [
        Segment(first.x0, line.body_x, marker),
        Segment(line.body_x, first.x1, rest),
    ]
    line.body_x = None


def _key(line: Line) -> str:
    return re.sub(r"\d+", "#", line.text.lower()).strip()


def furniture(pages: Sequence[Sequence[Line]], heights: Sequence[float]) -> set[tuple[int, int]]:
    """(page index, line index) of running headers, footers and page numbers: lines in the
    top or bottom zone that recur on many pages, or that are only a page number."""
    zoned: list[list[int]] = []
    for lines, height in zip(pages, heights, strict=True):
        zoned.append(
            [
                i
                for i, ln in enumerate(lines)
                if (ln.top < FURNITURE_ZONE * height or ln.bottom > (1 - FURNITURE_ZONE) * height)
                and len(ln.segments) <= 2
            ]
        )
    counts = Counter(key for p, idx in enumerate(zoned) for key in {_key(pages[p][i]) for i in idx})
    needed = max(2, int(FURNITURE_SHARE * len(pages) + 0.5))
    running = {key for key, n in counts.items() if n >= needed}
    found = set()
    for p, idx in enumerate(zoned):
        for i in idx:
            line = pages[p][i]
            key = _key(line)
            # A part of a running line counts too: OCR may miss a word of it.
            partial = len(key) >= MIN_PARTIAL and any(key in k for k in running)
            if key in running or partial or PAGE_NUMBER.fullmatch(line.text.strip()):
                found.add((p, i))
    return found


def strip_page_numbers(text: str) -> str:
    """A header or footer line without its page number ("Sida 2 av 8", "2 (8)")."""
    parts = [p for p in re.split(r"\s{2,}|\t", text) if not PAGE_NUMBER.fullmatch(p.strip())]
    text = " ".join(parts)
    return re.sub(r"\b(?:sida|page)\s+\d+\s+(?:av|of)\s+\d+\b", "", text, flags=re.I).strip()


def _keep_hyphen_words() -> frozenset[str]:
    return frozenset(vocabulary_words("pdf_layout", "hyphen_kept_before"))


def join_wrapped(head: str, tail: str) -> str:
    """Join a line to the line it wrapped onto. A word hyphenated over the break is
    joined ("verksam-" + "heten"); a hyphen before a conjunction ("hälso-" + "och"), in
    a range or before a capital ("Mars-" + "Aug", "2024-" + "Dec") or after an
    abbreviation ("IT-" + "stöd") is kept."""
    if not head:
        return tail
    if not tail:
        return head
    if head.endswith("/-"):  # "omställningsarbetet/-" + "takter"
        return head + tail
    if head.endswith("–") and head[-2:-1].isdigit() and tail[:1].isdigit():
        return head + tail  # a range broken after its dash: "1–" + "3"
    if head.endswith("-") and len(head) >= 2 and head[-2].isalnum():
        first = tail.split()[0]
        stem = head.rsplit(" ", 1)[-1][:-1]
        if first.lower().strip(",.") in _keep_hyphen_words():
            return f"{head} {tail}"
        if tail[0].islower() and stem[-1:].islower() and not stem.isupper():
            return head[:-1] + tail
        return head + tail
    return f"{head} {tail}"
