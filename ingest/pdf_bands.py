"""Reading order of a two-column page (`pdf_columns` finds where to split it): bands
set over both columns (titles, headings, boxed tables) are read where they stand, and
between two bands the left column before the right.

A band is a stretch of the page that words cross the split in (a title over both
columns, `_crossing`), a heading set over both columns though it fits in the left one
(`_spanning_headings`: the right column is empty beside it), or a boxed table over both
columns (`table_bands`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

from ingest.pdf_columns import MIN_GUTTER, Word


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
