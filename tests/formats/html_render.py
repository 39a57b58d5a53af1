"""A sample as HTML: the input pandoc converts to DOCX and Chromium prints to PDF."""

from __future__ import annotations

import html
from collections.abc import Iterator

from source import Item, Source, blocks, inline_html

TOC_PLACEHOLDER = "[[TOC]]"
"""A paragraph the DOCX post-processing replaces by a Word table-of-contents field."""
HEADINGS_PER_PAGE = 3  # page numbers printed in a TOC: a plausible spread, not measured

PRINT_CSS = """
body { font-family: 'DejaVu Serif', serif; font-size: 11pt; line-height: 1.35; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; } h3 { font-size: 12.5pt; } h4 { font-size: 11pt; }
table { border-collapse: collapse; width: 100%; margin: 8pt 0; }
th, td { border: 0.6pt solid #444; padding: 3pt 5pt; vertical-align: top; text-align: left; }
thead { display: table-header-group; } tr { break-inside: avoid; }
p.toc { margin: 0; } p.toc span { float: right; }
"""
TWO_COLUMN_CSS = (
    "main { columns: 2; column-gap: 18pt; } h1 { column-span: all; }"
    # A table wider than a column spans both, as two-column layouts set wide tables;
    # set inside one column, Chromium clips its last column at the page edge.
    " table { column-span: all; }"
)


def _list_html(run: list[Item]) -> Iterator[str]:
    stack: list[str] = []
    for item in run:
        level = max(1, min(item.level, len(stack) + 1))
        if len(stack) >= level:
            while len(stack) > level:
                yield f"</li></{stack.pop()}>"
            yield "</li>"
        while len(stack) < level:
            tag = "ol" if item.ordered else "ul"
            stack.append(tag)
            yield f"<{tag}>"
        yield f"<li>{inline_html(item.text)}"
    while stack:
        yield f"</li></{stack.pop()}>"


def _table_html(item: Item) -> Iterator[str]:
    yield "<table>"
    if item.header:
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in item.header)
        yield f"<thead><tr>{cells}</tr></thead>"
    yield "<tbody>"
    for row in item.rows:
        yield "<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>"
    yield "</tbody></table>"


def _toc_html(source: Source, title: str, printed: bool) -> Iterator[str]:
    if not printed:
        yield f"<p>{TOC_PLACEHOLDER}</p>"
        return
    yield f"<h2>{html.escape(title)}</h2>"
    for n, (level, text) in enumerate(source.toc):
        page = 2 + n // HEADINGS_PER_PAGE
        indent = (level - 1) * 12
        yield (
            f'<p class="toc" style="margin-left:{indent}pt">{html.escape(text)}'
            f"<span>{page}</span></p>"
        )


def body_html(source: Source, printed: bool) -> str:
    """The document's body; `printed` renders the TOC as text (a PDF has no TOC field)."""
    out: list[str] = []
    for block in blocks(source.items):
        item = block[0]
        if item.kind == "list":
            out.extend(_list_html(block))
        elif item.kind == "heading":
            level = min(item.level, 6)
            out.append(f"<h{level}>{html.escape(item.text)}</h{level}>")
        elif item.kind == "paragraph":
            out.append(f"<p>{inline_html(item.text)}</p>")
        elif item.kind == "table":
            out.extend(_table_html(item))
        elif item.kind == "toc":
            out.extend(_toc_html(source, item.text, printed))
    return "\n".join(out)


def page_html(source: Source, printed: bool, two_column: bool = False) -> str:
    css = PRINT_CSS + (TWO_COLUMN_CSS if two_column else "")
    return (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
        f"<style>{css}</style></head><body><main>{body_html(source, printed)}</main>"
        "</body></html>"
    )
