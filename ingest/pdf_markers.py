"""List bullets drawn as shapes rather than set as characters.

Chromium (and other HTML-to-PDF printers) paints a list's bullets as small filled or
hollow circles and squares, so the page's text holds no "•". Each such shape that
stands just left of a line of text becomes a "•" word at the height of that line, and
the list is then read like any other (`pdf_layout.is_marker`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Word = dict[str, Any]

MIN_SIDE, MAX_SIDE = 2.0, 8.0
"""Points: a bullet shape is 3–6 pt across at body sizes of 9–14 pt; thinner shapes are
rules and cell borders, larger ones figures."""
MAX_ASPECT = 1.5
"""A bullet is about as wide as high (a dash-like bar is a rule)."""
MAX_GAP = 3.0
"""Font sizes between the shape and the text it marks."""


def _shapes(page: Any) -> list[dict[str, Any]]:
    return [
        s
        for s in [*page.curves, *page.rects]
        if MIN_SIDE <= float(s["width"]) <= MAX_SIDE
        and MIN_SIDE <= float(s["height"]) <= MAX_SIDE
        and max(s["width"], s["height"]) <= MAX_ASPECT * min(s["width"], s["height"])
    ]


def drawn_markers(page: Any, words: Sequence[Word]) -> list[Word]:
    """A "•" word for each bullet shape of the page, sized and placed like the first
    word of the text it marks (so that it joins that word's line)."""
    out = []
    for shape in _shapes(page):
        middle = (float(shape["top"]) + float(shape["bottom"])) / 2
        right = [
            w
            for w in words
            if w["top"] <= middle <= w["bottom"]
            and 0 < w["x0"] - float(shape["x1"]) <= MAX_GAP * float(w.get("size") or 10)
        ]
        if not right:
            continue
        first = min(right, key=lambda w: w["x0"])
        out.append(
            first
            | {
                "text": "•",
                "x0": float(shape["x0"]),
                "x1": float(shape["x1"]),
                "fontname": "",
            }
        )
    return out
