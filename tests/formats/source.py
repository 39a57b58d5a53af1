"""The sample documents as writer-neutral items, for the format corpus generators.

A sample is plain text with Markdown-ish headings (`#`), list markers and tab-separated
tables. It is read with the project's own line parser, so each writer renders the same
structure the txt store sees: headings with levels, list items with nesting (and whether
their marker was a number), tables with their column names, paragraphs with `**bold**`
and `*italic*` spans. Repeated page furniture of the source becomes the page header; a
table of contents is a placeholder that each writer renders its own way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from ingest.readers import read_text
from ingest.structure import repeated_lines, split_lines

TOC_TITLES = {"innehåll", "innehållsförteckning"}
"""Headings a table of contents stands under (the generic ones of ingest/metadata.py)."""
ISO_DATE = re.compile(r"^(?:19|20)\d\d-[01]\d-[0-3]\d$")
ORGANISATION = re.compile(r"\b(?:Region [A-ZÅÄÖ]|[A-ZÅÄÖ][\wåäö-]+ (?:kommun|KOMMUN)\b|Styrgrupp)")
OPENING_LINES = 12  # where a document's date line and organisation are looked for
NUMBER_MARKER = re.compile(r"^\d{1,2}[.)]\s+")
INLINE = re.compile(r"\*\*(.+?)\*\*|\*(.+?)\*")


@dataclass
class Item:
    kind: str  # heading | paragraph | list | table | toc
    text: str = ""
    level: int = 0
    ordered: bool = False
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Source:
    stem: str
    items: list[Item]
    header_lines: list[str]
    """Page header text: the date line and organisation of the document."""

    @property
    def toc(self) -> list[tuple[int, str]]:
        """(level, title) of the headings after the table of contents (levels 1–3)."""
        kinds = [i.kind for i in self.items]
        after = kinds.index("toc") + 1 if "toc" in kinds else 0
        shown = [i for i in self.items[after:] if i.kind == "heading" and i.level <= 3]
        return [(i.level, i.text) for i in shown]


def blocks(items: list[Item]) -> Iterator[list[Item]]:
    """The items in order, consecutive list items together (one list), every other item
    alone: what each writer renders as one block."""
    for is_list, group in groupby(items, key=lambda item: item.kind == "list"):
        if is_list:
            yield list(group)
        else:
            yield from ([item] for item in group)


def runs(text: str) -> list[tuple[str, bool, bool]]:
    """(text, bold, italic) runs of a line with `**bold**` and `*italic*` spans."""
    out: list[tuple[str, bool, bool]] = []
    pos = 0
    for m in INLINE.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False, False))
        out.append((m.group(1) or m.group(2), m.group(1) is not None, m.group(2) is not None))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False, False))
    return out


def plain(text: str) -> str:
    return "".join(t for t, _, _ in runs(text))


def inline_html(text: str) -> str:
    parts = []
    for t, bold, italic in runs(text):
        t = html.escape(t)
        parts.append(f"<strong>{t}</strong>" if bold else f"<em>{t}</em>" if italic else t)
    return "".join(parts)


def _header_lines(text: str) -> list[str]:
    lines = list(split_lines(text))
    furniture = sorted(repeated_lines(lines), key=lambda s: text.find(s))
    if furniture:
        return furniture
    opening = [ln.text.lstrip("# ") for ln in lines if ln.text][:OPENING_LINES]
    date = next((t for t in opening if ISO_DATE.match(t)), None)
    org = next((t for t in opening if ORGANISATION.search(t) and len(t) <= 60), None)
    return [t for t in (org, date) if t]


def read_source(path: Path) -> Source:
    text, blocks = read_text(path, path.read_bytes())
    items: list[Item] = []
    marked = [b for b in blocks if b.kind == "heading" and _marked(text, b.start)]
    first_marked = marked[0].start if marked else 0
    for block in blocks:
        body = text[block.start : block.end]
        if block.kind == "heading" and block.start < first_marked:
            items.append(Item("paragraph", f"**{body}**"))  # a letterhead, set in bold
        elif block.kind == "heading":
            if body.lower() in TOC_TITLES:
                items.append(Item("toc", body))
            else:
                items.append(Item("heading", plain(body), block.level))
        elif block.kind == "list_item":
            line_start = text.rfind("\n", 0, block.start) + 1
            marker = text[line_start : block.start].strip()
            if inner := NUMBER_MARKER.match(body):  # "- 1) Area": a numbered item
                body, marker = body[inner.end() :], inner.group(0)
            items.append(Item("list", body, block.level, ordered=marker[:1].isdigit()))
        elif block.kind == "table_row":
            _add_row(items, block.cells)
        else:
            items.append(Item("paragraph", body))
    return Source(path.stem, items, _header_lines(text))


def _marked(text: str, start: int) -> bool:
    """A heading written with `#` in the source, not inferred from a short line."""
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start].strip().startswith("#")


def _add_row(items: list[Item], cells: tuple[tuple[str, str], ...]) -> None:
    names = [n for n, _ in cells]
    named = not names[0].startswith("Kolumn ")
    last = items[-1] if items else None
    if last is None or last.kind != "table" or (named and not set(names) <= set(last.header)):
        last = Item("table", header=names if named else [])
        items.append(last)
    if named:
        values = dict(cells)
        last.rows.append([values.get(n, "") for n in last.header])
    else:
        last.rows.append([c for _, c in cells])


def sources(corpus: Path) -> list[Source]:
    return [read_source(p) for p in sorted(corpus.glob("*.txt"))]
