"""Tables of a PDF page from aligned segments and ruling lines.

A table is a run of lines whose segments start at the same column positions. Rows are
told apart by a ruling line between them or by a gap taller than a wrapped line's; the
lines of one row are joined cell by cell. A table that continues on the next page under
a repeated header row, and a row split by the page break, are merged in `continue_table`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingest.pdf_layout import Line, Segment, is_marker, join_wrapped
from nara.vocabulary import words as vocabulary_words

COLUMN_TOLERANCE = 4.0
"""Points by which the starts of one column's cells may differ (left-aligned cells)."""
ROW_BREAK = 1.3
"""A line more than this many font sizes below the previous one starts a new row: wrapped
lines in a cell are 1.15–1.2 sizes apart, rows have their cell padding on top."""
TABLE_BREAK = 1.75
"""A one-segment line further below than this (in sizes) is no longer part of the table."""
MAX_ROW_GAP = 4.0
"""Even a line that fits the columns ends the table if it is this many sizes further down."""
HEADER_CELL_CHARS = 40
MIN_ROW_RULES = 2
"""Rules between this many rows (a border above the table counts) make a table ruled
between its rows (see `_table`); one rule alone is a header's underline."""
RULE_SHARE = 0.5
"""A horizontal rule separates rows if it spans at least half the table's width."""


@dataclass
class Table:
    first: int
    last: int
    """Indexes of the table's first and last line in the page's line list."""
    columns: list[float]
    rows: list[list[str]]
    header: list[str] | None = None
    row_pages: list[int] = field(default_factory=list)
    """The page each row starts on (a merged table spans pages)."""


def _column_of(columns: Sequence[float], seg: Segment) -> int | None:
    for k, x in enumerate(columns):
        if abs(seg.x0 - x) <= COLUMN_TOLERANCE:
            return k
    return None


def _fits(line: Line, columns: list[float]) -> bool:
    """Every segment starts at a column and ends before the next one starts."""
    for seg in line.segments:
        k = _column_of(columns, seg)
        if k is None:
            return False
        if k + 1 < len(columns) and seg.x1 > columns[k + 1] + COLUMN_TOLERANCE:
            return False
    return True


def _widen(line: Line, columns: list[float]) -> list[float] | None:
    """Columns with the starts of a multi-segment line added, if most of its segments
    already start at a column (a row with a cell the header row left empty)."""
    if len(line.segments) < 2:
        return None
    known = sum(_column_of(columns, s) is not None for s in line.segments)
    if known * 2 < len(line.segments):
        return None
    added = sorted([*columns, *(s.x0 for s in line.segments if _column_of(columns, s) is None)])
    return added if _fits(line, added) else None


def _start_columns(lines: Sequence[Line], i: int) -> list[float] | None:
    line = lines[i]
    if len(line.segments) >= 2:
        return [s.x0 for s in line.segments]
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if (  # a header cell wrapped above the others ("Tidspla" over "n")
        nxt is not None
        and len(nxt.segments) >= 2
        and nxt.top - line.top <= ROW_BREAK * line.size
        and _fits(line, [s.x0 for s in nxt.segments])
    ):
        return [s.x0 for s in nxt.segments]
    return None


def _extent(lines: Sequence[Line], i: int, columns: list[float]) -> tuple[int, list[float]]:
    """Index after the table's last line, and its columns."""
    j = i + 1
    while j < len(lines):
        line, prev = lines[j], lines[j - 1]
        step = (line.top - prev.top) / max(line.size, 1.0)
        if step > MAX_ROW_GAP or abs(line.size - lines[i].size) > 1:
            break
        fits = _fits(line, columns)
        if not fits and (wider := _widen(line, columns)):
            columns, fits = wider, True
        if not fits or (step > TABLE_BREAK and len(line.segments) < 2):
            break
        j += 1
    return j, columns


def find_tables(
    lines: Sequence[Line],
    rules: Sequence[tuple[float, float, float]],
    words: frozenset[str] = frozenset(),
) -> list[Table]:
    """Tables among a page's lines; `rules` are horizontal ruling lines (y, x0, x1)."""
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        columns = _start_columns(lines, i)
        if columns is None:
            i += 1
            continue
        end, columns = _extent(lines, i, columns)
        members = lines[i:end]
        multi = [ln for ln in members if len(ln.segments) >= 2]
        if sum(is_marker(ln.segments[0].text) for ln in multi) * 2 >= len(multi):
            i += 1  # a list: markers in the first column
            continue
        if len(multi) >= 2 or (end - i >= 2 and _ruled(members, rules)):
            tables.append(_table(members, i, end - 1, columns, rules, words))
            i = end
        else:
            i += 1
    return tables


