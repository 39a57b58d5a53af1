"""Pure helpers of the staff chat (ui/chat.py): HTML and table rows from answers, registers
and documents, Swedish messages, the admin key check. No Gradio, no I/O, so every piece is
tested directly (tests/test_chat_render.py).

Everything taken from a document or a question is HTML-escaped here; the chat shows the
result as Markdown with inline HTML, so nothing from a document can become markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from assistant.model import Answer, Citation, Turn
from ingest.untrusted import Flag
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.store import DocumentRecord
from nara.errors import IngestError, NaraError

CONTEXT_CHARS = 200
"""Characters of surrounding text shown on each side of a quoted passage."""

GENERIC_ERROR = (
    "Något gick fel när svaret skulle tas fram. Försök igen om en stund; "
    "kvarstår felet, kontakta den som förvaltar assistenten."
)
SEARCHING = "_Söker i dokumenten …_"


# -- text ------------------------------------------------------------------------------
_LINK_MARKS = re.compile(r"(?<=[A-Za-z0-9])(://)|\b(www)\.|(?<=\w)(@)(?=\w)|(\[)(?!\d+\])")
_ENTITY = {"://": "&#58;//", "www": "www&#46;", "@": "&#64;", "[": "&#91;"}


def plain_links(escaped: str) -> str:
    """HTML-escaped text in which no link can become clickable: the marks by which
    Markdown (marked, GFM) makes a link ("https://", "www.", "a@b", the "[" of
    "[text](url)"; not of a citation marker "[1]") are written as character references,
    which the browser shows as the same characters.
    Document text is unvetted (issue #16): a link in a quote is shown, never followed."""
    return _LINK_MARKS.sub(lambda m: _ENTITY[next(g for g in m.groups() if g)], escaped)


def html_text(text: str) -> str:
    """Escaped text for HTML, links shown as text (`plain_links`); line breaks kept as
    <br> (the block stays on one line, so Markdown treats it as one HTML block)."""
    return plain_links(html.escape(text)).replace("\r\n", "\n").replace("\n", "<br>")


def page_label(page: int | None) -> str:
    return f"sida {page}" if page is not None else ""


def source_label(title: str, section: str, page: int | None) -> str:
    """ "Titel – Avsnitt, sida 3" (plain text; parts that are missing are left out)."""
    label = title or "(okänt dokument)"
    if section:
        label += f" – {section}"
    if page is not None:
        label += f", {page_label(page)}"
    return label


# -- quoted passages -----------------------------------------------------------------
def _snap_start(text: str, lo: int, limit: int) -> int:
    """Move a context start forward to a word boundary, never past `limit`."""
    if lo <= 0:
        return 0
    space = re.search(r"\s", text[lo:limit])
    return lo + space.end() if space else lo


def _snap_end(text: str, hi: int, limit: int) -> int:
    """Move a context end back to a word boundary, never before `limit`."""
    if hi >= len(text):
        return len(text)
    cut = max(text.rfind(" ", limit, hi), text.rfind("\n", limit, hi), text.rfind("\t", limit, hi))
    return cut if cut > limit else hi


_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


def passage_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> str:
    """`text[start:end]` inside its surrounding text, the quote in <mark>, all escaped.
    The quote is shown exactly; runs of blank lines around it are shortened to one."""
    start, end = max(0, start), min(len(text), end)
    lo = _snap_start(text, max(0, start - context), start)
    hi = _snap_end(text, min(len(text), end + context), end)
    before, quote, after = text[lo:start], text[start:end], text[end:hi]
    return (
        ("…" if lo > 0 else "")
        + html_text(_BLANK_LINES.sub("\n\n", before))
        + "<mark>"
        + html_text(quote)
        + "</mark>"
        + html_text(_BLANK_LINES.sub("\n\n", after))
        + ("…" if hi < len(text) else "")
    )


def citation_html(citation: Citation, document_text: str | None) -> str:
    """One source under an answer: number, title, section, page, and the quote in its
    surrounding text. Falls back to the bare quote when the stored text no longer holds it
    (the document was replaced or removed since the answer)."""
    src = citation.source
    start, end = src.char_start, src.char_end
    if document_text is not None and document_text[start:end] == citation.quote:
        passage = passage_html(document_text, start, end)
    else:
        passage = "<mark>" + html_text(citation.quote) + "</mark>"
    where = []
    if src.section:
        where.append("Avsnitt: " + html_text(src.section))
    if src.page is not None:
        where.append("Sida " + str(src.page))
    where.append("Fil: " + html_text(src.file))
    return (
        '<div class="nara-source">'
        '<div class="nara-source-title">'
        f"<strong>[{citation.id}] {html_text(src.title)}</strong></div>"
        f'<div class="nara-source-where">{" · ".join(where)}</div>'
        f'<blockquote class="nara-passage">{passage}</blockquote>'
        "</div>"
    )


def sources_html(citations: Sequence[Citation], texts: Mapping[str, str | None]) -> str:
    """All sources of an answer; `texts` maps document id to its stored text."""
    if not citations:
        return ""
    blocks = "".join(citation_html(c, texts.get(c.source.document_id)) for c in citations)
    title = "Källa" if len(citations) == 1 else f"Källor ({len(citations)})"
    return (
        f'<details class="nara-sources" open><summary class="nara-sources-title">{title}</summary>'
        f"{blocks}</details>"
    )


def answer_markdown(answer_text: str, sources: str = "") -> str:
    """The chat message of an answer: its text (escaped, Markdown kept but no link made),
    then its sources as one HTML block."""
    body = plain_links(html.escape(answer_text, quote=False))
    return f"{body}\n\n{sources}" if sources else body


def citations_json(citations: Iterable[Citation]) -> list[dict[str, Any]]:
    """Citations as stored with feedback: the shape of `Answer.to_json()['citations']`."""
    return [{"id": c.id, "quote": c.quote, "source": asdict(c.source)} for c in citations]


# -- conversation ----------------------------------------------------------------------
@dataclass(frozen=True)
class Exchange:
    """One question and what the chat showed for it. Kept per browser session."""

    question: str
    answer: str
    """The answer text (with [n] markers), or the error message."""
    shown: str
    """What the chat shows: the answer with its sources, as Markdown with inline HTML."""
    status: Literal["answered", "refused", "error"]
    citations: tuple[dict[str, Any], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.status == "error"


def exchange_of(question: str, answer: Answer, texts: Mapping[str, str | None]) -> Exchange:
    return Exchange(
        question=question,
        answer=answer.answer,
        shown=answer_markdown(answer.answer, sources_html(answer.citations, texts)),
        status="refused" if answer.refused else "answered",
        citations=tuple(citations_json(answer.citations)),
    )


def error_exchange(question: str, message: str) -> Exchange:
    return Exchange(question, message, "⚠️ " + html.escape(message, quote=False), "error")


def user_markdown(question: str) -> str:
    if not question.strip():
        return "_(tom fråga)_"
    return plain_links(html.escape(question, quote=False))


def chat_messages(
    exchanges: Sequence[Exchange], pending: tuple[str, str] | None = None
) -> list[dict[str, str]]:
    """Chatbot messages: one user and one assistant message per exchange (so a message
    index // 2 is its exchange), then the pending (question, shown text) if any."""
    messages: list[dict[str, str]] = []
    for ex in exchanges:
        messages.append({"role": "user", "content": user_markdown(ex.question)})
        messages.append({"role": "assistant", "content": ex.shown})
    if pending is not None:
        messages.append({"role": "user", "content": user_markdown(pending[0])})
        messages.append({"role": "assistant", "content": pending[1]})
    return messages


def history_turns(exchanges: Sequence[Exchange]) -> list[Turn]:
    """The conversation so far, for follow-up questions; failed exchanges are left out."""
    turns: list[Turn] = []
    for ex in exchanges:
        if not ex.is_error:
            turns.append(Turn("user", ex.question))
            turns.append(Turn("assistant", ex.answer))
    return turns


def question_error_message(question: str, max_chars: int, error: NaraError | None = None) -> str:
    """Swedish wording of a `QuestionError`: an empty or too long question is worded here;
    any other problem (the history, a follow-up, the characters) with `error`'s own
    message and hint."""
    text = question.strip()
    if not text:
        return (
            "Frågan är tom. Skriv en fråga, till exempel ”Vem ansvarar för kommunikationsplanen?”."
        )
    if len(text) > max_chars:
        return (
            f"Frågan är {len(text)} tecken lång, men högst {max_chars} tecken tas emot. "
            "Korta ner frågan och försök igen."
        )
    if error is not None:
        return f"{error.message} {error.hint}".strip()
    return "Frågan kunde inte ställas. Formulera om den och försök igen."


# -- registers and documents -----------------------------------------------------------
RESPONSIBILITY_HEADERS = ["Nr", "Aktivitet", "Ansvarig", "Tidsplan", "Beskrivning", "Källa"]
PRIORITY_HEADERS = ["Nr", "Period", "Målgrupp", "Prioritering", "Källa"]
DOCUMENT_HEADERS = [
    "Titel",
    "Typ",
    "Organisationer",
    "Region",
    "Datum",
    "Gäller till",
    "Fil",
    "Id",
    "Delar",
    "Flaggor",
]


def _title(titles: Mapping[str, str], doc_id: str) -> str:
    return titles.get(doc_id, doc_id)


def responsibility_rows(
    entries: Sequence[ResponsibilityEntry], titles: Mapping[str, str]
) -> list[list[str]]:
    """Table rows; "Nr" (1-based) identifies the entry when a row is selected."""
    return [
        [
            str(i),
            e.activity,
            ", ".join(e.responsible),
            e.timeline,
            e.description,
            source_label(_title(titles, e.document_id), e.section, e.page),
        ]
        for i, e in enumerate(entries, 1)
    ]


def priority_rows(entries: Sequence[PriorityEntry], titles: Mapping[str, str]) -> list[list[str]]:
    return [
        [
            str(i),
            e.period,
            e.target_group,
            e.priority,
            source_label(_title(titles, e.document_id), e.section, e.page),
        ]
        for i, e in enumerate(entries, 1)
    ]


def register_source_html(
    entry: ResponsibilityEntry | PriorityEntry, title: str, document_text: str | None
) -> str:
    """The source of a register row: where it is, and its quote in its surrounding text."""
    header = html_text(source_label(title, entry.section, entry.page))
    start, end = entry.char_start, entry.char_end
    if document_text is not None and document_text[start:end] == entry.quote:
        passage = passage_html(document_text, start, end)
    else:
        passage = "<mark>" + html_text(entry.quote) + "</mark>"
    return (
        '<div class="nara-source">'
        f'<div class="nara-source-title"><strong>Källa: {header}</strong></div>'
        f'<blockquote class="nara-passage">{passage}</blockquote>'
        "</div>"
    )


def document_rows(documents: Sequence[DocumentRecord]) -> list[list[str]]:
    return [
        [
            d.title,
            d.doc_type or "–",
            ", ".join(d.organisations) or "–",
            d.region or "–",
            d.date or "–",
            d.valid_until or "–",
            d.file,
            d.doc_id,
            str(d.n_chunks),
            "; ".join(f.describe() for f in d.flags) or "–",
        ]
        for d in documents
    ]


def organisation_choices(documents: Iterable[DocumentRecord]) -> list[str]:
    """Organisations and regions named by the documents, for the filter."""
    names = {n for d in documents for n in (*d.organisations, d.region) if n}
    return sorted(names, key=str.casefold)


def doc_type_choices(documents: Iterable[DocumentRecord]) -> list[str]:
    return sorted({d.doc_type for d in documents if d.doc_type}, key=str.casefold)


def year_choices(
    documents: Iterable[DocumentRecord], priorities: Iterable[PriorityEntry] = ()
) -> list[int]:
    years: set[int] = set()
    for d in documents:
        if d.year_from is not None:
            years.update(range(d.year_from, (d.year_to or d.year_from) + 1))
    for p in priorities:
        if p.year_from is not None:
            years.update(range(p.year_from, (p.year_to or p.year_from) + 1))
    return sorted(years)


# -- admin -----------------------------------------------------------------------------
_INGEST_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"has an unsupported format '([^']*)'"),
        "har ett format som inte stöds ({0}). Format som stöds: PDF, DOCX, Markdown, TXT, HTML.",
    ),
    (
        re.compile(r"is ([\d.]+) MB, over the limit of ([\d.]+) MB"),
        "är {0} MB, över gränsen {1} MB. Dela upp filen.",
    ),
    (re.compile(r"cannot be read"), "kan inte läsas."),
    (re.compile(r"is empty"), "är tom."),
    (re.compile(r"contains no (readable )?text"), "innehåller ingen läsbar text."),
    (
        re.compile(r"is a binary file"),
        "är en binärfil, inte text. Endast text, Markdown, HTML, PDF och DOCX läses in.",
    ),
    (
        re.compile(r"is an encrypted PDF"),
        "är en krypterad PDF. Spara en okrypterad kopia och läs in den.",
    ),
    (
        re.compile(r"has no text layer"),
        "saknar textlager (inskannad PDF?). Kör textigenkänning (OCR) först.",
    ),
    (
        re.compile(r"is damaged or not a PDF"),
        "är skadad eller inte en PDF. Exportera PDF-filen på nytt från källan.",
    ),
    (
        re.compile(r"is damaged or not a DOCX"),
        "är skadad eller inte en DOCX-fil. Öppna och spara den igen i Word.",
    ),
)


