"""Text made safe and Swedish for the chat's HTML: escaping, links shown as text,
Swedish quotation marks. Pure functions shared by the chat's rendering modules
(ui/chat/render.py, tables.py, ingest_messages.py and answer.py)."""

from __future__ import annotations

import html
import re

_LINK_MARKS = re.compile(r"(?<=[A-Za-z0-9])(://)|\b(www)\.|(?<=\w)(@)(?=\w)|(\[)(?!\d+\])")
_ENTITY = {"://": "&#58;//", "www": "www&#46;", "@": "&#64;", "[": "&#91;"}
_FOREIGN_QUOTES = re.compile(r"[«»„“]")


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


def swedish_quotes(text: str) -> str:
    """«…», „…” and “…” written the Swedish way, ”…”, for the Swedish chat and terminal:
    the extractive answerer already frames with ”…” (“…” in an English answer,
    `assistant.quotes`), but an LLM may write any marks. The quotes themselves are shown
    from the document's text."""
    return _FOREIGN_QUOTES.sub("”", text)


def counted(n: int, one: str, many: str) -> str:
    """ "1 nytt", "2 nya", "0 nya": the number with the adjective that agrees with it."""
    return f"{n} {one if n == 1 else many}"


def document_counts(added: int, updated: int, unchanged: int, failed: int) -> str:
    """The documents of an ingest, counted in Swedish ("dokument" is neuter: 1 nytt,
    2 nya): "1 nytt, 0 uppdaterade, 2 oförändrade, 1 misslyckat"."""
    return ", ".join(
        (
            counted(added, "nytt", "nya"),
            counted(updated, "uppdaterat", "uppdaterade"),
            counted(unchanged, "oförändrat", "oförändrade"),
            counted(failed, "misslyckat", "misslyckade"),
        )
    )
