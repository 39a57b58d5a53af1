"""The staff chat's messages about an upload (ui/chat/admin_handlers.py): a failed file in
Swedish, and the summary of what was read in, failed or was flagged. Pure, tested directly
(tests/test_chat_render.py); names and messages are escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from ingest.untrusted import Flag
from nara.errors import IngestError
from ui.app.text import document_counts, plain_links

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
