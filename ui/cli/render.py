"""Answers as terminal text: no Markdown markers, Swedish quotation marks, colour only
when the output is a terminal. Pure functions (the caller says whether to colour), so each
piece is tested directly (tests/test_cli_render.py)."""

from __future__ import annotations

import os
import re
from typing import IO, Any

from ui.app.text import swedish_quotes

HEADING = {"sv": "Källor:", "en": "Sources:"}
"""The heading over the sources, in the answer's language (`Answer.lang`)."""
NO_SECTION = {"sv": "(utan rubrik)", "en": "(no heading)"}
PAGE = {"sv": "s.", "en": "p."}

BOLD, DIM, CYAN, RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"
"""ANSI SGR codes (ECMA-48): bold, faint, cyan foreground, reset."""

_HEADING_MARK = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__")
_EMPHASIS = re.compile(r"(?<![\w*])\*(\S(?:[^*]*?\S)?)\*(?![\w*])|(?<!\w)_(\S(?:[^_]*?\S)?)_(?!\w)")
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)
_MARKER = re.compile(r"\[(\d+)\]")


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def plain_text(markdown: str) -> str:
    """Markdown as terminal text: headings, bold and emphasis lose their markers, list
    bullets become "•". Underscores inside words (file names) are kept."""
    text = _HEADING_MARK.sub("", markdown)
    text = _STRONG.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return swedish_quotes(_BULLET.sub(r"\1• ", text))


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{RESET}" if colour else text


def answer_text(text: str, colour: bool) -> str:
    """The answer's own text for the terminal; citation markers in colour on a terminal."""
    plain = plain_text(text)
    return _MARKER.sub(lambda m: _paint(m.group(0), CYAN, colour), plain) if colour else plain


def sources_text(answer: Any, colour: bool) -> str:
    """The sources of an answer (`assistant.model.Answer`): heading, then per citation its
    title, section and page, and the quote in Swedish quotation marks. Empty without
    citations."""
    if not answer.citations:
        return ""
    lang = answer.lang if answer.lang in HEADING else "sv"
    lines = [_paint(HEADING[lang], BOLD, colour)]
    for c in answer.citations:
        s = c.source
        page = f", {PAGE[lang]} {s.page}" if s.page is not None else ""
        marker = _paint(f"[{c.id}]", CYAN, colour)
        lines.append(f"{marker} {s.title} — {s.section or NO_SECTION[lang]}{page}")
        lines.append(_paint(f"    ”{' '.join(c.quote.split())}”", DIM, colour))
    return "\n".join(lines)


def render_answer(answer: Any, colour: bool = False) -> str:
    """A whole answer: its text, a blank line, its sources."""
    sources = sources_text(answer, colour)
    body = answer_text(answer.answer.rstrip("\n"), colour)
    return f"{body}\n\n{sources}" if sources else body
