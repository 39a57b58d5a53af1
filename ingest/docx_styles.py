"""What a DOCX paragraph is, from its style chain and the numbering definitions:
heading level, list level and marker, table-of-contents entry.

Word stores built-in style names in English ("heading 1", "toc 2") whatever the user's
language; the style id is localised ("Rubrik1", "Innehll2"). Both are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from docx.oxml.ns import qn

HEADING_NAME = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)
TITLE_NAMES = {"title", "rubrik"}
TOC_NAME = re.compile(
    r"^(?:toc\s*(?:\d|heading)|innehållsförteckning\s*\d*|innehll\d|tocheading|"
    r"table of contents)$",
    re.IGNORECASE,
)
BODY_OUTLINE = 9
"""w:outlineLvl 9 is body text; 0–8 are heading levels 1–9 (ECMA-376 §17.3.1.20)."""
MAX_CHAIN = 20  # basedOn links followed; guards against a cyclic style definition
MAX_ILVL = 8
"""List levels are 0–8 (ECMA-376 §17.9.3); a larger w:ilvl is read as 8, so a hostile
value cannot grow the list counters."""
MAX_NUMBER = 32767
"""Largest list number Word writes (w:start is a signed 16-bit value in practice); larger
start values are read as this, so a marker is never an endless numeral."""
ROMAN_MAX = 3999
"""Roman numerals stop here; larger numbers are written in digits."""
ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def number(text: str | None, default: int | None, high: int, low: int = 0) -> int | None:
    """An integer attribute clamped to [low, high]; `default` when it is missing or no
    number. A hostile or broken file never raises here nor yields a huge value."""
    text = (text or "").strip()
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not (digits.isascii() and digits.isdigit()):
        return default
    if len(digits) > len(str(max(high, -low))):
        return low if negative else high
    value = -int(digits) if negative else int(digits)
    return max(low, min(high, value))


def _val(el: Any, tag: str) -> str | None:
    child = el.find(qn(tag)) if el is not None else None
    return child.get(qn("w:val")) if child is not None else None


@dataclass
class Style:
    name: str
    based_on: str | None
    num: tuple[str | None, int | None]  # (numId, ilvl) from the style's own numPr
    outline: int | None


def _styles(document: Any) -> dict[str, Style]:
    out: dict[str, Style] = {}
    for el in document.styles.element.findall(qn("w:style")):
        ppr = el.find(qn("w:pPr"))
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        ilvl = _val(num_pr, "w:ilvl")
        outline = _val(ppr, "w:outlineLvl")
        out[el.get(qn("w:styleId")) or ""] = Style(
            _val(el, "w:name") or "",
            _val(el, "w:basedOn"),
            (_val(num_pr, "w:numId"), number(ilvl, None, MAX_ILVL)),
            number(outline, None, BODY_OUTLINE),
        )
    return out


@dataclass
class Level:
    fmt: str  # bullet, decimal, lowerLetter, upperLetter, lowerRoman, upperRoman, none …
    text: str  # e.g. "%1.", "%1.%2)", "•"
    start: int = 1


def _levels(abstract: Any) -> dict[int, Level]:
    levels = {}
    for lvl in abstract.findall(qn("w:lvl")):
        start = _val(lvl, "w:start")
        levels[number(lvl.get(qn("w:ilvl")), 0, MAX_ILVL) or 0] = Level(
            _val(lvl, "w:numFmt") or "decimal",
            _val(lvl, "w:lvlText") or "",
            number(start, 1, MAX_NUMBER, -MAX_NUMBER) or 0,
        )
    return levels


def _numbering(document: Any) -> dict[str, dict[int, Level]]:
    """numId → its levels (from the abstract definition, with level overrides)."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract = {
        a.get(qn("w:abstractNumId")): _levels(a) for a in numbering.findall(qn("w:abstractNum"))
    }
    out = {}
    for num in numbering.findall(qn("w:num")):
        levels = dict(abstract.get(_val(num, "w:abstractNumId"), {}))
        for override in num.findall(qn("w:lvlOverride")):
            ilvl = number(override.get(qn("w:ilvl")), 0, MAX_ILVL) or 0
            if (lvl := override.find(qn("w:lvl"))) is not None:
                levels |= {ilvl: next(iter(_levels_of(lvl).values()))}
            start = _val(override, "w:startOverride")
            if start and ilvl in levels:
                first = number(start, 1, MAX_NUMBER, -MAX_NUMBER) or 0
                levels[ilvl] = Level(levels[ilvl].fmt, levels[ilvl].text, first)
        out[num.get(qn("w:numId")) or ""] = levels
    return out


