"""Text columns of a PDF page: a two-column page is read column by column.

A page has two columns when a vertical strip near its middle (the gutter) is crossed by
almost none of its body words and both sides hold a good share of them. Words crossing
the gutter (a title set over both columns) start a band of their own; the page is read
band by band, top to bottom, and within a band the left column before the right
(`pdf_bands`). The layout is a document's: pages are split only when more than half
the pages with enough text have a gutter (a page with a table beside the strip
abstains: the strip may be a table's column boundary), and a page's own gutter must
overlap the document's (the median gutter edges).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

Word = dict[str, Any]

MIDDLE = (0.3, 0.7)
"""The gutter's centre lies within this share of the page width (columns of similar width)."""
MIN_GUTTER = 8.0
"""Points: the narrowest gutter. CSS and Word default to 1–1.25 cm (28–35 pt) between
columns, narrow layouts to 0.5 cm (14 pt); the widest word space is far below 8 pt."""
CROSSING_SHARE = 0.03
"""A strip crossed by at most this share of the body words is still a gutter (a title
or a figure caption set over both columns)."""
SIDE_SHARE = 0.25
"""Each column holds at least this share of the body words."""
MIN_WORDS = 40
"""A page with fewer body words (a title page, a short last page) casts no vote."""
BODY_ZONE = 0.075
"""Top and bottom share of the page left out (headers and footers), as in `pdf_layout`."""

Gutter = tuple[float, float]


def _body(words: Sequence[Word], height: float) -> list[Word]:
    return [
        w
        for w in words
        if w["top"] >= BODY_ZONE * height and w["bottom"] <= (1 - BODY_ZONE) * height
    ]


def find_gutter(words: Sequence[Word], width: float, height: float) -> Gutter | None:
    """The page's gutter (x0, x1), or None if its body is not set in two columns."""
    body = _body(words, height)
    if len(body) < MIN_WORDS:
        return None
    lo, hi = int(MIDDLE[0] * width), int(MIDDLE[1] * width)
    # Only text of the body size counts as crossing: over two columns stand headings
    # and titles, larger; a body-size line across the middle is single-column text.
    sizes = Counter(round(float(w.get("size") or 0)) for w in body)
    common = sizes.most_common(1)[0][0]
    cover = _coverage([w for w in body if round(float(w.get("size") or 0)) <= common], lo, hi)
    allowed = max(1, int(CROSSING_SHARE * len(body)))
    best: Gutter | None = None
    start = None
    for k, n in enumerate([*cover, allowed + 1]):
        if n <= allowed and start is None:
            start = k
        elif n > allowed and start is not None:
            if best is None or k - start > best[1] - best[0]:
                best = (float(lo + start), float(lo + k - 1))
            start = None
    if best is None or best[1] - best[0] < MIN_GUTTER:
        return None
    left = [w for w in body if w["x1"] <= best[0] + 1]
    right = [w for w in body if w["x0"] >= best[1] - 1]
    if min(len(left), len(right)) < SIDE_SHARE * len(body):
        return None
    return best


MIN_PAGES = 2
"""Pages with a gutter a two-column layout needs: one page of a table set two spaces
apart looks like two columns (a one-page two-column document is read across)."""
CELL_GAP = 0.8
"""Font sizes: a wider gap inside a line separates table cells (a word space is 0.3
sizes, a justified line's widest about 0.6)."""
TABLE_ROWS_SHARE = 0.3
"""A page side with more of its lines split by cell gaps holds a table."""


def _tabular(words: Sequence[Word], height: float, gutter: Gutter) -> bool:
    """A side of the gutter holds a table (its lines split by cell gaps): the strip may
    be a table's column boundary, so the page casts no vote on the layout."""
    body = _body(words, height)
    for side in (
        [w for w in body if w["x1"] <= gutter[0] + 1],
        [w for w in body if w["x0"] >= gutter[1] - 1],
    ):
        rows: dict[int, list[Word]] = {}
        for w in side:
            rows.setdefault(round(w["top"]), []).append(w)
        gapped = 0
        for row in rows.values():
            row.sort(key=lambda w: w["x0"])
            size = float(row[0].get("size") or 10)
            gapped += any(b["x0"] - a["x1"] > CELL_GAP * size for a, b in itertools.pairwise(row))
        if gapped > TABLE_ROWS_SHARE * len(rows):
            return True
    return False


def _coverage(words: Sequence[Word], lo: int, hi: int) -> list[int]:
    """How many words cover each point from lo to hi."""
    cover = [0] * (hi - lo + 1)
    for w in words:
        for x in range(max(lo, int(w["x0"])), min(hi, int(w["x1"])) + 1):
            cover[x - lo] += 1
    return cover


def _split_at(words: Sequence[Word], height: float, gutter: Gutter) -> float | None:
    """The page's split point inside the document's gutter: the middle of the widest
    stretch crossed by the fewest words, if that is few enough."""
    body = _body(words, height)
    lo, hi = int(gutter[0]), int(gutter[1])
    cover = _coverage(body, lo, hi)
    least = min(cover)
    if least > max(1, int(CROSSING_SHARE * len(body))):
        return None  # something set over the full width (a wide table) fills the gutter
    best, start = (0, 0), None
    for k, n in enumerate([*cover, least + 1]):
        if n == least and start is None:
            start = k
        elif n != least and start is not None:
            best = max(best, (k - start, start), key=lambda r: r[0])
            start = None
    return lo + best[1] + best[0] / 2


def document_splits(pages: Sequence[tuple[Sequence[Word], float, float]]) -> list[float | None]:
    """Per page (words, width, height): the x to split it into two columns at, or None.
    Pages are split only if the document's layout is two-column (see the module
    docstring); the gutter is then the median of the pages' own gutters."""
    found = [find_gutter(words, width, height) for words, width, height in pages]
    voters = [
        g
        for (words, _, h), g in zip(pages, found, strict=True)
        if len(_body(words, h)) >= MIN_WORDS and not (g is not None and _tabular(words, h, g))
    ]
    with_gutter = [g for g in voters if g is not None]
    if len(with_gutter) < MIN_PAGES or 2 * len(with_gutter) <= len(voters):
        return [None] * len(pages)
    lo = sorted(g[0] for g in with_gutter)[len(with_gutter) // 2]
    hi = sorted(g[1] for g in with_gutter)[len(with_gutter) // 2]
    return [_split_at(words, height, (lo, hi)) for words, _, height in pages]
