"""An answer as the staff chat shows it: answer first, then the supporting statements
grouped once per document, then the sources (collapsible) with each quote highlighted in
its surrounding text. Pure functions, no Gradio (tested in tests/test_chat_answer.py).

Everything from a document or a question is HTML-escaped, and no link is made from it
(`plain_links`). Each citation marker "[n]" becomes a focusable element that opens and
highlights its source (the page script in ui/chat/i18n.py handles the click); it is not
an `<a>`, so no markup in the answer can become a link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from assistant.model import Citation
from ui.app.text import html_text, plain_links, swedish_quotes

CONTEXT_CHARS = 200
"""Characters of surrounding text shown on each side of a quoted passage."""

WORDS = {
    "sv": {"sources": "Källor", "source": "Källa", "page": "sida", "file": "Fil"},
    "en": {"sources": "Sources", "source": "Source", "page": "page", "file": "File"},
}
"""Labels in the answer's language (`Answer.lang`); the rest of the chat is Swedish."""

_MARKER = re.compile(r"\[(\d+)\]")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
_BULLET = re.compile(r"^\s*[-*•]\s+")


def _words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["sv"])


# -- document text as HTML -----------------------------------------------------------
def inline_html(text: str) -> str:
    """One line of document text: escaped, `**bold**` as bold, table cells separated by
    " · " (a tab is invisible in running text)."""
    escaped = html_text(text.replace("\t", " · "))
    return _STRONG.sub(r"<strong>\1</strong>", escaped)


def block_html(text: str) -> str:
    """Document text (Markdown as the ingesters write it): headings as bold lines, bold as
    bold, table rows with visible cell separators; lines kept as <br>. Never raw "###"."""
    lines = []
    for line in _BLANK_LINES.sub("\n\n", text).split("\n"):
        heading = _HEADING.match(line)
        if heading:
            lines.append(f'<strong class="nara-h">{inline_html(heading.group(2))}</strong>')
        else:
            lines.append(inline_html(line))
    return "<br>".join(lines)


def table_header(text: str, pos: int) -> list[str] | None:
    """The header cells of the table whose row holds `pos`: the first line of the run of
    tab-separated lines around it, when that is not the row itself."""
    line_start = text.rfind("\n", 0, pos) + 1
    first = line_start
    while first > 0:
        previous = text.rfind("\n", 0, first - 1) + 1
        if "\t" not in text[previous : first - 1]:
            break
        first = previous
    if first == line_start:
        return None
    header = text[first : text.find("\n", first)].split("\t")
    return header if len(header) >= 2 else None


def quote_html(quote: str, header: list[str] | None) -> str:
    """The quoted text, highlighted. A table row with a known header is a small
    two-column table (column name, value)."""
    cells = quote.strip("\n").split("\t")
    if header and "\n" not in quote.strip("\n") and len(cells) == len(header):
        rows = "".join(
            f"<tr><th>{inline_html(name)}</th><td><mark>{inline_html(value)}</mark></td></tr>"
            for name, value in zip(header, cells, strict=True)
            if value.strip()
        )
        return f'<table class="nara-row">{rows}</table>'
    return f"<mark>{block_html(quote)}</mark>"


def _snap_start(text: str, lo: int, limit: int) -> int:
    if lo <= 0:
        return 0
    space = re.search(r"\s", text[lo:limit])
    return lo + space.end() if space else lo


def _snap_end(text: str, hi: int, limit: int) -> int:
    if hi >= len(text):
        return len(text)
    cut = max(text.rfind(" ", limit, hi), text.rfind("\n", limit, hi), text.rfind("\t", limit, hi))
    return cut if cut > limit else hi


def passage_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> str:
    """`text[start:end]` inside up to `context` characters of its surrounding text (cut at
    word boundaries, "…" where cut), the quote highlighted, Markdown rendered."""
    start, end = max(0, start), min(len(text), end)
    lo = _snap_start(text, max(0, start - context), start)
    hi = _snap_end(text, min(len(text), end + context), end)
    return (
        ("…" if lo > 0 else "")
        + block_html(text[lo:start])
        + quote_html(text[start:end], table_header(text, start))
        + block_html(text[end:hi])
        + ("…" if hi < len(text) else "")
    )


# -- an answer -------------------------------------------------------------------------
def source_id(turn: int, cid: int) -> str:
    return f"nara-s{turn}-{cid}"


def markers_html(escaped: str, turn: int) -> str:
    """Citation markers as focusable elements that open their source. The chat's HTML
    sanitizer keeps ids but not data attributes, so the source is named by the id:
    "nara-c{turn}-{n}-{k}" (k: the marker's place, ids stay unique) opens "nara-s{turn}-{n}"."""
    count = iter(range(1_000_000))
    return _MARKER.sub(
        lambda m: (
            f'<span class="nara-cite" role="link" tabindex="0" '
            f'id="nara-c{turn}-{m.group(1)}-{next(count)}">[{m.group(1)}]</span>'
        ),
        escaped,
    )


def statement_html(line: str) -> str:
    """One statement of the answer, escaped, without its list bullet; markers still text."""
    text = swedish_quotes(_BULLET.sub("", line).strip())
    return plain_links(html.escape(text, quote=False))


