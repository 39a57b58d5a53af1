"""Text columns of a PDF page: a two-column page is read column by column.

A page has two columns when a vertical strip near its middle (the gutter) is crossed by
almost none of its body words and both sides hold a good share of them. Words crossing
the gutter (a title set over both columns) start a band of their own; the page is read
band by band, top to bottom, and within a band the left column before the right. The
layout is a document's: pages are split only when more than half the pages with enough
text have a gutter (a page with a table beside the strip abstains: the strip may be a
table's column boundary), and a page's own gutter must overlap the document's (the
median gutter edges).
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


def _bands(crossing: Sequence[Word]) -> list[tuple[float, float]]:
    """Merged vertical extents of the words set over the split."""
    bands: list[tuple[float, float]] = []
    for w in sorted(crossing, key=lambda w: w["top"]):
        if bands and w["top"] <= bands[-1][1]:
            bands[-1] = (bands[-1][0], max(bands[-1][1], w["bottom"]))
        else:
            bands.append((w["top"], w["bottom"]))
    return bands


WRAP_GAP = 0.6
"""Font sizes between a band and a line of its size right under it: the band's text
(a heading over both columns) wrapped onto that line."""


def _extend(bands: list[tuple[float, float]], words: Sequence[Word]) -> list[tuple[float, float]]:
    """Each band grown down over the lines that wrap its text: the same size, right
    under it (a wrapped heading's last line may fit within one column)."""
    out = []
    ordered = sorted(words, key=lambda w: w["top"])
    for top, bottom in bands:
        inside = [w for w in ordered if top <= (w["top"] + w["bottom"]) / 2 <= bottom]
        size = max(float(w.get("size") or 0) for w in inside) if inside else 0.0
        for w in ordered:
            gap = w["top"] - bottom
            if 0 < gap <= WRAP_GAP * size and abs(float(w.get("size") or 0) - size) < HALF_POINT:
                bottom = w["bottom"]
        out.append((top, bottom))
    return out


def _crossing(words: Sequence[Word], split: float) -> list[Word]:
    """Words set over the split: a word across it, or two words on one line either side
    of it closer than a gutter (a heading too wide for its column runs on into the
    gutter and the next column)."""
    out = [w for w in words if w["x0"] < split < w["x1"]]
    left = [w for w in words if w["x1"] <= split and split - w["x1"] < MIN_GUTTER]
    for w in words:
        if split <= w["x0"] < split + MIN_GUTTER:
            out.extend(
                v for v in left if abs(v["top"] - w["top"]) < 1 and w["x0"] - v["x1"] < MIN_GUTTER
            )
            if any(abs(v["top"] - w["top"]) < 1 and w["x0"] - v["x1"] < MIN_GUTTER for v in left):
                out.append(w)
    return out


HEADING_STEP = 1.0
"""Points over the body size from which a line is a heading (as in `pdf_layout`)."""
CLEAR = 0.5
"""Font sizes of empty space above and below a heading, beside it, that a heading set
over both columns leaves in the other column."""


def _spanning_headings(words: Sequence[Word], split: float) -> list[tuple[float, float]]:
    """Vertical extents of headings set over both columns but short enough to fit in the
    left one: a heading line left of the split with nothing beside it in the right column
    while that column has text above and below it. Columns fill in turn, so beside a
    heading inside the left column the right column is full; an empty strip there is
    the space the heading spans."""
    if not words:
        return []
    sizes = Counter(round(float(w.get("size") or 0)) for w in words)
    body = sizes.most_common(1)[0][0]
    right = [w for w in words if w["x0"] >= split]
    lines: dict[int, list[Word]] = {}
    for w in words:
        if w["x1"] <= split and float(w.get("size") or 0) >= body + HEADING_STEP:
            lines.setdefault(round(w["top"]), []).append(w)
    out = []
    for block in _heading_blocks(list(lines.values())):
        top, bottom = min(w["top"] for w in block), max(w["bottom"] for w in block)
        pad = CLEAR * max(float(w.get("size") or 0) for w in block)
        beside = any(w["bottom"] > top - pad and w["top"] < bottom + pad for w in right)
        above = any(w["bottom"] <= top for w in right)
        below = any(w["top"] >= bottom for w in right)
        if above and below and not beside:
            out.append((top, bottom))
    return out


def _heading_blocks(lines: list[list[Word]]) -> list[list[Word]]:
    """Heading lines joined into headings: lines of one size right under each other
    (a heading wrapped onto several lines)."""
    blocks: list[list[Word]] = []
    for line in sorted(lines, key=lambda ws: min(w["top"] for w in ws)):
        size = max(float(w.get("size") or 0) for w in line)
        if blocks:
            last = blocks[-1]
            last_size = max(float(w.get("size") or 0) for w in last)
            gap = min(w["top"] for w in line) - max(w["bottom"] for w in last)
            if gap <= WRAP_GAP * size and abs(size - last_size) < HALF_POINT:
                last.extend(line)
                continue
        blocks.append(list(line))
    return blocks


HALF_POINT = 0.5
"""Font sizes closer than this are one size (rounding in the writers)."""


Rule = tuple[float, float, float]
"""A horizontal ruling line: (y, x0, x1)."""
Post = tuple[float, float, float]
"""A vertical ruling line: (top, bottom, x)."""


def table_bands(
    rules: Sequence[Rule], posts: Sequence[Post], split: float
) -> list[tuple[float, float]]:
    """Vertical extents of tables set over both columns: the stretch between two
    successive horizontal rules across the split that a vertical rule joins (a boxed
    row). Text between two tables has no vertical rule beside it, so it stays in its
    columns."""
    across = sorted(y for y, x0, x1 in rules if x0 < split - MIN_GUTTER and x1 > split + MIN_GUTTER)
    rows = [
        (a, b)
        for a, b in itertools.pairwise(across)
        if b - a > 1 and any(top <= a + 1 and bottom >= b - 1 for top, bottom, _ in posts)
    ]
    bands: list[tuple[float, float]] = []
    for a, b in rows:
        if bands and a <= bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], b)
        else:
            bands.append((a, b))
    return bands


def _merge(bands: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for top, bottom in sorted(bands):
        if out and top <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], bottom))
        else:
            out.append((top, bottom))
    return out


def reading_flows(
    words: Sequence[Word], split: float | None, tables: Sequence[tuple[float, float]] = ()
) -> list[list[Word]]:
    """The page's words as flows in reading order: the whole page without a split, else
    between the bands of words set over the split (and of `tables` set over it) the left
    column, then the right; a band over both columns is a flow of its own."""
    if split is None:
        return [list(words)]
    crossing = _bands(_crossing(words, split))
    bands = _merge([*_extend(crossing, words), *_spanning_headings(words, split), *tables])
    flows: list[list[Word]] = []
    left: list[Word] = []
    right: list[Word] = []
    band: list[Word] = []
    current = -1
    for w in sorted(words, key=lambda w: w["top"]):
        middle = (w["top"] + w["bottom"]) / 2
        inside = next((k for k, (t, b) in enumerate(bands) if t <= middle <= b), None)
        if inside is not None and inside != current:
            flows.extend(f for f in (left, right, band) if f)
            left, right, band, current = [], [], [], inside
        if inside is not None:
            band.append(w)
            continue
        if band:
            flows.append(band)
            band, current = [], -1
        (left if w["x0"] < split else right).append(w)
    flows.extend(f for f in (left, right, band) if f)
    return flows
