"""Pure helpers of the staff chat (ui/chat/app.py): HTML and table rows from answers, registers
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
from ui.chat.answer import CONTEXT_CHARS, answer_html, passage_html, quote_html, streaming_html

__all__ = ["CONTEXT_CHARS", "passage_html", "plain_links", "streaming_html"]
from ui.app.text import document_counts, html_text, plain_links

GENERIC_ERROR = (
    "Något gick fel när svaret skulle tas fram. Försök igen om en stund; "
    "kvarstår felet, kontakta den som förvaltar assistenten."
)
SEARCHING = "_Söker i dokumenten …_"


# -- text ------------------------------------------------------------------------------
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


def exchange_of(
    question: str, answer: Answer, texts: Mapping[str, str | None], turn: int = 0
) -> Exchange:
    """The exchange of an answer; `turn` (its place in the conversation) keeps the ids of
    its sources apart from other answers'."""
    return Exchange(
        question=question,
        answer=answer.answer,
        shown=answer_html(answer.answer, answer.citations, texts, turn, answer.lang),
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
        passage = quote_html(entry.quote, None)
    return (
        '<div class="nara-source">'
        f'<div class="nara-source-title"><strong>Källa: {header}</strong></div>'
        f'<div class="nara-passage">{passage}</div>'
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
        "**Inläsningen är klar:** " + document_counts(added, updated, unchanged, len(errors)) + "."
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