def _levels_of(lvl: Any) -> dict[int, Level]:
    wrapper = lvl.makeelement(qn("w:abstractNum"), {})
    wrapper.append(lvl)
    return _levels(wrapper)


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 0 < n <= ROMAN_MAX:
        out, rest = "", n
        for value, numeral in ROMAN:
            while rest >= value:
                out, rest = out + numeral, rest - value
        return out.upper() if fmt == "upperRoman" else out
    return str(n)


@dataclass
class Paragraph:
    """What the styles and numbering say a paragraph is."""

    heading: int = 0  # 1 = top level; 0 = not a heading
    toc: bool = False
    list_level: int = 0  # 1 = outer; 0 = not a list item
    marker: str = ""  # "2.", "a)" for numbered items; "" for bullets


@dataclass
class Formatting:
    """Styles and numbering of one document, with the list counters as it is read."""

    styles: dict[str, Style]
    numbering: dict[str, dict[int, Level]]
    counters: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Any) -> Formatting:
        return cls(_styles(document), _numbering(document))

    def _chain(self, style_id: str | None) -> list[tuple[str, Style]]:
        chain: list[tuple[str, Style]] = []
        while style_id and style_id in self.styles and len(chain) < MAX_CHAIN:
            chain.append((style_id, self.styles[style_id]))
            style_id = self.styles[style_id].based_on
        return chain

    def classify(self, p: Any) -> Paragraph:
        ppr = p.find(qn("w:pPr"))
        chain = self._chain(_val(ppr, "w:pStyle"))
        names = [n for sid, s in chain for n in (s.name, sid)]
        if any(TOC_NAME.match(n) for n in names[:2]):
            return Paragraph(toc=True)
        heading = self._heading_level(ppr, chain, names[:2])
        num_id, ilvl = self._num(ppr, chain)
        levels = self.numbering.get(num_id or "", {})
        if num_id in (None, "0") or not levels:
            return Paragraph(heading=heading)
        marker = self._marker(num_id or "", ilvl, levels)
        if heading:  # Word's automatic heading numbers: "6.2 <rubrik>"
            return Paragraph(heading=heading, marker=marker)
        return Paragraph(list_level=ilvl + 1, marker=marker)

    def _heading_level(self, ppr: Any, chain: list[tuple[str, Style]], names: list[str]) -> int:
        for name in names:
            if m := HEADING_NAME.match(name.replace("Heading", "heading ")):
                return int(m.group(1))
            if name.lower() in TITLE_NAMES:
                return 1
        own = _val(ppr, "w:outlineLvl")
        outline = number(own, None, BODY_OUTLINE)
        for _, style in chain:
            if outline is not None:
                break
            outline = style.outline
        return outline + 1 if outline is not None and outline < BODY_OUTLINE else 0

    def _num(self, ppr: Any, chain: list[tuple[str, Style]]) -> tuple[str | None, int]:
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        num_id, ilvl_text = _val(num_pr, "w:numId"), _val(num_pr, "w:ilvl")
        ilvl = number(ilvl_text, None, MAX_ILVL)
        for _, style in chain:
            num_id = num_id or style.num[0]
            ilvl = ilvl if ilvl is not None else style.num[1]
        return num_id, ilvl or 0

    def _marker(self, num_id: str, ilvl: int, levels: dict[int, Level]) -> str:
        """Advances the list's counters; the marker as Word shows it, "" for bullets."""
        counts = self.counters.setdefault(num_id, [])
        while len(counts) <= ilvl:
            counts.append(levels.get(len(counts), Level("decimal", "")).start - 1)
        counts[ilvl] += 1
        del counts[ilvl + 1 :]
        level = levels.get(ilvl, Level("bullet", ""))
        if level.fmt in ("bullet", "none") or not level.text:
            return ""

        def numeral(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            fmt = levels.get(k, level).fmt
            return _format(counts[k], fmt) if k < len(counts) else ""

        return re.sub(r"%(\d)", numeral, level.text).strip()