def ingest_error_message(error: IngestError, name: str) -> str:
    """One failed file, in Swedish, named by the name the user uploaded it under."""
    detail = error.message.removeprefix(f"{error.path}: ")
    for pattern, swedish in _INGEST_MESSAGES:
        match = pattern.search(detail)
        if match:
            return f"{name} {swedish.format(*match.groups())}"
    return f"{name} kunde inte läsas in ({detail})."


def ingest_summary(
    added: int,
    updated: int,
    unchanged: int,
    errors: Sequence[str],
    flagged: Mapping[str, Sequence[Flag]] | None = None,
) -> str:
    """Markdown summary of an upload, with one line per failed file and one per file
    flagged for instruction-like text or links outside the allowed domains."""
    lines = [
        f"**Inläsningen är klar:** {added} nya, {updated} uppdaterade, "
        f"{unchanged} oförändrade, {len(errors)} misslyckade."
    ]
    if errors:
        lines.append("")
        lines.append("Filer som inte kunde läsas in:")
        lines.extend(f"- {plain_links(html.escape(e, quote=False))}" for e in errors)
    if flagged:
        lines.append("")
        lines.append(
            "Flaggade filer (inlästa; texten citeras som data och länkar visas som text, "
            "granska dem):"
        )
        for name, flags in flagged.items():
            found = "; ".join(f.describe() for f in flags)
            lines.append(f"- {plain_links(html.escape(f'{name}: {found}', quote=False))}")
    return "\n".join(lines)