def _ruled(members: Sequence[Line], rules: Sequence[tuple[float, float, float]]) -> bool:
    return any(_rule_between(members[0], members[1], rules, members))


def _rule_between(
    above: Line, below: Line, rules: Sequence[tuple[float, float, float]], members: Sequence[Line]
) -> list[float]:
    left = min(ln.x0 for ln in members)
    right = max(ln.x1 for ln in members)
    return [
        y
        for y, x0, x1 in rules
        if above.bottom - 1 <= y <= below.top + 1
        and min(x1, right) - max(x0, left) >= RULE_SHARE * (right - left)
    ]


def _top_border(members: Sequence[Line], rules: Sequence[tuple[float, float, float]]) -> bool:
    """A rule just above the table's first line, as wide as the table: a border box."""
    first = members[0]
    above = Line(first.top - first.size, first.top - first.size, first.size, False)
    return bool(_rule_between(above, first, rules, members))


def _table(
    members: Sequence[Line],
    first: int,
    last: int,
    columns: list[float],
    rules: Sequence[tuple[float, float, float]],
    words: frozenset[str] = frozenset(),
) -> Table:
    groups: list[list[Line]] = [[members[0]]]
    header_rule = False
    ruled_rows = [bool(_rule_between(a, b, rules, members)) for a, b in itertools.pairwise(members)]
    boxed = sum(ruled_rows) + _top_border(members, rules) >= MIN_ROW_RULES
    for (prev, line), ruled in zip(itertools.pairwise(members), ruled_rows, strict=True):
        # A table ruled between its rows is split at its rules only: a cell's wrapped
        # lines have none between them, however wide the writer's line spacing. (One
        # rule is a header's underline, not row borders.)
        spaced = not boxed and line.top - prev.top > ROW_BREAK * line.size
        if ruled or spaced:
            header_rule = header_rule or (ruled and not boxed and len(groups) == 1)
            groups.append([line])
        else:
            groups[-1].append(line)
    edges = _right_edges(members, columns)
    rows = [_cells(group, columns, edges, words) for group in groups]
    table = Table(first, last, columns, rows, row_pages=[g[0].page for g in groups])
    if len(rows) >= 2 and (header_rule or looks_like_header(rows[0], members[0].bold)):
        table.header = rows.pop(0)
        table.row_pages.pop(0)
    return table


def _right_edges(members: Sequence[Line], columns: list[float]) -> list[float]:
    """How far a line of each column can reach: the next column's start less the
    narrowest gap seen between any column's widest line and the column after it (the
    cells' padding, the same in every cell); for the last column, its widest line."""
    reach = [0.0] * len(columns)
    for line in members:
        for seg in line.segments:
            k = _column_of(columns, seg)
            if k is not None:
                reach[k] = max(reach[k], seg.x1)
    gaps = [columns[k + 1] - reach[k] for k in range(len(columns) - 1) if reach[k] > 0]
    if not gaps:
        return [math.inf] * (len(columns) - 1) + reach[-1:]
    padding = min(gaps)
    return [columns[k + 1] - padding for k in range(len(columns) - 1)] + reach[-1:]


FULL_SLACK = 0.6
"""A cell line is full when it reaches within this many font sizes (about one
character) of how far its column's lines can reach."""


def _cells(
    group: Sequence[Line], columns: list[float], edges: Sequence[float], words: frozenset[str]
) -> list[str]:
    """A row's cell texts: each column's lines joined. A word the writer broke because
    it was wider than its cell is joined again: the broken part stands alone on a full
    line ("suicidpreventi" + "va") and the rest is no word the document uses inside a
    line (or the whole is one), or a single letter was carried over ("Tidspla" + "n").
    Punctuation carried to the next line is joined to its word."""
    cells = [""] * len(columns)
    full = [False] * len(columns)
    for line in group:
        for seg in line.segments:
            k = _column_of(columns, seg)
            if k is None:
                continue
            first = seg.text.split()[0]
            word = first.strip(".,;:")
            # a word alone on a full line is itself broken: the line above ended whole
            alone = len(seg.text.split()) == 1 and seg.text[-1:].isalpha()
            now_full = alone and seg.x1 >= edges[k] - FULL_SLACK * line.size
            after_full = full[k] and not now_full
            if cells[k] and first[0] in CARRIED_PUNCTUATION:
                cells[k] += seg.text  # "verksamheten" + "."
            elif cells[k][-1:].isalpha() and _broken_off(word, after_full, cells[k], words):
                cells[k] += seg.text
            else:
                cells[k] = join_wrapped(cells[k], seg.text)
            full[k] = now_full
    return cells


