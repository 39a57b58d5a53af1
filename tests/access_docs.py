"""Two documents of the same topic for the access tests (issue #14): one readable by the
group "norr", one by "syd", each with a sidecar `access:`, each with its own register
rows, and what of group B's document must never reach a member of group A."""

from __future__ import annotations

from pathlib import Path

GROUP_A, GROUP_B = "norr", "syd"
DOC_A, DOC_B = "hemsjukvard-norrvik", "hemsjukvard-sydby"
TITLE_A = "Handlingsplan för hemsjukvård i Norrvik 2025"
TITLE_B = "Handlingsplan för hemsjukvård i Sydby 2025"

PLAN = """# Handlingsplan för hemsjukvård i {place} 2025

Kommunen och regionen samverkar om hemsjukvård för äldre med stora behov.

## Prioriterade områden 2025

- Mobila team för hemsjukvård i {place}
- Trygg hemgång efter sjukhusvistelse med {extra}

## Ansvar och tidsplan

| Aktivitet | Ansvar | Tidsplan |
|---|---|---|
| Starta mobilt team i {place} | {person}, verksamhetschef | 2025 |
| Följa upp hemgångar | {centre} | 2025 |

## Hemsjukvårdens läkarstöd

Läkarstödet till hemsjukvården i {place} ges av {centre} {when}.
"""

A_ONLY = ("Greta Norrmansson", "Norrviks hälsocentral", "varje vardag mellan 8 och 17")
"""Text only group A's document holds: a reader in A must get some of it."""
B_ONLY = (
    DOC_B,
    TITLE_B,
    "Sigrid Sydqvist",
    "Sydbys hälsocentral",
    "tisdagar och torsdagar",
)
"""Text only group B's document holds (its id, title, register rows, quotes): never
shown to a reader of group A, whatever the question."""

QUESTIONS = (
    "Vem ger läkarstöd till hemsjukvården?",
    "När ges läkarstöd till hemsjukvården i Sydby?",
    "Vilka områden är prioriterade 2025?",
    "Vem ansvarar för att starta mobilt team?",
    "Vem ansvarar för att följa upp hemgångar i Sydby?",
    "Vad säger handlingsplanen för hemsjukvård i Sydby om läkemedelsrobot?",
)
"""Questions about the shared topic, some naming B's place (a refusal must then not
name B's document as the closest)."""
FOLLOW_UP = ("Och i Sydby?", "Vem ger läkarstöd till hemsjukvården?")
"""A follow-up (first) to a question (second)."""


def write_documents(folder: Path) -> Path:
    """The two documents with their sidecars in `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, place, person, centre, when, extra, group in (
        (
            DOC_A,
            "Norrvik",
            "Greta Norrmansson",
            "Norrviks hälsocentral",
            "varje vardag mellan 8 och 17",
            "hemtjänstens stöd",
            GROUP_A,
        ),
        (
            DOC_B,
            "Sydby",
            "Sigrid Sydqvist",
            "Sydbys hälsocentral",
            "tisdagar och torsdagar",
            "läkemedelsrobot",
            GROUP_B,
        ),
    ):
        text = PLAN.format(place=place, person=person, centre=centre, when=when, extra=extra)
        (folder / f"{doc_id}.md").write_text(text, encoding="utf-8")
        (folder / f"{doc_id}.md.meta.yaml").write_text(f"access: [{group}]\n", encoding="utf-8")
    return folder


def leaks(text: str) -> list[str]:
    """What of B's document `text` holds (empty: nothing)."""
    return [marker for marker in B_ONLY if marker.lower() in text.lower()]


def holds_a(text: str) -> bool:
    """Whether `text` holds something only A's document says."""
    return any(marker.lower() in text.lower() for marker in A_ONLY)
