"""Quotation marks of the answer text, in the answer's language.

Swedish sets ”…”, the same mark opening and closing (Språkrådet, Svenska skrivregler);
English sets “…”. The answerers frame titles, activities and quotes with `quoted`, so
the answer JSON is already typeset: no interface rewrites it.
"""

from __future__ import annotations

MARKS = {"sv": ("”", "”"), "en": ("“", "”")}
"""Opening and closing mark per answer language."""


def quoted(text: str, lang: str) -> str:
    """`text` between the quotation marks of `lang` (Swedish for any other language)."""
    opening, closing = MARKS.get(lang, MARKS["sv"])
    return f"{opening}{text}{closing}"


def quoted_list(titles: list[str], lang: str) -> str:
    """Titles each in quotation marks, separated by semicolons (a title may hold commas)."""
    return "; ".join(quoted(t, lang) for t in titles)