def body_html(answer_text: str, citations: Sequence[Citation]) -> str:
    """The answer's own text. With citations: its first statement as the lead line, then
    the other statements grouped under their document's title, once per document (the
    answerer's "According to …" lines are replaced by these group titles). Without
    citations (a refusal): the text as it is."""
    if not citations:
        return f'<p class="nara-lead">{statement_html(answer_text)}</p>'
    by_id = {c.id: c for c in citations}
    statements = [ln for ln in answer_text.splitlines() if _MARKER.search(ln)]
    if not statements:
        return f'<p class="nara-lead">{statement_html(answer_text)}</p>'
    parts = [f'<p class="nara-lead">{statement_html(statements[0])}</p>']
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for line in statements[:1]:  # the lead's document is named first, even alone
        lead = by_id.get(int(_MARKER.search(line).group(1)))  # type: ignore[union-attr]
        if lead:
            titles[lead.source.document_id] = lead.source.title
            groups[lead.source.document_id] = []
    for line in statements[1:]:
        first = by_id.get(int(_MARKER.search(line).group(1)))  # type: ignore[union-attr]
        doc = first.source.document_id if first else ""
        titles.setdefault(doc, first.source.title if first else "")
        groups.setdefault(doc, []).append(f"<li>{statement_html(line)}</li>")
    for doc, items in groups.items():
        title = html_text(titles[doc])
        listed = f"<ul>{''.join(items)}</ul>" if items else ""
        parts.append(
            f'<div class="nara-group"><div class="nara-group-title">{title}</div>{listed}</div>'
        )
    return "".join(parts)


def source_label_html(citation: Citation, lang: str) -> str:
    """ "[1] Titel – Avsnitt, sida 3" and, on a detail line, the file name."""
    src, w = citation.source, _words(lang)
    label = html_text(src.title or "(okänt dokument)")
    if src.section:
        label += " – " + html_text(src.section)
    if src.page is not None:
        label += f", {w['page']} {src.page}"
    return (
        f'<div class="nara-source-title"><strong>[{citation.id}]</strong> {label}</div>'
        f'<div class="nara-source-file">{w["file"]}: {html_text(src.file)}</div>'
    )


def citation_html(citation: Citation, document_text: str | None, turn: int, lang: str) -> str:
    """One source: label, file, and the quote in its context (the bare quote when the
    stored text no longer holds it: the document was replaced or removed)."""
    src = citation.source
    if document_text is not None and document_text[src.char_start : src.char_end] == citation.quote:
        passage = passage_html(document_text, src.char_start, src.char_end)
    else:
        passage = quote_html(citation.quote, None)
    return (
        f'<div class="nara-source" id="{source_id(turn, citation.id)}">'
        f"{source_label_html(citation, lang)}"
        f'<div class="nara-passage">{passage}</div></div>'
    )


def sources_html(
    citations: Sequence[Citation], texts: Mapping[str, str | None], turn: int, lang: str = "sv"
) -> str:
    """All sources of an answer, collapsed; `texts` maps document id to its stored text."""
    if not citations:
        return ""
    w = _words(lang)
    blocks = "".join(
        citation_html(c, texts.get(c.source.document_id), turn, lang) for c in citations
    )
    title = w["source"] if len(citations) == 1 else f"{w['sources']} ({len(citations)})"
    return (
        f'<details class="nara-sources"><summary class="nara-sources-title">{title}</summary>'
        f"{blocks}</details>"
    )


def answer_html(
    answer_text: str,
    citations: Sequence[Citation],
    texts: Mapping[str, str | None],
    turn: int,
    lang: str = "sv",
) -> str:
    """The whole chat message of an answer, one HTML block (no blank line inside, so the
    chat's Markdown renderer leaves it as HTML)."""
    body = markers_html(body_html(answer_text, citations), turn)
    sources = sources_html(citations, texts, turn, lang)
    return f'<div class="nara-answer" id="nara-a{turn}">{body}{sources}</div>'


def statements_of(answer_text: str) -> list[str]:
    """The answer's statements: its lines that cite ([n]), in order."""
    return [ln for ln in answer_text.splitlines() if _MARKER.search(ln)]


def streaming_html(
    answer_text: str, citations: Sequence[Citation] = (), count: int | None = None
) -> str:
    """The answer while it streams: its first `count` statements (all when None) in the
    final answer's layout, the lead line first; grouped under their documents once the
    `citations` are known; markers plain, no sources yet. Not a `nara-answer` block, so
    the page script scrolls to the answer's start once, when the whole answer is shown.
    Text with no statement yet (a refusal) is shown as it is."""
    statements = statements_of(answer_text)[:count]
    if not statements:
        lines = [ln for ln in answer_text.splitlines() if ln.strip()]
        body = "".join(f"<p>{statement_html(ln)}</p>" for ln in lines)
    elif citations:
        body = body_html("\n".join(statements), citations)
    else:
        rest = "".join(f"<li>{statement_html(ln)}</li>" for ln in statements[1:])
        body = f'<p class="nara-lead">{statement_html(statements[0])}</p>' + (
            f'<div class="nara-group"><ul>{rest}</ul></div>' if rest else ""
        )
    return f'<div class="nara-streaming">{body}</div>'
