"""Document metadata inferred from content, because file names say nothing.

A sidecar file `<name>.meta.yaml` beside the document overrides what is inferred
(`ingest.sidecar`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.dates import cued_dates, dates_in, is_date_line
from ingest.model import Block, DocumentMetadata, ReadNotes
from ingest.organisations import infer_organisations
from nara.vocabulary import vocabulary, words

YEAR_SPAN = re.compile(r"\b(20\d\d)\s*[-–]\s*(20\d\d)\b")
BREADCRUMB = re.compile(r"\S\s*(?:>|»|›|/|\\)\s*\S.*\s(?:>|»|›|/|\\)\s*\S")
""""Startsida > Vård > Nära vård": two or more path separators on one line."""
MAX_TITLE = 120
"""Longer lines are prose, not titles (the longest sample title is 118 characters)."""
PROSE_MIN = 60
"""A paragraph this long that ends a sentence is body text: the opening ends with it."""
OPENING_MAX = 2500
"""The opening never reaches further (a table of contents, a long byline)."""


def _sentence_case(text: str, body: str) -> str:
    """'GEMENSAM SYSTEMLEDNING DOROTEA' → 'Gemensam systemledning Dorotea' (names kept)."""
    if not text.isupper():
        return text
    words = []
    for i, word in enumerate(text.split()):
        proper = word.capitalize()
        lower_seen = re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", body)
        if i == 0 or (proper in body and not lower_seen):
            words.append(proper)
        else:
            words.append(word.lower())
    return " ".join(words)


def _doc_type_of(text: str) -> str | None:
    """The form the text names first ("Faktablad: Kommittédirektiv …" → faktablad)."""
    low = text.lower()
    best: tuple[int, int, str] | None = None
    for word, doc_type in vocabulary()["document_forms"].items():
        at = low.find(word)
        if at >= 0 and (best is None or (at, -len(word)) < best[:2]):
            best = (at, -len(word), doc_type)
    return best[2] if best else None


def _names_form_first(line: str) -> bool:
    """A subtitle that says the form: "Förstudie med handlingsplan"."""
    first = line.split()[0].lower() if line.split() else ""
    return any(first.startswith(word) for word in vocabulary()["document_forms"])


def _not_a_title(line: str) -> bool:
    """Dates, date lines, breadcrumbs and page furniture ("Läs", "Dela") are no titles."""
    clean = line.strip(" .:*_#").lower()
    return (
        not clean
        or clean in words("page_furniture")
        or clean in words("generic_headings")
        or is_date_line(line)
        or bool(BREADCRUMB.search(line))
        or len(line) > MAX_TITLE
        or not re.search(r"[a-zåäö]{3}", line, re.I)
    )


def _opening_lines(text: str, limit: int = 30) -> list[str]:
    lines = []
    for raw in text.split("\n"):
        line = re.sub(r"^#+\s*", "", raw.strip())
        if line:
            lines.append(line)
        if len(lines) >= limit:
            break
    return lines


def _is_h1(text: str, blocks: Sequence[Block], line: str, top: Block | None) -> bool:
    """The line is a top heading: a Markdown `# `, or (styled headings) the first one."""
    return any(
        b.kind == "heading"
        and b.level == 1
        and text[b.start : b.end] == line
        and (b is top or text[max(0, b.start - 2) : b.start] == "# ")
        for b in blocks
    )


def _level_of(text: str, blocks: Sequence[Block], line: str) -> int | None:
    return next(
        (b.level for b in blocks if b.kind == "heading" and text[b.start : b.end] == line), None
    )


def _outranks(text: str, blocks: Sequence[Block], above: str, line: str) -> bool:
    """`above` is a heading of a higher rank than the heading `line` right under it: the
    title over a subtitle that names the form, where no `#` marks the title (a PDF)."""
    upper, lower = _level_of(text, blocks, above), _level_of(text, blocks, line)
    return upper is not None and lower is not None and upper < lower and not _not_a_title(above)


def infer_title(text: str, blocks: Sequence[Block], styled_headings: bool = False) -> str:
    """The title: the first top-level heading (a Markdown `#`, a DOCX Title or styled
    level 1, an HTML h1, a PDF's largest text), else an opening line that names a document
    form; never a date line, a breadcrumb or a page label such as "Läs"."""
    lines = _opening_lines(text)
    top = next(  # with styled headings, the first top heading stands for `# `
        (
            b
            for b in blocks
            if styled_headings
            and b.kind == "heading"
            and b.level == 1
            and text[b.start : b.end].lower() not in words("generic_headings")
        ),
        None,
    )
    for i, line in enumerate(lines):
        if line.endswith(".") or _not_a_title(line):
            continue
        h1 = _is_h1(text, blocks, line, top)
        if not (h1 or _doc_type_of(line)):
            continue
        title = _sentence_case(line, text)
        if (
            not h1
            and i > 0
            and _names_form_first(line)
            and _outranks(text, blocks, lines[i - 1], line)
        ):
            title = f"{_sentence_case(lines[i - 1], text)} – {title}"
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        last_word = line.split()[-1].lower()
        if nxt and not nxt.endswith(".") and not _not_a_title(nxt):
            joins = last_word in words("title_join_words")  # "Plan för" / "nära vård"
            if joins or (len(line.split()) == 1 and (not h1 or top)):
                title = f"{title} {nxt}"
            elif _names_form_first(nxt):
                title = f"{title} – {nxt}"
        return title
    for block in blocks:
        heading = text[block.start : block.end]
        if block.kind == "heading" and _doc_type_of(heading) and not _not_a_title(heading):
            return heading
    first = next(
        (b for b in blocks if b.kind == "heading" and not _not_a_title(text[b.start : b.end])),
        None,
    )
    if first is not None and first.level == 1:
        heading = text[first.start : first.end]
        if not heading[:1].isdigit():
            return _sentence_case(heading, text)
    return ""


def opening_of(text: str, blocks: Sequence[Block]) -> tuple[str, str]:
    """(byline, opening): the text before the first paragraph of body text (title,
    byline, date lines), and that text with the paragraph, where a document says who it
    is by, between whom and when."""
    for block in blocks:
        if block.start >= OPENING_MAX:
            break
        body = text[block.start : block.end].strip()
        if block.kind == "paragraph" and len(body) >= PROSE_MIN and body[-1] in ".!?:":
            return text[: block.start], text[: block.end]
    return text[:OPENING_MAX], text[:OPENING_MAX]


def infer_dates(
    text: str, title: str, byline: str, opening: str
) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """(the document's date, valid until, first and last year concerned). The date is
    the first date announced as an issue date ("Publicerad", "Beslutad", "Antagen") in
    the opening, else a date standing in the byline, else an issue date anywhere, else
    the date it takes effect ("Gäller från")."""
    candidates = (
        cued_dates(opening, "issued"),
        dates_in(byline),
        cued_dates(text, "issued"),
        cued_dates(text, "valid_from"),
    )
    date = next((found[0].iso for found in candidates if found), None)
    until = cued_dates(text, "valid_until", year_only=True)
    valid_until = until[0].iso if until else None
    years = [int(v[:4]) for v in (date, valid_until) if v]
    if span := YEAR_SPAN.search(title):
        years += [int(span.group(1)), int(span.group(2))]
    return date, valid_until, (min(years), max(years)) if years else None


def infer_metadata(
    text: str, blocks: Sequence[Block], notes: ReadNotes | None = None
) -> DocumentMetadata:
    """`notes.furniture`: page header and footer lines (e.g. of a DOCX), read as if they
    opened the text, as they do in a text extracted page by page; the title is the body's."""
    notes = notes or ReadNotes()
    title = infer_title(text, blocks, notes.styled_headings)
    byline, opening = opening_of(text, blocks)
    if notes.furniture:
        head = "\n".join(notes.furniture) + "\n\n"
        byline, opening = head + byline, head + opening
    context = "\n\n".join([*notes.furniture, text]) if notes.furniture else text
    orgs, region = infer_organisations(context, opening)
    date, valid_until, years = infer_dates(context, title, byline, opening)
    doc_type = _doc_type_of(title) or _doc_type_of(opening) or "dokument"
    return DocumentMetadata(title, orgs, region, doc_type, date, valid_until, years)