CARRIED_PUNCTUATION = ".,;:!?)”"
"""Characters that never start a word: on a cell's next line they end the word above."""


def _broken_off(word: str, after_full_word: bool, head: str, words: frozenset[str]) -> bool:
    """The start of the next line is the rest of a word the writer broke because it was
    wider than its cell: after a word alone on a full line, a lower-case start that
    ends a word of the document ("genomföran" + "de"), or that is neither a short
    function word nor a word of the document or the start of one ("Verksamhetsc" +
    "hef"; not "Systemledning" + "lokalt"); else a single letter that is not a word of
    its own."""
    if not word[:1].islower() or not word.isalpha():
        return False
    if after_full_word:
        if (head.rsplit(None, 1)[-1] + word).lower() in words:
            return True  # "genomföran" + "de": the whole is a word of the document
        return word not in vocabulary_words("pdf_layout", "wrap_words") and not _known(word, words)
    return len(word) == 1 and word not in vocabulary_words("pdf_layout", "single_letter_words")


KNOWN_PREFIX = 4
"""A start this long of a word the document uses ("insats" of "insatser") is a word."""


def _known(word: str, words: frozenset[str]) -> bool:
    """A word of the document, or (four letters or more) the start of one."""
    if word in words:
        return True
    return len(word) >= KNOWN_PREFIX and any(w.startswith(word) for w in words)


def inner_words(lines: Iterable[Line]) -> frozenset[str]:
    """The lower-case words that stand inside a line of the document, not first on it:
    the rest of a broken word only ever starts a line."""
    out: set[str] = set()
    for line in lines:
        for seg in line.segments:
            for token in seg.text.split()[1:]:
                word = token.strip(".,;:!?()”\"'").lower()
                if word.isalpha():
                    out.add(word)
    return frozenset(out)


def looks_like_header(cells: Sequence[str], bold: bool = False) -> bool:
    """Short column names: no sentence, no bare number or arrow."""
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return False
    if bold:
        return True
    return all(
        len(c) <= HEADER_CELL_CHARS
        and not c.endswith(".")
        and re.search(r"[A-Za-zÅÄÖåäö]", c)
        and not re.fullmatch(r"[\d\s\-–.,/]+", c)
        for c in filled
    )


MIN_CONTENTS_ROWS = 3
PAGE_NUMBERS = re.compile(r"\d{1,3}(?:\s+\d{1,3})*")


def is_contents(table: Table, min_rows: int = MIN_CONTENTS_ROWS) -> bool:
    """A table of contents set without dot leaders (titles, then their page numbers at
    the right margin) reads as a two-column table: every row's last cell is page
    numbers, never decreasing; a title too long for its line ends on the row below. Under
    a contents title one entry is enough (a contents list indented by level falls into
    several such tables)."""
    rows = [*([table.header] if table.header else []), *table.rows]
    numbers: list[int] = []
    entries = 0
    for k, row in enumerate(rows):
        cells = [c for c in row if c]
        if len(cells) == 1 and k + 1 < len(rows):
            continue  # an entry wrapped onto the next row, its number there
        if len(cells) < 2 or not PAGE_NUMBERS.fullmatch(cells[-1]):
            return False
        entries += 1
        numbers.extend(int(n) for n in cells[-1].split())
    return entries >= min_rows and numbers == sorted(numbers)


def same_columns(a: Table, b: Table) -> bool:
    return len(a.columns) == len(b.columns) and all(
        abs(x - y) <= 2 * COLUMN_TOLERANCE for x, y in zip(a.columns, b.columns, strict=True)
    )


def _squash(cells: Sequence[str]) -> list[str]:
    return ["".join(c.split()).lower() for c in cells]


def continue_table(previous: Table, table: Table) -> bool:
    """Merge `table`, at the top of a page, into `previous`, which ended the page before,
    if it continues it: same columns, and a header row that repeats the previous one (or
    none). A first row with an empty first cell is the rest of a row split by the break."""
    if not same_columns(previous, table):
        return False
    rows, pages = list(table.rows), list(table.row_pages)
    if table.header is not None and (
        previous.header is None or _squash(table.header) != _squash(previous.header)
    ):
        if previous.header is not None:  # a data row that looked like a header
            rows.insert(0, table.header)
            pages.insert(0, pages[0] if pages else 0)
        else:
            return False
    if rows and previous.rows and not rows[0][0]:
        last = previous.rows[-1]
        previous.rows[-1] = [join_wrapped(a, b) for a, b in zip(last, rows.pop(0), strict=True)]
        pages.pop(0)
    previous.rows.extend(rows)
    previous.row_pages.extend(pages)
    return True
