"""Tables of the staff chat (ui/chat/app.py): rows of the registers and the documents,
the source of a register row, the filter choices. Pure, tested directly
(tests/test_chat_render.py); everything from a document is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.store import DocumentRecord
from ui.app.text import html_text
from ui.chat.answer import passage_html, quote_html

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
