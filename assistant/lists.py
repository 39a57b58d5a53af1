"""Lists in extractive answers: a lead-in brings the items that follow it, an item the
items after it and those nested under it. Items come from the document text, so that a
chunk boundary inside a list does not cut it off; each is quoted by its first sentence."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.answerers import Evidence
from assistant.evidence import Span, sentence_cuts, trimmed


def overlaps(span: Span, chosen: Sequence[Span]) -> bool:
    """The span overlaps a chosen one, or repeats its words (a sentence said twice)."""
    words = span.text.split()
    return any(
        (s.doc_id == span.doc_id and s.char_start < span.char_end and span.char_start < s.char_end)
        or s.text.split() == words
        for s in chosen
    )


ItemAccept = Callable[[Span, Sequence[Span], bool], bool]


def with_list_items(
    chosen: list[Span], evidence: Evidence, accept: ItemAccept | None = None
) -> list[Span]:
    """When a chosen span introduces a list ("… ansvaret att:"), the answer lists the
    items that follow it in the document; when it is an item, the items after it in its
    chunk. An item is quoted by its first sentence, when `accept` (the quote policy:
    the item, the quotes so far, True) takes it; without one, every item is."""
    out: list[Span] = []
    for span in chosen:
        if overlaps(span, out):
            continue
        out.append(span)
        if span.text.rstrip().endswith(":"):
            following = continuation(span, evidence) or _after_in_chunk(span, evidence)
        elif span.kind == "item":
            following = sub_items(span, evidence) or list(
                itertools.takewhile(lambda s: s.kind == "item", _after_in_chunk(span, evidence))
            )
        else:
            following = enumeration_after(span, evidence) or captioned_list(span, evidence)
        for item in following[:MAX_LIST_ITEMS]:
            nested = sub_items(item, evidence) if item.kind == "item" else []
            for s in [item, *nested]:
                if not overlaps(s, out) and (accept is None or accept(s, out, True)):
                    out.append(s)
    return out


def _ends_its_line(span: Span, evidence: Evidence) -> tuple[str, int] | None:
    """The span's document text and the end of the span's line, when nothing follows
    the span on that line; else None."""
    if evidence.document_text is None:
        return None
    text = evidence.document_text(span.doc_id)
    line_end = text.find("\n", span.char_end)
    if line_end < 0 or text[span.char_end : line_end].strip():
        return None
    return text, line_end


def enumeration_after(span: Span, evidence: Evidence) -> list[Span]:
    """The line right after a sentence that ends its paragraph, when that line is an
    enumeration ("Trygghet – Tillgänglighet – Delaktighet"): what the sentence
    announces ("… fyra värden styr arbetet.")."""
    found = _ends_its_line(span, evidence)
    if found is None:
        return []
    text, line_end = found
    m = re.match(r"\s*([^\n]+)", text[line_end:])
    if not m or not ENUMERATION.fullmatch(m.group(1).strip()):
        return []
    start, end = trimmed(text, line_end + m.start(1), line_end + m.end(1))
    return [_item(span, evidence, start, end, text, opens_line=span.opens_line)]


CAPTION_CHARS = 60
"""A line this short with no sentence end, right before a list, is its caption."""


def captioned_list(span: Span, evidence: Evidence) -> list[Span]:
    """The list a caption introduces ("*Tre mål har satts upp*" and its items): when the
    span is that caption, or the sentence that ends the paragraph before it."""
    found = _ends_its_line(span, evidence)
    if found is None:
        return []
    text, line_end = found
    lines = [
        m for m in re.finditer(r"[^\n]+", text[line_end : line_end + 1000]) if m.group().strip()
    ]
    if not lines:
        return []
    if _caption(span.text) and LEADING.match(lines[0].group().strip()):
        return continuation(span, evidence)
    if (
        len(lines) < 2
        or not _caption(lines[0].group())
        or not LEADING.match(lines[1].group().strip())
    ):
        return []
    after_caption = replace(span, char_end=line_end + lines[0].end())
    return continuation(after_caption, evidence)


def _caption(line: str) -> bool:
    clean = line.strip().strip("*_ ")
    return (
        0 < len(clean) <= CAPTION_CHARS
        and not clean.endswith((".", ":", "!", "?"))
        and (not LEADING.match(clean))
    )


ENUMERATION = re.compile(r"[^.!?:\n]{1,60}(?:\s[-–]\s[^.!?:\n]{1,60}){2,}")
"""Three or more short names joined by dashes, with no sentence end."""


def _after_in_chunk(span: Span, evidence: Evidence) -> list[Span]:
    """The spans after `span` in its chunk; of each item only its first sentence."""
    return sorted(
        (
            s
            for s in evidence.spans
            if s.result.chunk.chunk_id == span.result.chunk.chunk_id
            and s.char_start >= span.char_end
            and (s.kind != "item" or s.opens_line)
        ),
        key=lambda s: s.char_start,
    )


MAX_LIST_ITEMS = 10
MAX_ITEM_CHARS = 200


def continuation(span: Span, evidence: Evidence) -> list[Span]:
    """The items that follow a lead-in in the document, across chunk boundaries: each
    marked item by its first sentence; before any marked item, short unmarked lines (a
    list whose markers the source lost), and at most one longer line."""
    if evidence.document_text is None:
        return []
    text = evidence.document_text(span.doc_id)
    out: list[Span] = []
    marked_seen = False
    for m in re.finditer(r"[^\n]+", text[span.char_end : span.char_end + 5000]):
        line = m.group()
        if not line.strip():
            continue
        marked = bool(LEADING.match(line.strip()))
        if len(out) >= MAX_LIST_ITEMS or (
            not marked and (marked_seen or (out and len(line) > MAX_ITEM_CHARS))
        ):
            break
        marked_seen = marked_seen or marked
        cut = sentence_cuts(line, marked)[1]
        start, end = trimmed(text, span.char_end + m.start(), span.char_end + m.start() + cut)
        out.append(_item(span, evidence, start, end, text, opens_line=True))
        if not marked and len(line) > MAX_ITEM_CHARS:
            break
    return out


def sub_items(span: Span, evidence: Evidence) -> list[Span]:
    """The items nested under an item (indented below it), from the document, so that a
    chunk boundary inside them does not cut them off; each by its first sentence."""
    if evidence.document_text is None:
        return []
    text = evidence.document_text(span.doc_id)
    line_start = text.rfind("\n", 0, span.char_start) + 1
    indent = _indent(text[line_start : span.char_start])
    line_end = text.find("\n", span.char_end)
    out: list[Span] = []
    if line_end < 0:
        return out
    for m in re.finditer(r"[^\n]+", text[line_end : line_end + 5000]):
        line = m.group()
        if not LEADING.match(line.strip()) or _indent(line) <= indent:
            break
        at = line_end + m.start()
        start, end = trimmed(text, at, at + sentence_cuts(line, True)[1])
        out.append(_item(span, evidence, start, end, text, kind=span.kind))
        if len(out) >= MAX_LIST_ITEMS:
            break
    return out


def _item(
    span: Span,
    evidence: Evidence,
    start: int,
    end: int,
    text: str,
    kind: str = "item",
    opens_line: bool | None = None,
) -> Span:
    """An item at `start:end` of the document text, quoted after `span` (and cited under
    its chunk): on the page and with the similarity of the retrieved span at those
    offsets when there is one, else on `span`'s page with no similarity known (0)."""
    known = next(
        (
            k
            for k in evidence.spans
            if (k.doc_id, k.char_start, k.char_end) == (span.doc_id, start, end)
        ),
        None,
    )
    return replace(
        span,
        char_start=start,
        char_end=end,
        text=text[start:end],
        kind=kind,
        opens_line=span.opens_line if opens_line is None else opens_line,
        page=known.page if known else span.page,
        similarity=known.similarity if known else 0.0,
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


LEADING = re.compile(r"^(?:[-•*–▪◦●]|\d{1,2}[.)])\s+")
